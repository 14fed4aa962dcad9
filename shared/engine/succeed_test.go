package engine_test

import (
	"context"
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

// Successes recorded together: each only if its attempt still runs under
// that try (a stale try or a second completion records nothing), and the
// recorded ones are folded into the downstream counts once.
func TestSuccessesRecordedTogether(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{dags: []string{twoRootsDAG}})
	run := b.trigger("roots", nil)
	now := time.Now().UTC()
	for _, task := range []string{"a", "b", "c"} {
		_, ok, err := b.st.TaskClaim(context.Background(), &store.TaskClaimParams{DagID: "roots", RunID: run.RunID,
			TaskID: task, TryNumber: 1, Now: now, LeaseUntil: now.Add(time.Minute)})
		if err != nil || !ok {
			t.Fatalf("claim %s: ok=%v err=%v", task, ok, err)
		}
	}
	ref := func(task string, try int) engine.AttemptRef {
		return engine.AttemptRef{RunPK: run.PK, DagID: "roots", RunID: run.RunID, TaskID: task, TryNumber: try}
	}
	got, err := b.eng.SucceedTogether(context.Background(), []engine.AttemptRef{ref("a", 1), ref("b", 2), ref("a", 1), ref("c", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, false, true}; len(got) != 4 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	st := states(b.doc("roots", run.RunID))
	if st["a"] != "success" || st["b"] != "running" || st["c"] != "success" || st["after_a"] != "queued" || st["end"] != "none" {
		t.Errorf("states %v", st)
	}
	if n := b.queryInt("SELECT up_success FROM task_instance WHERE task_id = 'end'"); n != 2 {
		t.Errorf("end counts %d successful upstream tasks, want 2", n)
	}
	if n := b.queryInt("SELECT count(*) FROM task_instance WHERE pending"); n != 0 {
		t.Errorf("%d completions still pending", n)
	}
	if n := b.queryInt("SELECT count(*) FROM task_attempt WHERE state = 'success' AND completions = 1"); n != 2 {
		t.Errorf("%d attempts completed once, want 2", n)
	}
	if n := b.queryInt("SELECT count(*) FROM task_instance WHERE task_id = 'c' AND result = '{\"n\": 1}'::jsonb"); n != 1 {
		t.Errorf("c's result not stored")
	}
	// b's own completion, later, alone: the run goes on to its end.
	if rec, err := b.eng.Complete(context.Background(), ref("b", 1), engine.Outcome{}); err != nil || !rec {
		t.Fatalf("b: recorded=%v err=%v", rec, err)
	}
	b.pump()
	if st := states(b.doc("roots", run.RunID)); st["end"] != "success" || st["after_a"] != "success" {
		t.Errorf("after b: %v", st)
	}
	if d := b.doc("roots", run.RunID); d.State != "success" {
		t.Errorf("run %s, want success", d.State)
	}
}
