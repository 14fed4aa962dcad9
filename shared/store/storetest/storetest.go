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

// Schema returns a fresh schema name and drops the schema when t ends.
func Schema(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_" + strings.ToLower(sanitize(t.Name())) + "_" + hex.EncodeToString(b)
	if len(name) > 63 {
		name = "t_" + hex.EncodeToString(b) + "_" + strings.ToLower(sanitize(t.Name()))
		name = name[:63]
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), URL())
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+name+" CASCADE")
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
