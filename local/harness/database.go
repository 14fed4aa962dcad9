package harness

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// EnsureDatabase creates the database of url when it does not exist, by
// connecting to the server's `postgres` database. The schema inside it is
// created and migrated by store.Open.
func EnsureDatabase(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err == nil {
		return conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name: no such database
		return fmt.Errorf("error connecting to the local database (is Postgres running? DATABASE_URL): %s", redact(err))
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("error parsing DATABASE_URL: %s", redact(err))
	}
	name := cfg.Database
	cfg.Database = "postgres"
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("error connecting to the postgres database to create %s: %s", name, redact(err))
	}
	defer admin.Close(context.WithoutCancel(ctx))
	_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505") {
		// Another harness (a parallel test, a second terminal) created it
		// first: duplicate_database, or the catalog's unique index when
		// both commands ran at the same instant.
		return nil
	}
	if err != nil {
		return fmt.Errorf("error creating database %s: %s", name, redact(err))
	}
	return nil
}
