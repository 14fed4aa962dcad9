package compute

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

//go:embed warehouse.sql
var warehouseSQL string

// DefaultWarehouseSchema holds the models' tables when none is configured.
const DefaultWarehouseSchema = "warehouse"

// extensions the models use: PostGIS types (geography), uuid_generate_v5
// (the acteur uuid), unaccent and similarity (EPCI matching by town name).
var extensions = []string{"postgis", "uuid-ossp", "unaccent", "pg_trgm"}

// ConfigureWarehousePool sets the search_path of a warehouse pool's
// connections: the warehouse schema, then public (where the extensions
// live).
func ConfigureWarehousePool(cfg *pgxpool.Config, schema string) {
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = searchPath(schema)
}

func searchPath(schema string) string {
	if schema == "public" {
		return "public"
	}
	return pgx.Identifier{schema}.Sanitize() + ", public"
}

// PrepareWarehouse creates the warehouse schema, the extensions (in public)
// and the functions and reference tables of warehouse.sql. It is idempotent
// and safe when several processes call it at once.
func PrepareWarehouse(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if schema == "" {
		return errors.New("error preparing warehouse: empty schema name")
	}
	for _, ext := range extensions {
		err := retryOnRace(ctx, func() error {
			_, err := pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+pgx.Identifier{ext}.Sanitize()+" SCHEMA public")
			return err
		})
		if err != nil {
			return fmt.Errorf("error creating extension %s in the warehouse database: %w", ext, err)
		}
	}
	err := retryOnRace(ctx, func() error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+searchPath(schema)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, warehouseSQL)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("error preparing warehouse schema %s: %w", schema, err)
	}
	return nil
}

// retryOnRace runs f again when it lost a race with another transaction
// creating the same catalog object (it then finds the object there).
func retryOnRace(ctx context.Context, f func() error) error {
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
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

func isCreationRace(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "23505", "42P07", "42P06", "42710", "40P01", "XX000":
		// XX000 is "tuple concurrently updated" from two CREATE OR
		// REPLACE FUNCTION racing.
		return true
	}
	return false
}
