package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/queue"
)

func (b *testBundle) task(dagID, runID, taskID string) (state string, try int, nextRetry time.Time, errText string) {
	b.t.Helper()
	var nr *time.Time
	var e *string
	err := b.st.Pool.QueryRow(b.t.Context(), `SELECT state, try_number, next_retry_at, error FROM task_instance
		WHERE dag_id = $1 AND run_id = $2 AND task_id = $3`, dagID, runID, taskID).Scan(&state, &try, &nr, &e)
	if err != nil {
		b.t.Fatal(err)
	}
	if nr != nil {
		nextRetry = nr.UTC()
	}
	if e != nil {
		errText = *e
	}
	return
}

func TestRetryDelayBackoffAndCap(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	b := setup(t, bundleOpts{clock: clk, dags: []string{`
dag_id: r
tasks:
  - id: f
    function: fail
    retries: 3
    retry_delay: 1m
    retry_exponential_backoff: true
    max_retry_delay: 3m
`}})
	run := b.trigger("r", nil)
	b.pump()
	// try 1 fails at t0: wait 1m; try 2 fails: 2m; try 3 fails: 4m capped to 3m; try 4 fails for good.
	for i, wait := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute} {
		state, try, next, _ := b.task("r", run.RunID, "f")
		failedAt := clk.Now()
		if state != "up_for_retry" || try != i+1 || !next.Equal(failedAt.Add(wait)) {
			t.Fatalf("after try %d: %s try=%d next=%s, want up_for_retry next=%s", i+1, state, try, next, failedAt.Add(wait))
		}
		clk.Set(failedAt.Add(wait - time.Second))
		if rep := b.tick(); rep.Retried != 0 || b.pump() != 0 {
			t.Fatalf("retry %d queued before its delay", i+1)
		}
		clk.Set(failedAt.Add(wait))
		if rep := b.tick(); rep.Retried != 1 {
			t.Fatalf("retry %d not queued at its time: %+v", i+1, rep)
		}
		b.pump()
	}
	state, try, _, errText := b.task("r", run.RunID, "f")
	if state != "failed" || try != 4 || errText != "boom" {
		t.Fatalf("final: %s try=%d err=%q", state, try, errText)
	}
	if d := b.doc("r", run.RunID); d.State != "failed" {
		t.Fatalf("run %s", d.State)
	}
}

func TestExpiredLeaseIsRetriedThenFailed(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	b := setup(t, bundleOpts{clock: clk, lease: 30 * time.Second,
		crash: func(queue.Message) bool { return true }, // every attempt dies mid-run
		dags: []string{`
dag_id: z
tasks:
  - {id: k, function: noop, retries: 1, retry_delay: 10s}
  - {id: after, function: noop, depends_on: [k]}
`}})
	run := b.trigger("z", nil)
	b.pump()
	if state, try, _, _ := b.task("z", run.RunID, "k"); state != "running" || try != 1 {
		t.Fatalf("crashed attempt: %s try %d, want running (no completion recorded)", state, try)
	}
	clk.Add(29 * time.Second)
	if rep := b.tick(); rep.Zombies != 0 {
		t.Fatal("lease not yet expired but zombie detected")
	}
	clk.Add(2 * time.Second)
	if rep := b.tick(); rep.Zombies != 1 {
		t.Fatalf("zombie not detected: %+v", rep)
	}
	state, _, next, errText := b.task("z", run.RunID, "k")
	if state != "up_for_retry" || !next.Equal(clk.Now().Add(10*time.Second)) || !strings.Contains(errText, "zombie") {
		t.Fatalf("after zombie: %s next %s err %q", state, next, errText)
	}
	clk.Add(10 * time.Second)
	b.tick()
	b.pump() // try 2 crashes too
	clk.Add(31 * time.Second)
	b.tick()
	state, try, _, _ := b.task("z", run.RunID, "k")
	if state != "failed" || try != 2 {
		t.Fatalf("retries exhausted: %s try %d", state, try)
	}
	d := b.doc("z", run.RunID)
	if d.State != "failed" || states(d)["after"] != "upstream_failed" {
		t.Fatalf("run %s %v", d.State, states(d))
	}
	if n := b.queryInt("SELECT count(*) FROM task_attempt WHERE task_id = 'k' AND completions = 1 AND state = 'failed'"); n != 2 {
		t.Errorf("%d zombie attempts recorded failed once, want 2", n)
	}
}

func TestStaleQueuedTaskIsRepublished(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	b := setup(t, bundleOpts{clock: clk, dags: []string{"dag_id: s\ntasks: [{id: x, function: noop}]\n"}})
	run := b.trigger("s", nil)
	b.mu.Lock()
	b.pending = nil // the publish was lost
	b.mu.Unlock()
	if rep := b.tick(); rep.Republished != 0 {
		t.Fatal("republished too early")
	}
	clk.Add(time.Hour + time.Second)
	if rep := b.tick(); rep.Republished != 1 {
		t.Fatalf("not republished: %+v", rep)
	}
	if rep := b.tick(); rep.Republished != 0 {
		t.Fatal("republished twice in a row")
	}
	b.pump()
	// The republished message and a late duplicate of the original: one run of the code.
	b.mu.Lock()
	b.pending = append(b.pending, b.sent[0])
	b.mu.Unlock()
	b.pump()
	if d := b.doc("s", run.RunID); d.State != "success" {
		t.Fatalf("run %s", d.State)
	}
	if n := b.queryInt("SELECT count(*) FROM task_attempt"); n != 1 {
		t.Errorf("%d attempts", n)
	}
}

// After a tick, Linger queues a retry as soon as its delay has passed
// (within Every), instead of at the next minute's tick, and returns after
// For.
func TestLingerQueuesRetriesBetweenTicks(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	b := setup(t, bundleOpts{clock: clk, dags: []string{`
dag_id: l
tasks:
  - {id: f, function: flaky, retries: 1, retry_delay: 12s}
  - {id: after, function: noop, depends_on: [f]}
`}})
	run := b.trigger("l", nil)
	b.pump() // try 1 fails at t0: due at t0+12s
	if rep := b.tick(); rep.Retried != 0 {
		t.Fatalf("tick at t0 queued %+v", rep)
	}
	var waits []time.Duration
	var queuedAt time.Time
	n, err := b.eng.Linger(t.Context(), engine.LingerParams{For: 50 * time.Second, Every: 5 * time.Second,
		Wait: func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			clk.Add(d)
			if state, _, _, _ := b.task("l", run.RunID, "f"); state == "queued" && queuedAt.IsZero() {
				queuedAt = clk.Now().Add(-d) // queued by the previous check
			}
			return nil
		}})
	if err != nil || n != 1 {
		t.Fatalf("Linger: %d queued, %v", n, err)
	}
	// Checks at +5s, +10s, +15s: queued at +15s, the first check past +12s.
	if !queuedAt.Equal(t0.Add(15 * time.Second)) {
		t.Errorf("retry queued at %s, want %s", queuedAt, t0.Add(15*time.Second))
	}
	if !clk.Now().Equal(t0.Add(50*time.Second)) || len(waits) != 10 {
		t.Errorf("Linger returned at %s after %d waits %v, want at +50s", clk.Now(), len(waits), waits)
	}
	b.pump()
	if d := b.doc("l", run.RunID); d.State != "success" {
		t.Fatalf("run %s", d.State)
	}
}

// A cancelled context (the function's deadline) ends Linger quietly.
func TestLingerEndsWithItsContext(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{dags: []string{"dag_id: c\ntasks: [{id: a, function: noop}]\n"}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	n, err := b.eng.Linger(ctx, engine.LingerParams{For: time.Hour})
	if n != 0 || err != nil {
		t.Fatalf("Linger on a cancelled context: %d, %v", n, err)
	}
}
