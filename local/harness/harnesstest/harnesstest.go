// Package harnesstest gives each test of the harness its own Postgres
// schema in the local database, through the configuration lookup (never
// the process environment), dropped when the test ends.
package harnesstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lvao/dataplatform/local/harness"
)

// DatabaseURL is DATABASE_URL, or the harness's default database.
func DatabaseURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return harness.DefaultDatabaseURL
}

// Schema returns a fresh schema name, dropped (with its tables) when t ends.
func Schema(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "h_" + hex.EncodeToString(b) + "_" + strings.ToLower(sanitize(t.Name()))
	if len(name) > 63 {
		name = name[:63]
	}
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, DatabaseURL())
		if err != nil {
			return // the database was never created: nothing to drop
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// Env returns a configuration lookup for one test: the local database, a
// schema of its own, and the extra values given.
func Env(t testing.TB, extra map[string]string) (harness.Env, string) {
	t.Helper()
	schema := Schema(t)
	m := map[string]string{"DATABASE_URL": DatabaseURL(), "DATABASE_SCHEMA": schema}
	for k, v := range extra {
		m[k] = v
	}
	return harness.MapEnv(m), schema
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
	return b.String()
}
