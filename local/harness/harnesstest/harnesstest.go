// Package harnesstest gives each test of the harness its own Postgres
// schema in the local database, through the configuration lookup (never
// the process environment), dropped when the test ends.
package harnesstest

import (
	"os"
	"testing"

	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/shared/store/storetest"
)

// DatabaseURL is DATABASE_URL, or the harness's default database.
func DatabaseURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return harness.DefaultDatabaseURL
}

// Schema returns a fresh schema name, dropped (with its tables) when t ends.
func Schema(t testing.TB) string { return storetest.SchemaAt(t, DatabaseURL(), "h") }

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
