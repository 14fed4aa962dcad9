package harness_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/local/harness/harnesstest"
	"github.com/lvao/dataplatform/shared/engine"
)

// TestChaos runs many runs of a 10-task DAG while the queue duplicates and
// drops messages and attempts crash mid-run: every run must end, no
// attempt may complete twice, no task may stay queued or running.
// CHAOS_RUNS overrides the number of runs (default 200).
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test: a minute or so")
	}
	t.Parallel()
	runs := 200
	if v, err := strconv.Atoi(os.Getenv("CHAOS_RUNS")); err == nil && v > 0 {
		runs = v
	}
	// Short lease and requeue delay: a crashed attempt is a zombie after
	// 1s, a dropped message is republished after 1s.
	env, schema := harnesstest.Env(t, map[string]string{"TASK_LEASE": "1s", "REQUEUE_AFTER": "1s"})
	// Retries absorb crashes: a task fails for good only after 9 crashes in a row.
	dir := writeDag(t, "chaos", fanDag("chaos", 10, "max_active_runs: 25\ndefault_args: {retries: 8, retry_delay: 100ms}\n"))
	ctx := context.Background()
	p, err := harness.Start(ctx, harness.Config{
		Env: env, DagDirs: []string{dir}, S3Dir: t.TempDir(),
		Tick: 200 * time.Millisecond, VisibilityTimeout: 100 * time.Millisecond,
		Chaos: harness.Chaos{DuplicateRate: 0.5, DropRate: 0.1, CrashRate: 0.1},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)

	start := time.Now()
	base := start.UTC().Truncate(time.Second)
	for i := 0; i < runs; i++ {
		// Distinct logical dates: two triggers in one microsecond would clash.
		if _, _, err := p.Deps.Engine.Trigger(ctx, engine.TriggerParams{DagID: "chaos", LogicalDate: base.Add(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatalf("trigger %d: %v", i, err)
		}
	}
	pool := openSchema(t, schema)
	success := waitRunsEnded(t, pool, "chaos", runs, 4*time.Minute)
	wall := time.Since(start)
	attempts := checkExactlyOnce(t, pool, "chaos")
	st := p.Queue.Stats()
	t.Logf("chaos: %d runs (%d success, %d failed) of 10 tasks in %s; %d attempts; queue: %d published, %d duplicated, %d dropped, %d redelivered, %d dead letters; %d crashes",
		runs, success, runs-success, wall.Round(time.Millisecond), attempts, st.Published, st.Duplicated, st.Dropped, st.Redelivered, st.DeadLettered, p.Crashes())
	if st.Duplicated == 0 || st.Dropped == 0 || p.Crashes() == 0 {
		t.Errorf("the chaos did not happen: %+v, %d crashes", st, p.Crashes())
	}
}
