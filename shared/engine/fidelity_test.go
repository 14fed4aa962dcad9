package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/engine"
)

// Clearing a task gives it a new try and all its retries again, the first
// of them after retry_delay (not a backed-off delay).
func TestClearGivesAllRetriesAgain(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	b := setup(t, bundleOpts{clock: clk, dags: []string{`
dag_id: cr
tasks:
  - {id: f, function: fail, retries: 2, retry_delay: 1m, retry_exponential_backoff: true, max_retry_delay: 1h}
`}})
	ctx := context.Background()
	run := b.trigger("cr", nil)
	drain := func() {
		b.pump()
		for i := 0; i < 10; i++ {
			state, _, next, _ := b.task("cr", run.RunID, "f")
			if state != "up_for_retry" {
				return
			}
			clk.Set(next)
			b.tick()
			b.pump()
		}
	}
	drain()
	if state, try, _, _ := b.task("cr", run.RunID, "f"); state != "failed" || try != 3 {
		t.Fatalf("first round: %s try %d, want failed after 3 tries", state, try)
	}
	if _, err := b.eng.Clear(ctx, engine.ClearParams{DagID: "cr", RunID: run.RunID}); err != nil {
		t.Fatal(err)
	}
	b.pump()
	state, try, next, _ := b.task("cr", run.RunID, "f")
	if state != "up_for_retry" || try != 4 || !next.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("first try after clear: %s try %d next %s, want up_for_retry try 4 next %s", state, try, next, clk.Now().Add(time.Minute))
	}
	drain()
	if state, try, _, _ := b.task("cr", run.RunID, "f"); state != "failed" || try != 6 {
		t.Fatalf("after clear: %s try %d, want failed after 3 more tries (try 6)", state, try)
	}
}

// A logical date that a backfill covered gets no scheduled run too (as
// Airflow's scheduler, which skips a date that has a run): backfilling a
// paused catchup DAG and unpausing it runs each date once.
func TestScheduledRunSkipsABackfilledDate(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0.Add(30 * time.Second)}
	b := setup(t, bundleOpts{dags: []string{hourlyDAG("bfs", true, 16)}, clock: clk})
	ctx := context.Background()
	if err := b.eng.SetPaused(ctx, "bfs", true); err != nil {
		t.Fatal(err)
	}
	ids, err := b.eng.Backfill(ctx, "bfs", t0.Add(-5*time.Hour), t0.Add(-4*time.Hour))
	if err != nil || len(ids) != 2 {
		t.Fatalf("backfill %v %v", ids, err)
	}
	if err := b.eng.SetPaused(ctx, "bfs", false); err != nil {
		t.Fatal(err)
	}
	b.tick()
	b.pump()
	if n := b.queryInt("SELECT count(*) - count(DISTINCT logical_date) FROM dag_run"); n != 0 {
		t.Errorf("%d logical dates with two runs: %v", n, b.runIDs("bfs"))
	}
	if n := b.queryInt("SELECT count(*) FROM dag_run"); n != 5 {
		t.Errorf("%d runs, want 5 (07:00 to 11:00): %v", n, b.runIDs("bfs"))
	}
}

// A manual run of a cron-scheduled DAG gets the data interval of the last
// complete period before its logical date, as Airflow's cron timetable
// infers it (infer_manual_data_interval); a DAG without schedule gets the
// empty interval at its logical date.
func TestManualRunDataInterval(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0.Add(30 * time.Minute)}
	b := setup(t, bundleOpts{clock: clk, dags: []string{hourlyDAG("mdi", false, 16), "dag_id: nosched\ntasks: [{id: x, function: noop}]\n"}})
	ctx := context.Background()
	interval := func(dagID, runID string) string {
		var s, e time.Time
		if err := b.st.Pool.QueryRow(ctx, "SELECT data_interval_start, data_interval_end FROM dag_run WHERE dag_id = $1 AND run_id = $2",
			dagID, runID).Scan(&s, &e); err != nil {
			t.Fatal(err)
		}
		return s.UTC().Format(time.RFC3339) + "/" + e.UTC().Format(time.RFC3339)
	}
	for _, c := range []struct {
		dag     string
		logical time.Time
		want    string
	}{
		{"mdi", time.Time{}, "2025-08-10T11:00:00Z/2025-08-10T12:00:00Z"},           // triggered at 12:30
		{"mdi", t0.Add(2 * time.Hour), "2025-08-10T13:00:00Z/2025-08-10T14:00:00Z"}, // on a boundary
		{"nosched", time.Time{}, "2025-08-10T12:30:00Z/2025-08-10T12:30:00Z"},
	} {
		run, _, err := b.eng.Trigger(ctx, engine.TriggerParams{DagID: c.dag, LogicalDate: c.logical})
		if err != nil {
			t.Fatal(err)
		}
		if got := interval(c.dag, run.RunID); got != c.want {
			t.Errorf("%s %s: data interval %s, want %s", c.dag, run.RunID, got, c.want)
		}
	}
}

// A catchup=false DAG at max_active_runs gets no new scheduled run (as
// Airflow's scheduler, which creates none while the DAG has that many
// active runs); once a slot is free, only the latest complete interval
// runs: scheduled runs do not pile up behind a slow one.
func TestNoCatchupAtMaxActiveRunsCreatesNoRun(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0.Add(30 * time.Second)}
	b := setup(t, bundleOpts{clock: clk, dags: []string{hourlyDAG("slowh", false, 1)}})
	b.tick() // scheduled__…T11:00, running; its first task's message is not delivered yet
	for i := 0; i < 3; i++ {
		clk.Add(time.Hour)
		if rep := b.tick(); rep.RunsCreated != 0 {
			t.Fatalf("tick at %s created %d runs while the DAG is at max_active_runs: %v", clk.Now(), rep.RunsCreated, b.runIDs("slowh"))
		}
	}
	b.pump()
	b.tick()
	b.pump()
	if got := b.runIDs("slowh"); fmt.Sprint(got) != "[scheduled__2025-08-10T11:00:00Z scheduled__2025-08-10T14:00:00Z]" {
		t.Fatalf("runs %v, want 11:00 then only the latest complete interval, 14:00", got)
	}
	if n := b.queryInt("SELECT count(*) FROM dag_run WHERE state = 'success'"); n != 2 {
		t.Errorf("%d runs succeeded, want 2", n)
	}
}

// A finished run that a clear re-opens starts anew (as Airflow resets the
// run's start_date when a clear queues it): its start and its duration are
// those of the new work, not since its first start.
func TestClearedRunStartsAnew(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	b := setup(t, bundleOpts{clock: clk, dags: []string{"dag_id: cs\ntasks: [{id: a, function: noop}, {id: b, function: noop, depends_on: [a]}]\n"}})
	ctx := context.Background()
	run := b.trigger("cs", nil)
	b.pump()
	clk.Add(24 * time.Hour)
	if _, err := b.eng.Clear(ctx, engine.ClearParams{DagID: "cs", RunID: run.RunID, TaskIDs: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	b.pump()
	d := b.doc("cs", run.RunID)
	if d.State != "success" || d.StartedAt == nil || !d.StartedAt.Equal(clk.Now()) {
		t.Fatalf("re-run %s started at %v, want success started at %v (the clear)", d.State, d.StartedAt, clk.Now())
	}
}
