package engine_test

import (
	"context"
	"testing"

	"github.com/lvao/dataplatform/shared/engine"
)

// A second trigger with the same TriggeredBy key (a trigger-dag try that
// crashed after its trigger and still runs beside its retry: both looked
// for the key's run before either created it) is answered with the run
// the first created, not created again: the unique triggered_by refused
// the insert, and the try failed on "duplicate key value violates unique
// constraint" (its task failed when no retry was left, the run triggered).
func TestTriggerWithATriggerKeyTakenAnswersItsRun(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{dags: []string{"dag_id: tk\npaused: true\ntasks: [{id: a, function: noop}]\n"}})
	ctx := context.Background()
	for _, p := range []engine.TriggerParams{
		{DagID: "tk", TriggeredBy: "parent/manual__x/fire/1"},
		{DagID: "tk", TriggeredBy: "parent/manual__y/fire/1", IgnorePause: true}, // the transaction's path
	} {
		first, created, err := b.eng.Trigger(ctx, p)
		if err != nil || !created {
			t.Fatalf("%+v: first trigger: created %v, %v", p, created, err)
		}
		again, created, err := b.eng.Trigger(ctx, p)
		if err != nil || created || again.RunID != first.RunID {
			t.Fatalf("%+v: second trigger: run %q created %v, %v; want run %s, not created", p, again.RunID, created, err, first.RunID)
		}
	}
	if n := b.queryInt("SELECT count(*) FROM dag_run WHERE dag_id = 'tk'"); n != 2 {
		t.Fatalf("%d runs, want one per key", n)
	}
}
