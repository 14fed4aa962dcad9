// Package storetest gives each test its own Postgres schema on the local
// server (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres),
// migrated, and dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lvao/dataplatform/shared/store"
)

// URL is the test database URL.
func URL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Schema returns a fresh schema name in URL()'s database and drops the
// schema (with its tables) when t ends.
func Schema(t testing.TB) string { return SchemaAt(t, URL(), "t") }

// SchemaAt returns a fresh schema name "<prefix>_<random>_<test name>"
// in the database of url, dropped when t ends. Tests never share schemas,
// so they run in parallel.
func SchemaAt(t testing.TB, url, prefix string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b) + "_" + strings.ToLower(sanitize(t.Name()))
	if len(name) > 63 {
		name = name[:63]
	}
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return // the database was never created: nothing to drop
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// Open returns a migrated store in a fresh schema.
func Open(t testing.TB, maxConns int32) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{URL: URL(), Schema: Schema(t), MaxConns: maxConns})
	if err != nil {
		t.Fatalf("open test store (is Postgres running on 127.0.0.1:5432?): %v", err)
	}
	t.Cleanup(st.Close)
	return st
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
	if len(out) > 30 {
		out = out[len(out)-30:]
	}
	return out
}
