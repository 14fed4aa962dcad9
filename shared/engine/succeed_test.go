package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/store"
)

const twoRootsDAG = `
dag_id: roots
tasks:
  - {id: a, function: noop}
  - {id: b, function: noop}
  - {id: c, function: noop}
  - {id: after_a, function: noop, depends_on: [a]}
  - {id: end, function: noop, depends_on: [a, b, c]}
`

// Successes recorded together, over two runs: each only if its attempt
// still runs under that try (a stale try or a second completion records
// nothing), and the recorded ones of both runs are folded into the
// downstream counts once (one transaction under both runs' locks).
func TestSuccessesRecordedTogether(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{dags: []string{twoRootsDAG}})
	runs := []store.Run{b.trigger("roots", nil), b.trigger("roots", nil)}
	now := time.Now().UTC()
	for _, run := range runs {
		for _, task := range []string{"a", "b", "c"} {
			_, ok, err := b.st.TaskClaim(context.Background(), &store.TaskClaimParams{DagID: "roots", RunID: run.RunID,
				TaskID: task, TryNumber: 1, Now: now, LeaseUntil: now.Add(time.Minute)})
			if err != nil || !ok {
				t.Fatalf("claim %s: ok=%v err=%v", task, ok, err)
			}
		}
	}
	ref := func(run store.Run, task string, try int) engine.AttemptRef {
		return engine.AttemptRef{RunPK: run.PK, DagID: "roots", RunID: run.RunID, TaskID: task, TryNumber: try}
	}
	r1, r2 := runs[0], runs[1]
	got, err := b.eng.SucceedTogether(context.Background(), []engine.AttemptRef{
		ref(r1, "a", 1), ref(r1, "b", 2), ref(r2, "c", 1), ref(r1, "a", 1), ref(r1, "c", 1), ref(r2, "a", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, true, false, true, true}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	for _, run := range runs {
		st := states(b.doc("roots", run.RunID))
		if st["a"] != "success" || st["b"] != "running" || st["c"] != "success" || st["after_a"] != "queued" || st["end"] != "none" {
			t.Errorf("run %s: states %v", run.RunID, st)
		}
		if n := b.queryInt("SELECT up_success FROM task_instance WHERE run_pk = $1 AND task_id = 'end'", run.PK); n != 2 {
			t.Errorf("run %s: end counts %d successful upstream tasks, want 2", run.RunID, n)
		}
	}
	if n := b.queryInt("SELECT count(*) FROM task_instance WHERE pending"); n != 0 {
		t.Errorf("%d completions still pending", n)
	}
	if n := b.queryInt("SELECT count(*) FROM task_attempt WHERE state = 'success' AND completions = 1"); n != 4 {
		t.Errorf("%d attempts completed once, want 4", n)
	}
	if n := b.queryInt("SELECT count(*) FROM task_instance WHERE task_id = 'c' AND result = '{\"n\": 1}'::jsonb"); n != 2 {
		t.Errorf("%d results of c stored, want 2", n)
	}
	// b's own completions, later, alone: the runs go on to their end.
	for _, run := range runs {
		if rec, err := b.eng.Complete(context.Background(), ref(run, "b", 1), engine.Outcome{}); err != nil || !rec {
			t.Fatalf("b: recorded=%v err=%v", rec, err)
		}
	}
	b.pump()
	for _, run := range runs {
		if d := b.doc("roots", run.RunID); d.State != "success" {
			t.Errorf("run %s %s, want success: %v", run.RunID, d.State, states(d))
		}
	}
}
