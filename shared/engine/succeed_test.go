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
// nothing), and the recorded ones are folded into the downstream counts
// once: in the batch's transaction for a run it could lock, later for a
// run locked elsewhere.
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
	// Another transaction holds r2's lock: r2's successes are recorded
	// pending, r1's are folded in by the batch's transaction.
	holder, err := b.st.Pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(context.Background(), "SELECT 1 FROM dag_run WHERE id = $1 FOR NO KEY UPDATE", r2.PK); err != nil {
		t.Fatal(err)
	}
	got, err := b.eng.SucceedTogether(context.Background(), []engine.AttemptRef{
		ref(r1, "a", 1), ref(r1, "b", 2), ref(r2, "c", 1), ref(r1, "a", 1), ref(r1, "c", 1), ref(r2, "a", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, true, false, true, true}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	if st := states(b.doc("roots", r1.RunID)); st["after_a"] != "queued" {
		t.Errorf("r1 not folded: %v", st)
	}
	if st := states(b.doc("roots", r2.RunID)); st["a"] != "success" || st["after_a"] != "none" {
		t.Errorf("r2 folded while locked elsewhere: %v", st)
	}
	if n := b.queryInt("SELECT count(*) FROM task_instance WHERE pending AND run_pk = $1", r2.PK); n != 2 {
		t.Errorf("r2: %d pending outcomes, want 2", n)
	}
	if n := b.queryInt("SELECT count(*) FROM task_instance WHERE pending AND run_pk = $1", r1.PK); n != 0 {
		t.Errorf("r1: %d pending outcomes, want 0", n)
	}
	// The holder ends without folding (a crash): the tick's safety net
	// folds r2's outcomes.
	_ = holder.Rollback(context.Background())
	b.tick()
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
