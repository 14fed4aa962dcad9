package compute

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/webapp"
)

//go:embed webapp_tables.sql
var webappTablesSQL string

// PrepareWebapp creates the webapp tables the compute publishes
// (qfdmo_epci, qfdmo_displayed*, qfdmo_vue*) in schema when missing. The
// webapp owns them in production (Django migrations); tests and the local
// harness call this after webapp.Prepare, which creates the tables they
// refer to. Idempotent.
func PrepareWebapp(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	err := retryOnRace(ctx, func() error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+webapp.SearchPath(schema, "public")); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, webappTablesSQL)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("error creating the published webapp tables in %s: %w", schema, err)
	}
	return nil
}
