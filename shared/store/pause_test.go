package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/store"
	"github.com/lvao/dataplatform/shared/store/storetest"
)

// A paused DAG's queued tasks are not claimed, by one claim or by claims
// that go together, unless their run ignores the pause; the unpause's
// requeue returns them.
func TestPausedDagTasksAreNotClaimed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.Open(t, 2)
	now := time.Now().UTC().Truncate(time.Microsecond)
	if _, err := st.Pool.Exec(ctx, "INSERT INTO dag (dag_id, version_hash, is_paused) VALUES ('p', 'h', true)"); err != nil {
		t.Fatal(err)
	}
	claim := func(run string, task string) *store.TaskClaimParams {
		return &store.TaskClaimParams{DagID: "p", RunID: run, TaskID: task, TryNumber: 1, Now: now, LeaseUntil: now.Add(time.Minute)}
	}
	for i, ignore := range []bool{false, true} {
		_, created, _, err := st.RunInsert(ctx, &store.RunInsertParams{DagID: "p", RunID: fmt.Sprint("r", i), RunType: "manual",
			VersionHash: "h", LogicalDate: now.Add(time.Duration(i) * time.Second), Conf: []byte("{}"), Params: []byte("{}"), Now: now,
			Tasks:       []store.TaskSeed{{TaskID: "a", Function: "f", MaxTries: 1}, {TaskID: "b", Function: "f", MaxTries: 1}, {TaskID: "c", Function: "f", MaxTries: 1}},
			IgnorePause: ignore})
		if err != nil || !created {
			t.Fatal(created, err)
		}
	}
	if _, err := st.Pool.Exec(ctx, "UPDATE dag_run SET state = 'running'"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, "UPDATE task_instance SET state = 'queued', try_number = 1, queued_at = $1", now); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.TaskClaim(ctx, claim("r0", "a")); err != nil || ok {
		t.Fatalf("one claim of a paused DAG's task: ok %v, %v", ok, err)
	}
	got := st.ClaimTogetherForTest([]*store.TaskClaimParams{claim("r0", "b"), claim("r1", "a"), claim("r1", "b")})
	if fmt.Sprint(got) != "[false true true]" {
		t.Fatalf("claims together: %v, want only the IgnorePause run's", got)
	}
	if _, ok, err := st.TaskClaim(ctx, claim("r1", "c")); err != nil || !ok {
		t.Fatalf("one claim of the IgnorePause run's task: ok %v, %v", ok, err)
	}
	var held []store.Queued
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		held, err = tx.TaskInstanceRequeueDag(ctx, "p", now.Add(time.Second))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(held) != 3 {
		t.Errorf("the unpause requeues %d tasks, want r0's 3: %+v", len(held), held)
	}
	if paused, err := st.DagIsPaused(ctx, "p"); err != nil || !paused {
		t.Errorf("DagIsPaused: %v %v", paused, err)
	}
}
