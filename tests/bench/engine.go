package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lvao/dataplatform/shared/builtin"
	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/runtime"
	"github.com/lvao/dataplatform/shared/store"
)

// engineBench wires an engine the way shared/engine/setup_test.go does in
// async mode: a store in its own schema, the in-process queue delivering
// to the task runtime's handler of the built-in noop function.
type engineBench struct {
	o      options
	schema string
	st     *store.Store
	set    *dag.Set
	eng    *engine.Engine
	mem    *queue.Memory
	h      *runtime.Handler
	ends   chan engine.RunEnd
	dead   atomic.Int64
	pgw    *pgWait
	tr     *stmtTracer
	// published holds when each message was published, by run_id|task_id
	// (every attempt is the first try here), to split latency into the
	// engine's part and the queue's.
	published sync.Map
}

// newSchema returns a fresh schema name.
func newSchema(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("bench_%s_%s", prefix, hex.EncodeToString(b))
}

// dropSchema drops a schema on its own connection.
func dropSchema(url, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

// withAppName tags the benchmark's connections (for pg_stat_activity).
func withAppName(url, name string) string {
	sep := "?"
	for _, c := range url {
		if c == '?' {
			sep = "&"
		}
	}
	return url + sep + "application_name=" + name
}

func newEngineBench(ctx context.Context, o options, prefix string, specs ...*dag.Spec) (*engineBench, error) {
	b := &engineBench{o: o, schema: newSchema(prefix), ends: make(chan engine.RunEnd, 1<<16)}
	files := fstest.MapFS{}
	for i, s := range specs {
		data, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		files[fmt.Sprintf("dag%d.json", i)] = &fstest.MapFile{Data: data}
	}
	set, err := dag.Load(dag.ValidateOptions{Functions: map[string]bool{"noop": true}}, dag.Source{FS: files, Dir: ".", Name: "bench"})
	if err != nil {
		return nil, fmt.Errorf("bench DAGs: %w", err)
	}
	b.set = set
	st, err := store.Open(ctx, store.Config{URL: withAppName(o.URL, "bench_engine"), Schema: b.schema, MaxConns: o.PoolConns})
	if err != nil {
		_ = dropSchema(o.URL, b.schema)
		return nil, err
	}
	if o.Trace {
		b.tr = newStmtTracer()
		if st, err = tracedStore(ctx, withAppName(o.URL, "bench_engine"), st, o.PoolConns, b.tr); err != nil {
			_ = dropSchema(o.URL, b.schema)
			return nil, err
		}
	}
	b.st = st
	b.mem = queue.NewMemory(queue.MemoryConfig{
		MaxInFlight: o.InFlight, VisibilityTimeout: time.Second,
		Deliver: func(ctx context.Context, fn string, body []byte) int {
			m, err := queue.Decode(body)
			if err != nil {
				return http.StatusBadRequest
			}
			code, _ := b.h.Run(ctx, m, "")
			return code
		},
		OnDeadLetter: func(queue.DeadLetter) { b.dead.Add(1) },
	})
	pub := queue.PublisherFunc(func(ctx context.Context, fn string, body []byte) error {
		if m, err := queue.Decode(body); err == nil {
			b.published.Store(m.RunID+"|"+m.TaskID, time.Now())
		}
		return b.mem.Publish(ctx, fn, body)
	})
	b.eng = engine.New(engine.Config{Store: st, Publisher: pub, Dags: func() *dag.Set { return set },
		RequeueAfter: time.Hour, OnRunEnd: func(r engine.RunEnd) {
			select {
			case b.ends <- r:
			default: // must not block; never happens with the buffer above
			}
		}})
	b.h = runtime.NewHandler(runtime.Config{Engine: b.eng, Function: "noop", Task: builtin.Noop})
	if err := b.eng.SyncDags(ctx); err != nil {
		b.close()
		return nil, err
	}
	if o.PGWait {
		b.pgw = startPGWait(o.URL, "bench_engine")
	}
	return b, nil
}

// close stops the queue, closes the pool and drops the schema.
func (b *engineBench) close() {
	b.mem.Close()
	b.st.Close()
	_ = dropSchema(b.o.URL, b.schema)
}

// waitEnds waits for n run ends; it fails on a timeout or a failed run.
func (b *engineBench) waitEnds(ctx context.Context, n int, deadline time.Time) (last time.Time, err error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for i := 0; i < n; i++ {
		select {
		case r := <-b.ends:
			last = time.Now()
			if r.State != "success" {
				return last, fmt.Errorf("run %s of %s ended %s", r.RunID, r.DagID, r.State)
			}
		case <-timer.C:
			return last, fmt.Errorf("timed out: %d of %d runs ended", i, n)
		case <-ctx.Done():
			return last, ctx.Err()
		}
	}
	return last, nil
}

// taskCounts counts task instances by state.
func (b *engineBench) taskCounts(ctx context.Context) map[string]int {
	out := map[string]int{}
	rows, err := b.st.Pool.Query(ctx, "SELECT state, count(*) FROM task_instance GROUP BY state")
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int
		if rows.Scan(&s, &n) == nil {
			out[s] = n
		}
	}
	return out
}

// notes adds the queue's statistics and the wait samples to r.
func (b *engineBench) notes(r *Result) {
	s := b.mem.Stats()
	for i := 0; i < 100 && s.Delivered < s.Published; i++ { // the last delivery returns just after its run ended
		time.Sleep(time.Millisecond)
		s = b.mem.Stats()
	}
	r.Notes = append(r.Notes, fmt.Sprintf("queue: published %d, delivered %d, redelivered %d, dead-lettered %d",
		s.Published, s.Delivered, s.Redelivered, s.DeadLettered))
	if b.pgw != nil {
		r.Notes = append(r.Notes, b.pgw.stop()...)
	}
	r.PGCPU, _ = backendCPU(context.Background(), b.o.URL, "bench_engine")
	if b.tr != nil {
		r.Notes = append(r.Notes, b.tr.notes(r.Count, r.Unit)...)
	}
}

func noopTask(id string, deps ...string) dag.Task {
	return dag.Task{ID: id, Function: "noop", DependsOn: deps}
}

// wideSpec is 1 start -> n-2 parallel -> 1 end.
func wideSpec(n int) *dag.Spec {
	mid := make([]string, 0, n-2)
	tasks := []dag.Task{noopTask("start")}
	for i := 0; i < n-2; i++ {
		id := fmt.Sprintf("t%05d", i)
		mid = append(mid, id)
		tasks = append(tasks, noopTask(id, "start"))
	}
	tasks = append(tasks, noopTask("end", mid...))
	return &dag.Spec{DagID: "bench_wide", Tasks: tasks, MaxActiveRuns: 1}
}

// chainSpec is n tasks in a line.
func chainSpec(id string, n, maxActive int) *dag.Spec {
	tasks := []dag.Task{noopTask("t00")}
	for i := 1; i < n; i++ {
		tasks = append(tasks, noopTask(fmt.Sprintf("t%02d", i), fmt.Sprintf("t%02d", i-1)))
	}
	return &dag.Spec{DagID: id, Tasks: tasks, MaxActiveRuns: maxActive}
}

// benchWide measures one run of the wide DAG.
func benchWide(ctx context.Context, o options, logf func(string, ...any)) (Result, error) {
	r := Result{Scenario: "Engine: wide DAG (1 → " + fmt.Sprint(o.WideTasks-2) + " → 1), one run", Kind: "engine", Count: o.WideTasks, Unit: "tasks"}
	b, err := newEngineBench(ctx, o, "wide", wideSpec(o.WideTasks))
	if err != nil {
		return r, err
	}
	defer b.close()
	start := time.Now()
	run, _, err := b.eng.Trigger(ctx, engine.TriggerParams{DagID: "bench_wide", IgnorePause: true})
	if err != nil {
		return r, err
	}
	r.Notes = append(r.Notes, fmt.Sprintf("trigger (creates %d task instances) took %s", o.WideTasks, time.Since(start).Round(time.Millisecond)))
	end, err := b.waitEnds(ctx, 1, start.Add(o.Timeout))
	b.notes(&r)
	if err != nil {
		c := b.taskCounts(context.Background())
		el := time.Since(start)
		r.Notes = append(r.Notes, fmt.Sprintf("after %s: %d tasks succeeded (%.0f tasks/s), states %v",
			el.Round(time.Second), c["success"], float64(c["success"])/el.Seconds(), c))
		return r, err
	}
	r.Wall = end.Sub(start)
	lat, err := b.latencies(ctx, run.PK, false)
	if err == nil {
		r.Latency = lat
		r.LatencyNote = "start → each parallel task (fan-out: includes waiting for a queue slot)"
	}
	return r, nil
}

// benchChain measures many chain runs triggered up front: the DAG is
// paused while the runs are triggered (they wait queued), then unpaused,
// which starts them all at once (max_active_runs = runs). The main result
// runs from the first Trigger to the last run's end (like River's, which
// includes InsertMany); Extra is the execution alone, from unpause.
func benchChain(ctx context.Context, o options, logf func(string, ...any)) (Result, error) {
	r := Result{Scenario: fmt.Sprintf("Engine: %s runs of a %d-task chain, triggered up front (first Trigger → last run end)", thousands(o.ChainRuns), o.ChainLen),
		Kind: "engine", Peer: "river-calls", Count: o.ChainRuns * o.ChainLen, Unit: "tasks"}
	spec := chainSpec("bench_chain", o.ChainLen, o.ChainRuns)
	spec.Paused = true
	b, err := newEngineBench(ctx, o, "chain", spec)
	if err != nil {
		return r, err
	}
	defer b.close()
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	tstart := time.Now()
	for i := 0; i < o.ChainRuns; i++ {
		if _, _, err := b.eng.Trigger(ctx, engine.TriggerParams{DagID: "bench_chain", LogicalDate: base.Add(time.Duration(i) * time.Second)}); err != nil {
			return r, fmt.Errorf("trigger %d: %w", i, err)
		}
	}
	tdur := time.Since(tstart)
	r.Notes = append(r.Notes, fmt.Sprintf("triggering the %d runs (Trigger one after another while the DAG is paused: they wait queued) took %s, %.0f runs/s",
		o.ChainRuns, tdur.Round(time.Millisecond), float64(o.ChainRuns)/tdur.Seconds()))
	start := time.Now()
	if err := b.eng.SetPaused(ctx, "bench_chain", false); err != nil {
		return r, err
	}
	r.Notes = append(r.Notes, fmt.Sprintf("unpausing (starts the %d runs in one transaction and publishes their first tasks) took %s",
		o.ChainRuns, time.Since(start).Round(time.Millisecond)))
	end, err := b.waitEnds(ctx, o.ChainRuns, start.Add(o.Timeout))
	b.notes(&r)
	if err != nil {
		c := b.taskCounts(context.Background())
		r.Notes = append(r.Notes, fmt.Sprintf("task states %v", c))
		return r, err
	}
	r.Wall = end.Sub(tstart)
	r.Extra = &Result{Scenario: fmt.Sprintf("Engine: the same %s runs, execution only (unpause → last run end)", thousands(o.ChainRuns)),
		Kind: "engine", Count: r.Count, Unit: r.Unit, Wall: end.Sub(start)}
	if r.Latency, err = b.latencies(ctx, 0, true); err != nil {
		return r, err
	}
	r.LatencyNote = fmt.Sprintf("upstream ended_at → downstream started_at with %s runs in flight (mostly waiting for a queue slot: MaxInFlight %d)", thousands(o.ChainRuns), o.InFlight)
	return r, nil
}

// benchBackfill creates the chain's runs with one Backfill call (one
// transaction for all of them, as River's InsertMany for its jobs), which
// starts them at once (max_active_runs = runs).
func benchBackfill(ctx context.Context, o options, logf func(string, ...any)) (Result, error) {
	r := Result{Scenario: fmt.Sprintf("Engine: %s runs of a %d-task chain, created by one backfill (Backfill call → last run end)", thousands(o.ChainRuns), o.ChainLen),
		Kind: "engine", Count: o.ChainRuns * o.ChainLen, Unit: "tasks"}
	spec := chainSpec("bench_backfill", o.ChainLen, o.ChainRuns)
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	spec.Schedule, spec.StartDate = "0 * * * *", &base
	b, err := newEngineBench(ctx, o, "backfill", spec)
	if err != nil {
		return r, err
	}
	defer b.close()
	start := time.Now()
	ids, err := b.eng.Backfill(ctx, "bench_backfill", base, base.Add(time.Duration(o.ChainRuns-1)*time.Hour))
	if err != nil {
		return r, err
	}
	if len(ids) != o.ChainRuns {
		return r, fmt.Errorf("backfill created %d runs, want %d", len(ids), o.ChainRuns)
	}
	r.Notes = append(r.Notes, fmt.Sprintf("Backfill (creates the %d runs in one transaction, then starts them in another and publishes their first tasks) returned after %s",
		o.ChainRuns, time.Since(start).Round(time.Millisecond)))
	end, err := b.waitEnds(ctx, o.ChainRuns, start.Add(o.Timeout))
	b.notes(&r)
	if err != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("task states %v", b.taskCounts(context.Background())))
		return r, err
	}
	r.Wall = end.Sub(start)
	return r, nil
}

// benchSeq runs chain runs one after another: latency without queueing.
func benchSeq(ctx context.Context, o options, logf func(string, ...any)) (Result, error) {
	r := Result{Scenario: fmt.Sprintf("Engine: %d runs of a %d-task chain, one after another (unloaded)", o.SeqRuns, o.ChainLen),
		Kind: "latency", Count: o.SeqRuns * o.ChainLen, Unit: "tasks"}
	b, err := newEngineBench(ctx, o, "seq", chainSpec("bench_seq", o.ChainLen, 1))
	if err != nil {
		return r, err
	}
	defer b.close()
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	deadline := start.Add(o.Timeout)
	for i := 0; i < o.SeqRuns; i++ {
		if _, _, err := b.eng.Trigger(ctx, engine.TriggerParams{DagID: "bench_seq", LogicalDate: base.Add(time.Duration(i) * time.Second)}); err != nil {
			return r, fmt.Errorf("trigger %d: %w", i, err)
		}
		if _, err := b.waitEnds(ctx, 1, deadline); err != nil {
			b.notes(&r)
			return r, err
		}
	}
	r.Wall = time.Since(start)
	b.notes(&r)
	if r.Latency, err = b.latencies(ctx, 0, true); err != nil {
		return r, err
	}
	r.LatencyNote = "upstream ended_at → downstream started_at, one run at a time"
	return r, nil
}

// latencies computes task-to-task latencies from task_instance rows: for a
// chain (chain=true) t(i-1).ended_at → t(i).started_at in every run; for
// the wide DAG, start.ended_at → each task's started_at in run runPK.
func (b *engineBench) latencies(ctx context.Context, runPK int64, chain bool) (*Latency, error) {
	type row struct {
		run            int64
		runID, task    string
		started, ended time.Time
	}
	q := "SELECT run_pk, run_id, task_id, started_at, ended_at FROM task_instance WHERE state = 'success'"
	args := []any{}
	if !chain {
		q += " AND run_pk = $1"
		args = append(args, runPK)
	}
	rows, err := b.st.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.run, &x.runID, &x.task, &x.started, &x.ended)
		return x, err
	})
	if err != nil {
		return nil, err
	}
	byKey := map[string]row{}
	for _, x := range all {
		byKey[fmt.Sprintf("%d/%s", x.run, x.task)] = x
	}
	var d, eng, que []time.Duration
	for _, x := range all {
		var up string
		if chain {
			var i int
			if _, err := fmt.Sscanf(x.task, "t%02d", &i); err != nil || i == 0 {
				continue
			}
			up = fmt.Sprintf("t%02d", i-1)
		} else {
			if x.task == "start" || x.task == "end" {
				continue
			}
			up = "start"
		}
		u, ok := byKey[fmt.Sprintf("%d/%s", x.run, up)]
		if !ok {
			return nil, errors.New("latency: upstream row missing for " + x.task)
		}
		d = append(d, x.started.Sub(u.ended))
		if v, ok := b.published.Load(x.runID + "|" + x.task); ok {
			p := v.(time.Time)
			eng = append(eng, p.Sub(u.ended))
			que = append(que, x.started.Sub(p))
		}
	}
	if len(d) == 0 {
		return nil, errors.New("latency: no task pairs")
	}
	l := &Latency{N: len(d)}
	l.P50, l.P99, l.Max = dist(d)
	if len(eng) == len(d) {
		l.Split = true
		l.EngP50, l.EngP99, _ = dist(eng)
		l.QueueP50, l.QueueP99, _ = dist(que)
	}
	return l, nil
}

// dist returns p50, p99 and max.
func dist(d []time.Duration) (p50, p99, mx time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return pct(d, 50), pct(d, 99), d[len(d)-1]
}

// pct is the nearest-rank percentile of sorted durations.
func pct(d []time.Duration, p int) time.Duration {
	i := (len(d)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	return d[i-1]
}
