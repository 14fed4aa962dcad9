package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lvao/dataplatform/shared/store"
	"github.com/lvao/dataplatform/shared/store/storetest"
)

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.Open(t, 2)
	count := func() (n int) {
		_ = st.Pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables
			WHERE table_schema = $1 AND table_name IN ('dag','dag_version','dag_run','task_instance','task_attempt')`, st.Schema).Scan(&n)
		return n
	}
	if count() != 5 {
		t.Fatalf("after up: %d tables", count())
	}
	if err := st.Migrate(ctx, nil, "reset"); err != nil {
		t.Fatal(err)
	}
	if count() != 0 {
		t.Fatalf("after down: %d tables", count())
	}
	if err := st.Migrate(ctx, nil, "up"); err != nil {
		t.Fatal(err)
	}
	if count() != 5 {
		t.Fatalf("after up again: %d tables", count())
	}
	if err := st.Migrate(ctx, nil, "sideways"); err == nil {
		t.Error("unknown direction accepted")
	}
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	t.Parallel()
	schema := storetest.Schema(t)
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			st, err := store.Open(context.Background(), store.Config{URL: storetest.URL(), Schema: schema, MaxConns: 2})
			if err == nil {
				st.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestOpenErrorHidesPassword(t *testing.T) {
	t.Parallel()
	_, err := store.Open(context.Background(), store.Config{URL: "postgres://u:s3cr3tpw@127.0.0.1:1/db?connect_timeout=1"})
	if err == nil {
		t.Fatal("connected to port 1?")
	}
	if strings.Contains(err.Error(), "s3cr3tpw") {
		t.Errorf("password in error: %v", err)
	}
}

// The platform's connections use generic plans (planned once per
// prepared statement, see ConfigurePool).
func TestPoolUsesGenericPlans(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, 2)
	var mode string
	if err := st.Pool.QueryRow(context.Background(), "SHOW plan_cache_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "force_generic_plan" {
		t.Errorf("plan_cache_mode %q, want force_generic_plan", mode)
	}
}
