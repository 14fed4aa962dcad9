package webapp

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed schema.sql
var schemaSQL string

// ErrPostGISUnavailable is returned by Prepare when the server has no
// postgis extension to create (on Debian: apt-get install
// postgresql-15-postgis-3, matching the server's major version).
var ErrPostGISUnavailable = errors.New("the PostGIS extension is not available on this PostgreSQL server (install the postgis package for its version, e.g. postgresql-15-postgis-3)")

// prepareAttempts bounds the retries of a transaction that lost a creation
// race to another process (it then finds the objects already there).
const prepareAttempts = 5

// Prepare creates schema and the webapp tables in it if missing, then
// seeds the empty reference tables from the embedded fixtures. It is
// idempotent and safe when several processes call it at once: each step
// runs in a transaction, and a transaction that fails because another one
// created the same object first (duplicate-object or unique-violation
// errors on the catalogs) is run again, and then finds the objects there.
func Prepare(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if schema == "" {
		return errors.New("error preparing webapp schema: empty schema name")
	}
	gisSchema, err := ensurePostGIS(ctx, pool)
	if err != nil {
		return err
	}
	err = retryOnRace(ctx, func() error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
				return fmt.Errorf("error creating schema %s: %w", schema, err)
			}
			if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+SearchPath(schema, gisSchema)); err != nil {
				return fmt.Errorf("error setting search_path: %w", err)
			}
			if _, err := tx.Exec(ctx, schemaSQL); err != nil {
				return fmt.Errorf("error creating webapp tables: %w", err)
			}
			return seedReferenceTables(ctx, tx)
		})
	})
	if err != nil {
		return fmt.Errorf("error preparing webapp schema %s: %w", schema, err)
	}
	return nil
}

// ensurePostGIS creates the postgis extension (in public) unless it exists,
// and returns the schema holding it.
func ensurePostGIS(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	var gisSchema string
	err := retryOnRace(ctx, func() error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			err := tx.QueryRow(ctx, `SELECT n.nspname FROM pg_extension e
				JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis'`).Scan(&gisSchema)
			if err == nil {
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("error looking for the postgis extension: %w", err)
			}
			var available bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis')`).Scan(&available); err != nil {
				return fmt.Errorf("error looking for the postgis extension: %w", err)
			}
			if !available {
				return ErrPostGISUnavailable
			}
			// In public, not in the target schema: dropping a test schema
			// must not drop the extension other schemas use.
			if _, err := tx.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public"); err != nil {
				return fmt.Errorf("error creating the postgis extension: %w", err)
			}
			gisSchema = "public"
			return nil
		})
	})
	return gisSchema, err
}

// retryOnRace runs f again when it failed because a concurrent transaction
// created the same catalog object first.
func retryOnRace(ctx context.Context, f func() error) error {
	var err error
	for attempt := 1; attempt <= prepareAttempts; attempt++ {
		if err = f(); err == nil || !isCreationRace(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
		}
	}
	return err
}

// isCreationRace tells the errors of two transactions creating the same
// object: CREATE ... IF NOT EXISTS checks before inserting into the
// catalogs, so the loser of a race gets a unique violation on a catalog
// index (or duplicate_*), or a deadlock; seeding the same row twice also
// ends in a unique violation.
func isCreationRace(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "23505", // unique_violation
		"42P07", // duplicate_table
		"42P06", // duplicate_schema
		"42710", // duplicate_object
		"40P01": // deadlock_detected
		return true
	}
	return false
}

// SearchPath returns the search_path value for a connection to the webapp
// tables of schema, with the PostGIS schema after it (public when empty).
func SearchPath(schema, gisSchema string) string {
	if gisSchema == "" {
		gisSchema = "public"
	}
	if gisSchema == schema {
		return pgx.Identifier{schema}.Sanitize()
	}
	return pgx.Identifier{schema}.Sanitize() + ", " + pgx.Identifier{gisSchema}.Sanitize()
}

// ConfigurePool sets the search_path of the pool's connections to schema,
// then public (where Prepare creates PostGIS).
func ConfigurePool(cfg *pgxpool.Config, schema string) {
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = SearchPath(schema, "public")
}
