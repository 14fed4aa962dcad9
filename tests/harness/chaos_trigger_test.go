package harness_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/local/harness/harnesstest"
	"github.com/lvao/dataplatform/shared/engine"
)

// TestChaosTriggerDagTriggersOnce: trigger-dag tasks under crashes that
// come after their trigger (and duplicate deliveries) create exactly one
// run of the target per triggering run, whatever the retries.
func TestChaosTriggerDagTriggersOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test")
	}
	t.Parallel()
	env, schema := harnesstest.Env(t, map[string]string{"TASK_LEASE": "1s", "REQUEUE_AFTER": "1s"})
	dir := writeDag(t, "chaostrig", `
dag_id: chaostrig
max_active_runs: 30
default_args: {retries: 8, retry_delay: 100ms}
tasks:
  - {id: fire, function: trigger-dag, args: {dag_id: chaostarget}}
`)
	target := "\ndag_id: chaostarget\npaused: true\ntasks: [{id: t, function: noop}]\n"
	if err := os.WriteFile(filepath.Join(dir, "chaostarget.yaml"), []byte(target), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := harness.Start(ctx, harness.Config{
		Env: env, DagDirs: []string{dir}, S3Dir: t.TempDir(),
		Tick: 200 * time.Millisecond, VisibilityTimeout: 100 * time.Millisecond,
		Chaos: harness.Chaos{DuplicateRate: 0.3, CrashRate: 0.4, Seed: 7},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	const runs = 30
	base := time.Now().UTC().Truncate(time.Second)
	for i := 0; i < runs; i++ {
		if _, _, err := p.Deps.Engine.Trigger(ctx, engine.TriggerParams{DagID: "chaostrig", LogicalDate: base.Add(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatalf("trigger %d: %v", i, err)
		}
	}
	pool := openSchema(t, schema)
	if success := waitRunsEnded(t, pool, "chaostrig", runs, 2*time.Minute); success != runs {
		t.Fatalf("%d of %d triggering runs succeeded", success, runs)
	}
	checkExactlyOnce(t, pool, "chaostrig")
	var targets, retried int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM dag_run WHERE dag_id = 'chaostarget'`).Scan(&targets); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM task_instance WHERE dag_id = 'chaostrig' AND try_number > 1`).Scan(&retried); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d crashes, %d triggering tasks retried", p.Crashes(), retried)
	if p.Crashes() == 0 || retried == 0 {
		t.Fatalf("no crash happened (%d crashes, %d retried): the test proves nothing", p.Crashes(), retried)
	}
	if targets != runs {
		t.Fatalf("%d runs of the target for %d triggering runs, want exactly one each", targets, runs)
	}
}
