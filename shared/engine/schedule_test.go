package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
)

var t0 = time.Date(2025, 8, 10, 12, 0, 0, 0, time.UTC)

func hourlyDAG(id string, catchup bool, maxActive int) string {
	return fmt.Sprintf(`
dag_id: %s
schedule: "0 * * * *"
start_date: 2025-08-10T07:00:00Z
catchup: %v
max_active_runs: %d
tasks:
  - {id: a, function: noop}
  - {id: b, function: noop, depends_on: [a]}
`, id, catchup, maxActive)
}

func (b *testBundle) runIDs(dagID string) []string {
	b.t.Helper()
	rows, err := b.st.Pool.Query(context.Background(), "SELECT run_id FROM dag_run WHERE dag_id = $1 ORDER BY logical_date", dagID)
	if err != nil {
		b.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// As Airflow's scheduler, catchup creates the missed runs as
// max_active_runs allows: at most that many active (queued or running)
// at a time, the next one created as soon as a run ends (not at the next
// tick), each date once.
func TestCatchupCreatesExactlyTheMissedRuns(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0.Add(30 * time.Second)}
	b := setup(t, bundleOpts{dags: []string{hourlyDAG("up", true, 2), hourlyDAG("nocatch", false, 16)}, clock: clk})
	rep := b.tick()
	// Intervals [07,08) … [11,12) have ended at 12:00:30; [12,13) has not.
	want := []string{}
	for h := 7; h <= 11; h++ {
		want = append(want, fmt.Sprintf("scheduled__2025-08-10T%02d:00:00Z", h))
	}
	if got := b.runIDs("up"); fmt.Sprint(got) != fmt.Sprint(want[:2]) {
		t.Fatalf("catchup runs after the first tick %v, want the first two (max_active_runs 2) %v", got, want[:2])
	}
	if got := b.runIDs("nocatch"); fmt.Sprint(got) != "[scheduled__2025-08-10T11:00:00Z]" {
		t.Fatalf("catchup=false runs %v, want only the latest complete interval", got)
	}
	if rep.RunsCreated != 3 {
		t.Errorf("report %+v", rep)
	}
	// max_active_runs: 2 is never exceeded (queued or running) while the
	// runs drain one message at a time, and no tick is needed between them.
	maxSeen := 0
	for {
		n := b.queryInt("SELECT count(*) FROM dag_run WHERE dag_id = 'up' AND state IN ('queued', 'running')")
		if n > maxSeen {
			maxSeen = n
		}
		if !b.pumpOne() {
			break
		}
	}
	if maxSeen != 2 {
		t.Errorf("max active runs seen %d, want 2", maxSeen)
	}
	if got := b.runIDs("up"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("catchup runs %v, want %v", got, want)
	}
	// Data interval of a scheduled run: [logical date, next tick).
	if n := b.queryInt(`SELECT count(*) FROM dag_run WHERE dag_id = 'up'
		AND data_interval_start = logical_date AND data_interval_end = logical_date + interval '1 hour'`); n != 5 {
		t.Errorf("%d runs with the cron data interval", n)
	}
	if n := b.queryInt("SELECT count(*) FROM dag_run WHERE state = 'success'"); n != 6 {
		t.Errorf("%d successful runs, want 6", n)
	}
	// A second tick in the same interval creates nothing.
	if rep := b.tick(); rep.RunsCreated != 0 {
		t.Errorf("second tick created %d runs", rep.RunsCreated)
	}
	clk.Add(time.Hour)
	if rep := b.tick(); rep.RunsCreated != 2 {
		t.Errorf("next hour created %d runs, want 2", rep.RunsCreated)
	}
}

func TestPausedDagIsNotScheduled(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	b := setup(t, bundleOpts{dags: []string{hourlyDAG("h", false, 1)}, clock: clk})
	if err := b.eng.SetPaused(context.Background(), "h", true); err != nil {
		t.Fatal(err)
	}
	b.tick()
	if got := b.runIDs("h"); len(got) != 0 {
		t.Fatalf("paused DAG got runs %v", got)
	}
	clk.Add(5 * time.Hour)
	if err := b.eng.SetPaused(context.Background(), "h", false); err != nil {
		t.Fatal(err)
	}
	b.tick()
	// catchup=false: after a long pause only the latest interval runs.
	if got := b.runIDs("h"); fmt.Sprint(got) != "[scheduled__2025-08-10T16:00:00Z]" {
		t.Fatalf("after unpause: %v", got)
	}
}

func TestConcurrentTicksNeverDuplicate(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	b := setup(t, bundleOpts{dags: []string{`
dag_id: every_minute
schedule: "* * * * *"
start_date: 2025-08-10T10:00:00Z
catchup: true
max_active_runs: 1000
tasks:
  - {id: a, function: noop}
  - {id: b, function: noop}
`}, clock: clk})
	// A second coordinator on the same database.
	other := engine.New(engine.Config{Store: b.st, Publisher: b.eng.Publisher(), Dags: b.eng.Dags, Now: clk.Now, RequeueAfter: time.Hour})
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for _, e := range []*engine.Engine{b.eng, other} {
		wg.Add(1)
		go func(e *engine.Engine) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if _, err := e.Tick(context.Background()); err != nil {
					errs <- err
				}
				if e == other {
					clk.Add(20 * time.Second)
				}
			}
		}(e)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := b.queryInt("SELECT count(*) - count(DISTINCT logical_date) FROM dag_run"); n != 0 {
		t.Errorf("%d duplicate runs", n)
	}
	// Every interval that ended by the final clock has its run.
	want := int(clk.Now().Truncate(time.Minute).Sub(time.Date(2025, 8, 10, 10, 0, 0, 0, time.UTC)) / time.Minute)
	if n := b.queryInt("SELECT count(*) FROM dag_run"); n != want {
		t.Errorf("%d runs, want %d", n, want)
	}
	seen := map[string]int{}
	b.mu.Lock()
	for _, p := range b.sent {
		seen[fmt.Sprintf("%s|%s|%d", p.msg.RunID, p.msg.TaskID, p.msg.TryNumber)]++
	}
	b.mu.Unlock()
	for k, n := range seen {
		if n != 1 {
			t.Errorf("task %s queued %d times", k, n)
		}
	}
	if len(seen) != 2*want {
		t.Errorf("%d tasks queued, want %d", len(seen), 2*want)
	}
}

func TestBackfill(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	b := setup(t, bundleOpts{dags: []string{hourlyDAG("bf", false, 16)}, clock: clk})
	b.tick() // scheduled__…T11
	ids, err := b.eng.Backfill(context.Background(), "bf", t0.Add(-3*time.Hour), t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != "[backfill__2025-08-10T09:00:00Z backfill__2025-08-10T10:00:00Z]" {
		t.Fatalf("backfill ids %v (11:00 exists already)", ids)
	}
	b.pump()
	if n := b.queryInt("SELECT count(*) FROM dag_run WHERE state = 'success'"); n != 3 {
		t.Errorf("%d runs succeeded, want 3", n)
	}
	// The same range again creates nothing.
	if again, err := b.eng.Backfill(context.Background(), "bf", t0.Add(-3*time.Hour), t0.Add(-time.Hour)); err != nil || len(again) != 0 {
		t.Errorf("second backfill created %v (err %v), want nothing", again, err)
	}
	if n := b.queryInt("SELECT count(*) FROM dag_run"); n != 3 {
		t.Errorf("%d runs after the second backfill, want 3", n)
	}
	if _, err := b.eng.Backfill(context.Background(), "bf", t0, t0.Add(-time.Hour)); err == nil {
		t.Error("reversed range accepted")
	}
}

// As Airflow's backfill, a backfill creates runs of ended intervals only
// (it created runs of future intervals, run at once on data not there
// yet, and whose dates then got no scheduled run); a range wholly in the
// future is refused.
func TestBackfillSkipsIntervalsNotEnded(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0.Add(30 * time.Minute)} // 12:30: 11:00–12:00 is the last ended interval
	b := setup(t, bundleOpts{dags: []string{hourlyDAG("bff", false, 16)}, clock: clk})
	ids, err := b.eng.Backfill(context.Background(), "bff", t0.Add(-time.Hour), t0.Add(3*time.Hour))
	if err != nil || fmt.Sprint(ids) != "[backfill__2025-08-10T11:00:00Z]" {
		t.Fatalf("backfill ids %v (%v), want the 11:00 run only", ids, err)
	}
	_, err = b.eng.Backfill(context.Background(), "bff", t0, t0.Add(3*time.Hour))
	var ie *engine.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "ends in the future") {
		t.Fatalf("future range: %v, want an input error", err)
	}
}

// A scheduled DAG that cannot be scheduled (here a param without default,
// which validation refuses in files but a deployed spec may still carry)
// is skipped and named in the tick's error; the other DAGs get their runs.
func TestUnschedulableDagDoesNotStopTheOthers(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	b := setup(t, bundleOpts{dags: []string{hourlyDAG("good", false, 1), hourlyDAG("bad", false, 1)}, clock: clk})
	ctx := context.Background()
	spec, _ := b.set.Get("bad")
	spec.Params = append(spec.Params, dag.Param{Name: "region", Type: "string"})
	if err := b.eng.SyncDags(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := b.eng.Tick(ctx)
	if err == nil || !strings.Contains(err.Error(), "DAG bad cannot be scheduled") || !strings.Contains(err.Error(), "region") {
		t.Fatalf("tick error %v, want one naming DAG bad and its param", err)
	}
	if got := b.runIDs("good"); fmt.Sprint(got) != "[scheduled__2025-08-10T11:00:00Z]" || rep.RunsCreated != 1 {
		t.Fatalf("good DAG runs %v (report %+v)", got, rep)
	}
	if got := b.runIDs("bad"); len(got) != 0 {
		t.Fatalf("bad DAG runs %v", got)
	}
}
