// Package webapptest gives a test its own prepared webapp schema on the
// local Postgres server (DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres), dropped when the test ends.
package webapptest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/store/storetest"
	"github.com/lvao/dataplatform/shared/webapp"
)

// URL is the test database URL.
func URL() string { return storetest.URL() }

// Schema returns a fresh schema name and drops the schema when t ends.
func Schema(t testing.TB) string { return storetest.SchemaAt(t, URL(), "wa") }

// Pool returns a pool whose connections use schema (not prepared).
func Pool(t testing.TB, schema string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(URL())
	if err != nil {
		t.Fatalf("parse DATABASE_URL: %v", err)
	}
	cfg.MaxConns = 4
	webapp.ConfigurePool(cfg, schema)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connect to Postgres (is it running on 127.0.0.1:5432?): %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Open returns a pool on a fresh schema prepared with webapp.Prepare
// (tables created, reference tables seeded from the fixtures).
func Open(t testing.TB) *pgxpool.Pool {
	t.Helper()
	schema := Schema(t)
	pool := Pool(t, schema)
	if err := webapp.Prepare(context.Background(), pool, schema); err != nil {
		t.Fatalf("prepare webapp schema: %v", err)
	}
	return pool
}
