package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/lvao/dataplatform/shared/store"
	"github.com/lvao/dataplatform/shared/store/storetest"
)

// TestInTxCheckPending: the pipelined transaction commits, rolls back on
// error, and leaves its connection in the pool (no reconnect per call).
func TestInTxCheckPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.Open(t, 2)
	if _, err := st.Pool.Exec(ctx, "CREATE TABLE pipe_probe (n int)"); err != nil {
		t.Fatal(err)
	}
	before := st.Pool.Stat().NewConnsCount()
	for i := 0; i < 50; i++ {
		pending, err := st.InTxCheckPending(ctx, 1, func(tx *store.Tx) error {
			return tx.ExecForTest(ctx, "INSERT INTO pipe_probe VALUES (1)")
		})
		if err != nil || pending {
			t.Fatalf("pending %v, err %v", pending, err)
		}
	}
	boom := errors.New("boom")
	if _, err := st.InTxCheckPending(ctx, 1, func(tx *store.Tx) error {
		if err := tx.ExecForTest(ctx, "INSERT INTO pipe_probe VALUES (2)"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	var n, two int
	if err := st.Pool.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE n = 2) FROM pipe_probe").Scan(&n, &two); err != nil {
		t.Fatal(err)
	}
	if n != 50 || two != 0 {
		t.Errorf("%d rows (%d rolled-back ones), want 50 (0)", n, two)
	}
	if d := st.Pool.Stat().NewConnsCount() - before; d > 2 {
		t.Errorf("%d new connections for 51 transactions", d)
	}
}

// TestPendingTakenOnceUnderTheRunLock: the primitives of the completion
// protocol. A pending outcome is taken only by the holder of the run's
// lock, once; a transaction that finds the lock held takes nothing; the
// tick's safety net sees a running run with a pending outcome.
func TestPendingTakenOnceUnderTheRunLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.Open(t, 3)
	var runPK int64
	err := st.Pool.QueryRow(ctx, `INSERT INTO dag_run (dag_id, run_id, run_type, version_hash, state, logical_date,
		data_interval_start, data_interval_end, queued_at, tasks_unfinished)
		VALUES ('d', 'r', 'manual', 'h', 'running', now(), now(), now(), now(), 2) RETURNING id`).Scan(&runPK)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO task_instance (run_pk, task_id, dag_id, run_id, function, state, max_tries, pending)
		VALUES ($1, 'a', 'd', 'r', 'noop', 'success', 1, true), ($1, 'b', 'd', 'r', 'noop', 'queued', 1, false)`, runPK); err != nil {
		t.Fatal(err)
	}
	var stuck []store.Run
	if err := st.InTx(ctx, func(tx *store.Tx) (err error) { stuck, err = tx.RunLockActiveMany(ctx, 10); return err }); err != nil {
		t.Fatal(err)
	}
	if len(stuck) != 1 {
		t.Errorf("safety net: %d runs, want the run with a pending outcome", len(stuck))
	}
	// Another transaction holds the run's lock: nothing is taken.
	holder, err := st.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, "SELECT 1 FROM dag_run WHERE id = $1 FOR NO KEY UPDATE", runPK); err != nil {
		t.Fatal(err)
	}
	again, err := st.InTxCheckPendingRuns(ctx, func(tx *store.Tx) error {
		taken, err := tx.RunsTryLockTakePending(ctx, []int64{runPK}, true)
		if len(taken) > 0 {
			t.Errorf("lock held elsewhere: taken %+v", taken)
		}
		return err
	}, func() []int64 { return []int64{runPK} })
	if err != nil || len(again) != 1 {
		t.Fatalf("check after commit: pending %v, err %v", again, err)
	}
	_ = holder.Rollback(ctx)
	// Free: taken once, with its state; the check after commit sees none.
	for i, want := range []int{1, 0} {
		again, err := st.InTxCheckPendingRuns(ctx, func(tx *store.Tx) error {
			taken, err := tx.RunsTryLockTakePending(ctx, []int64{runPK}, true)
			if len(taken) != 1 || taken[0].Run.RunID != "r" || len(taken[0].Pending) != want ||
				(want == 1 && taken[0].Pending[0] != store.Pending{TaskID: "a", State: "success"}) {
				t.Errorf("take %d: taken %+v", i, taken)
			}
			return err
		}, func() []int64 { return []int64{runPK} })
		if err != nil || len(again) != 0 {
			t.Fatalf("take %d: pending after commit %v, err %v", i, again, err)
		}
	}
}
