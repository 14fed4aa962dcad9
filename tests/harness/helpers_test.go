// Package harness_test runs the local harness under chaos and through a
// SIGKILL restart, checking the platform's exactly-once completion in the
// database itself.
package harness_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/local/harness/harnesstest"
)

// writeDag writes a DAG file into a new directory and returns the directory.
func writeDag(t *testing.T, name, yml string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fanDag is a DAG of n tasks: t0, then t1…t(n-2) in parallel, then t(n-1).
func fanDag(id string, n int, head string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "dag_id: %s\n%stasks:\n  - {id: t0, function: noop}\n", id, head)
	var mids []string
	for i := 1; i < n-1; i++ {
		fmt.Fprintf(&b, "  - {id: t%d, function: noop, depends_on: [t0]}\n", i)
		mids = append(mids, fmt.Sprintf("t%d", i))
	}
	fmt.Fprintf(&b, "  - {id: t%d, function: noop, depends_on: [%s]}\n", n-1, strings.Join(mids, ", "))
	return b.String()
}

// openSchema connects to the test's schema (once the harness created it).
func openSchema(t *testing.T, schema string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(harnesstest.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// runCounts reads how many runs of a DAG ended, and how many succeeded.
func runCounts(ctx context.Context, pool *pgxpool.Pool, dagID string) (ended, success int, err error) {
	err = pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state IN ('success', 'failed')),
		count(*) FILTER (WHERE state = 'success') FROM dag_run WHERE dag_id = $1`, dagID).Scan(&ended, &success)
	return ended, success, err
}

// waitRunsEnded polls the database until want runs of dagID ended.
func waitRunsEnded(t *testing.T, pool *pgxpool.Pool, dagID string, want int, limit time.Duration) (success int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	ended := 0
	for {
		var err error
		ended, success, err = runCounts(ctx, pool, dagID)
		if err == nil && ended >= want {
			return success
		}
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of %d runs ended within %s (last error: %v)", ended, want, limit, err)
		case <-tick.C:
		}
	}
}

// checkExactlyOnce fails the test when an attempt completed twice or a
// task of an ended run is still waiting or running; it returns the number
// of attempts.
func checkExactlyOnce(t *testing.T, pool *pgxpool.Pool, dagID string) (attempts int) {
	t.Helper()
	ctx := context.Background()
	var twice, stuck int
	err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE completions > 1) FROM task_attempt a
		JOIN dag_run r ON r.id = a.run_pk WHERE r.dag_id = $1`, dagID).Scan(&attempts, &twice)
	if err != nil {
		t.Fatal(err)
	}
	err = pool.QueryRow(ctx, `SELECT count(*) FROM task_instance
		WHERE dag_id = $1 AND state IN ('none', 'scheduled', 'queued', 'running', 'up_for_retry')`, dagID).Scan(&stuck)
	if err != nil {
		t.Fatal(err)
	}
	if twice > 0 {
		t.Errorf("%d attempts completed more than once", twice)
	}
	if stuck > 0 {
		t.Errorf("%d tasks of ended runs are still queued, running or waiting", stuck)
	}
	return attempts
}
