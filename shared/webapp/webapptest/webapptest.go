// Package webapptest gives a test its own prepared webapp schema on the
// local Postgres server (DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres), dropped when the test ends.
package webapptest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/webapp"
)

// URL is the test database URL.
func URL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Schema returns a fresh schema name and drops the schema when t ends.
func Schema(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "wa_" + hex.EncodeToString(b) + "_" + strings.ToLower(sanitize(t.Name()))
	if len(name) > 63 {
		name = name[:63]
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), URL())
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
	})
	return name
}

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

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 40 {
		out = out[len(out)-40:]
	}
	return out
}
