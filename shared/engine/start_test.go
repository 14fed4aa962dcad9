package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/engine"
)

// Runs queued while their DAG is paused start together when it is
// unpaused (one transaction, one statement per kind of write for all of
// them) and end in batches: each run ends with the states it has when it
// runs alone, whether its last task is the only leaf (a chain: the run's
// state is decided from that outcome without reading the leaves) or one of
// several (read).
func TestQueuedRunsStartAndEndTogether(t *testing.T) {
	t.Parallel()
	chain := func(id, last string) string {
		return fmt.Sprintf("dag_id: %s\npaused: true\ndefault_args: {retries: 0}\ntasks:\n"+
			"  - {id: a, function: noop}\n  - {id: b, function: noop, depends_on: [a]}\n  - {id: c, function: %s, depends_on: [b]}\n", id, last)
	}
	dags := []string{
		strings.Replace(mixedDAG, "dag_id: mixed", "dag_id: mixed\npaused: true", 1),
		chain("chain_ok", "noop"),
		chain("chain_fail", "fail"),
	}
	want := map[string]struct {
		run   string
		tasks map[string]string
	}{
		"mixed":      {"failed", mixedWant},
		"chain_ok":   {"success", map[string]string{"a": "success", "b": "success", "c": "success"}},
		"chain_fail": {"failed", map[string]string{"a": "success", "b": "success", "c": "failed"}},
	}
	const perDag = 4
	for _, dup := range []float64{0, 1} {
		t.Run(fmt.Sprintf("duplicate=%v", dup), func(t *testing.T) {
			t.Parallel()
			b := setup(t, bundleOpts{dags: dags, async: true, duplicate: dup})
			ctx := context.Background()
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			runs := map[string][]string{}
			day := 0
			for dagID := range want {
				day++ // run ids distinct across DAGs: the bundle's checks key by run id
				for i := 0; i < perDag; i++ {
					logical := base.AddDate(0, 0, day).Add(time.Duration(i) * time.Hour)
					run, created, err := b.eng.Trigger(ctx, engine.TriggerParams{DagID: dagID, LogicalDate: logical})
					if err != nil || !created {
						t.Fatalf("trigger %s: created=%v err=%v", dagID, created, err)
					}
					runs[dagID] = append(runs[dagID], run.RunID)
				}
			}
			if n := b.queryInt("SELECT count(*) FROM dag_run WHERE state = 'queued'"); n != perDag*len(want) {
				t.Fatalf("%d runs queued while paused, want %d", n, perDag*len(want))
			}
			for dagID := range want {
				if err := b.eng.SetPaused(ctx, dagID, false); err != nil {
					t.Fatal(err)
				}
			}
			for dagID, w := range want {
				for _, runID := range runs[dagID] {
					if end := b.wait(dagID, runID, 30*time.Second); end.State != w.run {
						t.Errorf("%s %s ended %s, want %s", dagID, runID, end.State, w.run)
					}
					got := states(b.doc(dagID, runID))
					for task, ws := range w.tasks {
						if got[task] != ws {
							t.Errorf("%s %s: task %s %s, want %s", dagID, runID, task, got[task], ws)
						}
					}
				}
			}
			if n := b.queryInt("SELECT count(*) FROM dag_run WHERE tasks_unfinished <> 0 OR ended_at IS NULL OR started_at IS NULL"); n != 0 {
				t.Errorf("%d runs ended with unfinished tasks or without start/end times", n)
			}
			if n := b.queryInt("SELECT count(*) FROM task_instance WHERE pending"); n != 0 {
				t.Errorf("%d completions still pending", n)
			}
			b.eachAttemptRanOnce(t)
		})
	}
}
