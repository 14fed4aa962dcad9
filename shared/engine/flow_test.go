package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/store"
)

func fanDAG(id string, width int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "dag_id: %s\ntasks:\n  - {id: start, function: noop}\n", id)
	var mids []string
	for i := 0; i < width; i++ {
		fmt.Fprintf(&b, "  - {id: m%03d, function: noop, depends_on: [start]}\n", i)
		mids = append(mids, fmt.Sprintf("m%03d", i))
	}
	fmt.Fprintf(&b, "  - {id: end, function: noop, depends_on: [%s]}\n", strings.Join(mids, ", "))
	return b.String()
}

// A 200-task fan-out/fan-in, with and without every message delivered
// twice: the parallel claims and completions (coalesced into batches when
// they arrive together) each happen once.
func TestFanOutFanIn200Tasks(t *testing.T) {
	t.Parallel()
	for _, dup := range []float64{0, 1} {
		t.Run(fmt.Sprintf("duplicate=%v", dup), func(t *testing.T) {
			t.Parallel()
			fanOutFanIn(t, dup)
		})
	}
}

func fanOutFanIn(t *testing.T, dup float64) {
	b := setup(t, bundleOpts{dags: []string{fanDAG("fan", 198)}, async: true, duplicate: dup})
	run := b.trigger("fan", nil)
	if end := b.wait("fan", run.RunID, 60*time.Second); end.State != "success" {
		t.Fatalf("run ended %s", end.State)
	}
	doc := b.doc("fan", run.RunID)
	if len(doc.Tasks) != 200 {
		t.Fatalf("%d tasks, want 200", len(doc.Tasks))
	}
	for _, ti := range doc.Tasks {
		if ti.State != "success" || ti.TryNumber != 1 {
			t.Errorf("task %s: %s try %d", ti.TaskID, ti.State, ti.TryNumber)
		}
	}
	if doc.Tasks[0].TaskID != "start" || doc.Tasks[199].TaskID != "end" {
		t.Errorf("tasks not in DAG order: first %s last %s", doc.Tasks[0].TaskID, doc.Tasks[199].TaskID)
	}
	if n := b.queryInt("SELECT count(*) FROM task_attempt WHERE completions = 1 AND state = 'success'"); n != 200 {
		t.Errorf("%d attempts completed once, want 200", n)
	}
	// Parallel completions were each folded into the counts exactly once.
	if n := b.queryInt("SELECT up_success FROM task_instance WHERE task_id = 'end'"); n != 198 {
		t.Errorf("end counts %d successful upstream tasks, want 198", n)
	}
	if n := b.queryInt("SELECT count(*) FROM task_instance WHERE pending"); n != 0 {
		t.Errorf("%d completions still pending", n)
	}
	if n := b.queryInt("SELECT tasks_unfinished FROM dag_run"); n != 0 {
		t.Errorf("tasks_unfinished %d, want 0", n)
	}
	if execs := b.eachAttemptRanOnce(t); execs != 200 {
		t.Errorf("%d attempts ran, want 200", execs)
	}
	if dup == 1 && b.mem.Stats().Duplicated == 0 {
		t.Error("no message was duplicated")
	}
}

// mixedDAG exercises failures, retries, trigger rules and short-circuit.
const mixedDAG = `
dag_id: mixed
default_args: {retries: 1, retry_delay: 0s}
tasks:
  - {id: a, function: noop}
  - {id: flaky, function: flaky, depends_on: [a]}
  - {id: echo, function: echo, depends_on: [flaky], args: {who: "{{ run_id }}"}}
  - {id: bad, function: fail, depends_on: [a]}
  - {id: after_bad, function: noop, depends_on: [bad]}
  - {id: cleanup, function: noop, depends_on: [bad, echo], trigger_rule: all_done}
  - {id: on_fail, function: noop, depends_on: [bad], trigger_rule: one_failed}
  - {id: short, function: short, depends_on: [a]}
  - {id: skipped1, function: noop, depends_on: [short]}
  - {id: skipped2, function: noop, depends_on: [skipped1]}
  - {id: after_skip, function: noop, depends_on: [skipped1], trigger_rule: none_failed}
  - {id: boom, function: panic, depends_on: [a], retries: 0}
  - {id: always, function: noop, depends_on: [boom], trigger_rule: always}
`

var mixedWant = map[string]string{
	"a": "success", "flaky": "success", "echo": "success", "bad": "failed", "after_bad": "upstream_failed",
	"cleanup": "success", "on_fail": "success", "short": "success", "skipped1": "skipped", "skipped2": "skipped",
	"after_skip": "success", "boom": "failed", "always": "success",
}

func TestMixedRunStates(t *testing.T) {
	t.Parallel()
	for _, dup := range []float64{0, 1} {
		t.Run(fmt.Sprintf("duplicate=%v", dup), func(t *testing.T) {
			t.Parallel()
			b := setup(t, bundleOpts{dags: []string{mixedDAG}, async: true, duplicate: dup})
			run := b.trigger("mixed", nil)
			if end := b.wait("mixed", run.RunID, 30*time.Second); end.State != "failed" {
				t.Errorf("run ended %s, want failed (leaf after_bad is upstream_failed)", end.State)
			}
			doc := b.doc("mixed", run.RunID)
			for task, want := range mixedWant {
				if got := states(doc)[task]; got != want {
					t.Errorf("%s: %s, want %s", task, got, want)
				}
			}
			tries := map[string]int{}
			for _, ti := range doc.Tasks {
				tries[ti.TaskID] = ti.TryNumber
				if ti.TaskID == "echo" {
					var res struct {
						Args     map[string]any `json:"args"`
						Upstream string         `json:"upstream"`
					}
					_ = json.Unmarshal(ti.Result, &res)
					if res.Args["who"] != run.RunID || res.Upstream != `{"try": 2}` {
						t.Errorf("echo result %s", ti.Result)
					}
				}
				if ti.TaskID == "boom" && !strings.Contains(ti.Error, "task exploded") {
					t.Errorf("panic error %q", ti.Error)
				}
			}
			if tries["flaky"] != 2 || tries["bad"] != 2 || tries["boom"] != 1 {
				t.Errorf("tries %v", tries)
			}
			// Each attempt's code ran once and completed once.
			b.eachAttemptRanOnce(t)
			if n := b.queryInt("SELECT count(*) FROM task_attempt WHERE completions <> 1"); n != 0 {
				t.Errorf("%d attempts not completed exactly once", n)
			}
			if dup == 1 && b.mem.Stats().Duplicated == 0 {
				t.Error("no message was duplicated")
			}
		})
	}
}

func TestTriggerValidatesConf(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{dags: []string{`
dag_id: p
params:
  n: {type: integer, default: 3}
  flag: {type: boolean, default: false}
  mode: {type: string, default: a, enum: [a, b]}
tasks: [{id: x, function: noop, args: {n: "{{ params.n }}"}}]
`}})
	ctx := context.Background()
	for _, conf := range []map[string]any{{"nope": 1}, {"n": "three"}, {"n": 1.5}, {"flag": "yes"}, {"mode": "c"}} {
		_, _, err := b.eng.Trigger(ctx, engine.TriggerParams{DagID: "p", Conf: conf})
		var in *engine.InputError
		if !errors.As(err, &in) {
			t.Errorf("conf %v: err %v, want InputError", conf, err)
		}
	}
	if n := b.queryInt("SELECT count(*) FROM dag_run"); n != 0 {
		t.Errorf("%d runs created from bad conf", n)
	}
	_, _, err := b.eng.Trigger(ctx, engine.TriggerParams{DagID: "missing"})
	if !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("unknown DAG: %v", err)
	}
	run := b.trigger("p", map[string]any{"n": 7.0})
	b.pump()
	doc := b.doc("p", run.RunID)
	if doc.State != "success" || string(doc.Conf) != `{"n": 7}` {
		t.Errorf("run %s conf %s", doc.State, doc.Conf)
	}
}

func TestExecutionTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{dags: []string{`
dag_id: slow
tasks: [{id: s, function: block, execution_timeout: 100ms}]
`}})
	run := b.trigger("slow", nil)
	b.pump()
	doc := b.doc("slow", run.RunID)
	if doc.State != "failed" || doc.Tasks[0].State != "failed" || !strings.Contains(doc.Tasks[0].Error, "execution_timeout of 100ms exceeded") {
		t.Fatalf("run %s task %+v", doc.State, doc.Tasks[0])
	}
}

func TestClearAndMark(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{dags: []string{`
dag_id: chain
tasks:
  - {id: a, function: fail}
  - {id: b, function: noop, depends_on: [a]}
  - {id: c, function: noop, depends_on: [b]}
`}})
	ctx := context.Background()
	run := b.trigger("chain", nil)
	b.pump()
	if got := states(b.doc("chain", run.RunID)); got["a"] != "failed" || got["b"] != "upstream_failed" || got["c"] != "upstream_failed" {
		t.Fatalf("after failure: %v", got)
	}
	// As Airflow's set_task_instance_state: marking a success clears the
	// failed and upstream_failed tasks downstream, so the run resumes.
	if err := b.eng.Mark(ctx, "chain", run.RunID, "a", "success"); err != nil {
		t.Fatal(err)
	}
	if d := b.doc("chain", run.RunID); d.State != "running" || states(d)["b"] != "queued" || states(d)["c"] != "none" {
		t.Fatalf("after marking a success: run %s, tasks %v; want running, b queued, c none", d.State, states(d))
	}
	b.pump()
	d := b.doc("chain", run.RunID)
	if d.State != "success" {
		t.Fatalf("after marking a success: %s %v", d.State, states(d))
	}
	cleared, err := b.eng.Clear(ctx, engine.ClearParams{DagID: "chain", RunID: run.RunID, TaskIDs: []string{"b"}, IncludeDownstream: true})
	if err != nil || strings.Join(cleared, ",") != "b,c" {
		t.Fatalf("clear: %v %v", cleared, err)
	}
	b.pump()
	d = b.doc("chain", run.RunID)
	if d.State != "success" {
		t.Fatalf("after clear: %s %v", d.State, states(d))
	}
	for _, ti := range d.Tasks {
		// b ran once after the mark (try 1), once after the clear (try 2).
		if ti.TaskID == "b" && (ti.TryNumber != 2 || ti.LogKey != "logs/dag_id=chain/run_id="+run.RunID+"/task_id=b/attempt=2.log") {
			t.Errorf("b: %+v", ti)
		}
	}
	// Clear a again: it fails again (its code is "fail"), with a new try.
	if _, err := b.eng.Clear(ctx, engine.ClearParams{DagID: "chain", RunID: run.RunID, TaskIDs: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	b.pump()
	d = b.doc("chain", run.RunID)
	if d.Tasks[0].TryNumber != 2 || d.Tasks[0].State != "failed" || d.State != "success" {
		t.Fatalf("re-cleared a: %+v run %s", d.Tasks[0], d.State)
	}
	if err := b.eng.Mark(ctx, "chain", run.RunID, "c", "failed"); err != nil {
		t.Fatal(err)
	}
	if d := b.doc("chain", run.RunID); d.State != "failed" {
		t.Errorf("marking the leaf failed fails the run, got %s", d.State)
	}
	var in *engine.InputError
	if err := b.eng.Mark(ctx, "chain", run.RunID, "c", "running"); !errors.As(err, &in) {
		t.Errorf("bad new_state: %v", err)
	}
	if _, err := b.eng.Clear(ctx, engine.ClearParams{DagID: "chain", RunID: run.RunID, TaskIDs: []string{"zz"}}); !errors.As(err, &in) {
		t.Errorf("unknown task: %v", err)
	}
	if err := b.eng.Mark(ctx, "chain", "nope", "c", "failed"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
}

func TestPausedDagQueuesManualRuns(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{dags: []string{"dag_id: pz\npaused: true\ntasks: [{id: x, function: noop}]\n"}})
	ctx := context.Background()
	run := b.trigger("pz", nil)
	if b.pump() != 0 || b.doc("pz", run.RunID).State != "queued" {
		t.Fatal("a paused DAG's run must wait")
	}
	// dag run ignores pause, as airflow dags test.
	r2, _, err := b.eng.Trigger(ctx, engine.TriggerParams{DagID: "pz", IgnorePause: true})
	if err != nil {
		t.Fatal(err)
	}
	b.pump()
	if s := b.doc("pz", r2.RunID).State; s != "success" {
		t.Fatalf("ignore-pause run: %s", s)
	}
	if err := b.eng.SetPaused(ctx, "pz", false); err != nil {
		t.Fatal(err)
	}
	b.pump()
	if s := b.doc("pz", run.RunID).State; s != "success" {
		t.Fatalf("after unpause: %s", s)
	}
	// The spec's paused: true is the initial state only.
	if err := b.eng.SyncDags(ctx); err != nil {
		t.Fatal(err)
	}
	if n := b.queryInt("SELECT count(*) FROM dag WHERE dag_id = 'pz' AND NOT is_paused"); n != 1 {
		t.Error("sync reset the pause state")
	}
}

func TestSpecErrorsAreNamed(t *testing.T) {
	t.Parallel()
	_, err := dag.Load(dag.ValidateOptions{}, dag.DirSource(t.TempDir()))
	if err != nil {
		t.Fatalf("empty dir: %v", err)
	}
}

// TestParallelFailuresFoldedOnce: a wide fan-in whose upstream tasks fail
// and succeed in parallel; the trigger rules see every outcome once.
func TestParallelFailuresFoldedOnce(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("dag_id: pfail\ntasks:\n  - {id: start, function: noop}\n")
	var mids []string
	for i := 0; i < 60; i++ {
		fn := "noop"
		if i%2 == 1 {
			fn = "fail"
		}
		fmt.Fprintf(&b, "  - {id: m%02d, function: %s, depends_on: [start]}\n", i, fn)
		mids = append(mids, fmt.Sprintf("m%02d", i))
	}
	deps := strings.Join(mids, ", ")
	fmt.Fprintf(&b, "  - {id: done, function: noop, depends_on: [%s], trigger_rule: all_done}\n", deps)
	fmt.Fprintf(&b, "  - {id: strict, function: noop, depends_on: [%s]}\n", deps)
	b.WriteString("  - {id: after, function: noop, depends_on: [strict]}\n")
	bd := setup(t, bundleOpts{dags: []string{b.String()}, async: true, duplicate: 0.3})
	run := bd.trigger("pfail", nil)
	if end := bd.wait("pfail", run.RunID, 60*time.Second); end.State != "failed" {
		t.Fatalf("run ended %s, want failed", end.State)
	}
	st := states(bd.doc("pfail", run.RunID))
	if st["done"] != "success" || st["strict"] != "upstream_failed" || st["after"] != "upstream_failed" {
		t.Errorf("done %s, strict %s, after %s", st["done"], st["strict"], st["after"])
	}
	if n := bd.queryInt("SELECT up_success * 1000 + up_failed FROM task_instance WHERE task_id = 'done'"); n != 30030 {
		t.Errorf("done counts %d (success*1000+failed), want 30030", n)
	}
	if n := bd.queryInt("SELECT count(*) FROM task_instance WHERE pending"); n != 0 {
		t.Errorf("%d completions still pending", n)
	}
	if n := bd.queryInt("SELECT tasks_unfinished FROM dag_run"); n != 0 {
		t.Errorf("tasks_unfinished %d, want 0", n)
	}
	if n := bd.queryInt("SELECT count(*) FROM task_attempt WHERE completions <> 1"); n != 0 {
		t.Errorf("%d attempts not completed exactly once", n)
	}
}

// Marking a running task success (as Airflow's "mark success"): the task
// and its attempt are success, the attempt's code is stopped (its
// heartbeat finds the attempt no longer running) and its late completion
// changes nothing; downstream tasks run.
func TestMarkRunningTaskSuccess(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{dags: []string{"dag_id: mr\ntasks: [{id: x, function: block}, {id: y, function: noop, depends_on: [x]}]\n"},
		lease: 300 * time.Millisecond})
	b.blocked = make(chan string, 1)
	ctx := context.Background()
	run := b.trigger("mr", nil)
	done := make(chan struct{})
	go func() { b.pumpOne(); close(done) }()
	<-b.blocked
	if err := b.eng.Mark(ctx, "mr", run.RunID, "x", "success"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done: // the heartbeat stopped the attempt
	case <-time.After(30 * time.Second):
		t.Fatal("the marked attempt's code was not stopped")
	}
	b.pump()
	d := b.doc("mr", run.RunID)
	if got := states(d); d.State != "success" || got["x"] != "success" || got["y"] != "success" {
		t.Fatalf("run %s, tasks %v", d.State, got)
	}
	var state, reason string
	var completions int
	if err := b.st.Pool.QueryRow(ctx, "SELECT state, error, completions FROM task_attempt WHERE task_id = 'x'").Scan(&state, &reason, &completions); err != nil {
		t.Fatal(err)
	}
	if state != "success" || reason != "marked success while running" || completions != 1 {
		t.Errorf("x's attempt: %s %q completions %d, want success, the reason, 1", state, reason, completions)
	}
}

// As Airflow's scheduler (it does not examine a paused DAG's runs): after
// a pause, the attempt running goes on, but no task of the run starts —
// its message is answered without a claim, the tick does not republish it
// — until the unpause republishes it. A run triggered with IgnorePause
// (`local dag run`) goes on.
func TestPauseHoldsARunningRunUntilTheUnpause(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now().UTC()}
	b := setup(t, bundleOpts{clock: clk, dags: []string{"dag_id: ph\ntasks: [{id: a, function: noop}, {id: b, function: noop, depends_on: [a]}]\n"}})
	ctx := context.Background()
	run := b.trigger("ph", nil)
	if err := b.eng.SetPaused(ctx, "ph", true); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	kept, _, err := b.eng.Trigger(ctx, engine.TriggerParams{DagID: "ph", IgnorePause: true})
	if err != nil {
		t.Fatal(err)
	}
	b.pump()
	if got := states(b.doc("ph", run.RunID)); got["a"] != "queued" || got["b"] != "none" {
		t.Fatalf("paused: tasks %v, want a still queued", got)
	}
	if d := b.doc("ph", kept.RunID); d.State != "success" {
		t.Fatalf("the IgnorePause run: %s %v", d.State, states(d))
	}
	// The tick republishes tasks queued too long, not a paused DAG's.
	clk.Add(time.Hour)
	b.tick()
	if n := b.pump(); n != 0 {
		t.Fatalf("the tick republished %d messages of a paused DAG", n)
	}
	if err := b.eng.SetPaused(ctx, "ph", false); err != nil {
		t.Fatal(err)
	}
	b.pump()
	if d := b.doc("ph", run.RunID); d.State != "success" || d.Tasks[0].TryNumber != 1 {
		t.Fatalf("after the unpause: %s %+v", d.State, d.Tasks)
	}
}

// Clearing a running task: its new try waits until the running attempt
// has stopped (as Airflow's "restarting"), so two tries never overlap; the
// attempt's end releases it at once. An upstream task cleared with it runs
// first.
func TestClearRunningTaskWaitsForTheAttemptToStop(t *testing.T) {
	t.Parallel()
	b, run, done := clearWhileRunning(t, "cr")
	ctx := context.Background()
	d := b.doc("cr", run.RunID)
	if got := states(d); got["x"] != "up_for_retry" || got["u"] != "queued" || !strings.Contains(d.Tasks[1].Error, "cleared while running") {
		t.Fatalf("after the clear: %v, x's error %q", got, d.Tasks[1].Error)
	}
	// Cleared again while its attempt still stops: it waits on.
	if _, err := b.eng.Clear(ctx, engine.ClearParams{DagID: "cr", RunID: run.RunID, TaskIDs: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	if got := states(b.doc("cr", run.RunID)); got["x"] != "up_for_retry" {
		t.Fatalf("x cleared twice while its attempt runs: %v", got)
	}
	b.pumpOne() // u again: x's new try still waits for its attempt
	if got := states(b.doc("cr", run.RunID)); got["u"] != "success" || got["x"] != "up_for_retry" {
		t.Fatalf("u done, x's attempt running: %v", got)
	}
	b.mu.Lock()
	waiting := len(b.pending)
	b.mu.Unlock()
	if waiting != 0 {
		t.Fatalf("%d messages published while x's attempt runs", waiting)
	}
	select {
	case <-done: // the heartbeat found x cleared and stopped its code
	case <-time.After(30 * time.Second):
		t.Fatal("the cleared attempt was not stopped")
	}
	d = b.doc("cr", run.RunID)
	if d.Tasks[1].State != "queued" || d.Tasks[1].TryNumber != 2 {
		t.Fatalf("after the attempt stopped: x %+v", d.Tasks[1])
	}
	var attempt string
	if err := b.st.Pool.QueryRow(ctx, "SELECT error FROM task_attempt WHERE task_id = 'x' AND try_number = 1").Scan(&attempt); err != nil || attempt != "cleared while running" {
		t.Errorf("x's first attempt: %q %v", attempt, err)
	}
}

// The cleared attempt stops before the upstream task cleared with it has
// run again: the task goes back to waiting for that upstream task.
func TestClearedRunningTaskThenWaitsForItsUpstream(t *testing.T) {
	t.Parallel()
	b, run, done := clearWhileRunning(t, "cu")
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the cleared attempt was not stopped")
	}
	if got := states(b.doc("cu", run.RunID)); got["u"] != "queued" || got["x"] != "none" {
		t.Fatalf("x's attempt stopped before u ran again: %v, want u queued, x none", got)
	}
	b.pumpOne() // u again
	d := b.doc("cu", run.RunID)
	if d.Tasks[0].State != "success" || d.Tasks[1].State != "queued" || d.Tasks[1].TryNumber != 2 {
		t.Fatalf("after u: %+v", d.Tasks)
	}
}

// clearWhileRunning runs u → x (x blocks until cancelled) and clears both
// while x's first attempt runs; done closes when that attempt's handler
// has returned.
func clearWhileRunning(t *testing.T, dagID string) (*testBundle, store.Run, chan struct{}) {
	t.Helper()
	b := setup(t, bundleOpts{dags: []string{"dag_id: " + dagID + "\ntasks: [{id: u, function: noop}, {id: x, function: block, depends_on: [u]}]\n"},
		lease: 300 * time.Millisecond})
	b.blocked = make(chan string, 1)
	run := b.trigger(dagID, nil)
	b.pumpOne() // u
	done := make(chan struct{})
	go func() { b.pumpOne(); close(done) }() // x, try 1, blocks
	<-b.blocked
	if _, err := b.eng.Clear(context.Background(), engine.ClearParams{DagID: dagID, RunID: run.RunID, TaskIDs: []string{"u", "x"}}); err != nil {
		t.Fatal(err)
	}
	return b, run, done
}
