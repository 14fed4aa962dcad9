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
