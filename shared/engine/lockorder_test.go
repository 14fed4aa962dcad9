package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/store"
)

// A clear or a mark of a task whose attempt is completing at that moment
// waits for the completion instead of deadlocking with it (one of the two
// failed with "deadlock detected": a 500 from the API, or a completion
// retried):
//   - "attempt": the completion locks the task instance, then records its
//     attempt; the clear or mark locked the attempt first.
//   - "requeue": a failed attempt retried at once updates its task
//     instance twice (up_for_retry, then queued); Postgres then checks the
//     row's foreign key, a KEY SHARE lock of the run's row, which the
//     clear or mark held FOR UPDATE while it waited for that task instance.
func TestClearAndMarkWaitForACompletingAttempt(t *testing.T) {
	t.Parallel()
	completions := map[string][]string{
		"attempt": {
			"UPDATE task_instance SET state = 'success', ended_at = now() WHERE run_pk = $1 AND task_id = 'x' AND state = 'running'",
			"UPDATE task_attempt SET state = 'success', ended_at = now(), completions = completions + 1 WHERE run_pk = $1 AND task_id = 'x' AND state = 'running'",
		},
		"requeue": {
			"UPDATE task_instance SET state = 'up_for_retry', ended_at = now() WHERE run_pk = $1 AND task_id = 'x' AND state = 'running'",
			"UPDATE task_instance SET state = 'queued', try_number = try_number + 1 WHERE run_pk = $1 AND task_id = 'x' AND state = 'up_for_retry'",
		},
	}
	for name, steps := range completions {
		for _, action := range []string{"clear", "mark"} {
			t.Run(name+"/"+action, func(t *testing.T) {
				t.Parallel()
				b := setup(t, bundleOpts{dags: []string{"dag_id: lo\ntasks: [{id: x, function: noop}, {id: y, function: noop, depends_on: [x]}]\n"}})
				ctx := context.Background()
				run := b.trigger("lo", nil)
				now := time.Now().UTC()
				if _, ok, err := b.st.TaskClaim(ctx, &store.TaskClaimParams{DagID: "lo", RunID: run.RunID, TaskID: "x", TryNumber: 1,
					Now: now, LeaseUntil: now.Add(time.Minute)}); err != nil || !ok {
					t.Fatalf("claim: %v %v", ok, err)
				}
				// A completion in flight: it has taken x's task instance.
				completion, err := b.st.Pool.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer completion.Rollback(ctx)
				if _, err := completion.Exec(ctx, steps[0], run.PK); err != nil {
					t.Fatal(err)
				}
				var xid string
				if err := completion.QueryRow(ctx, "SELECT pg_current_xact_id()::text").Scan(&xid); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() {
					if action == "clear" {
						_, err := b.eng.Clear(ctx, engine.ClearParams{DagID: "lo", RunID: run.RunID, TaskIDs: []string{"x"}})
						done <- err
						return
					}
					done <- b.eng.Mark(ctx, "lo", run.RunID, "x", "failed")
				}()
				// Wait until the action waits for the completion's transaction.
				for b.queryInt("SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid = $1::xid", xid) == 0 {
					select {
					case err := <-done:
						t.Fatalf("%s did not wait for the completing attempt: %v", action, err)
					case <-time.After(5 * time.Millisecond):
					}
				}
				// The completion's next step must not wait for the action
				// (it would be a deadlock: the action waits for it).
				if _, err := completion.Exec(ctx, "SET LOCAL lock_timeout = '100ms'"); err != nil {
					t.Fatal(err)
				}
				if _, err := completion.Exec(ctx, steps[1], run.PK); err != nil {
					t.Fatalf("the completion waited for the %s: %v", action, err)
				}
				if err := completion.Commit(ctx); err != nil {
					t.Fatal(err)
				}
				if err := <-done; err != nil {
					t.Fatalf("%s: %v", action, err)
				}
			})
		}
	}
}
