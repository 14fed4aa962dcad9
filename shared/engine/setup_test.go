package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/runtime"
	"github.com/lvao/dataplatform/shared/store"
	"github.com/lvao/dataplatform/shared/store/storetest"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// bundleOpts configures setup.
type bundleOpts struct {
	dags []string // YAML texts
	// async delivers through the in-process queue; otherwise messages are
	// collected and delivered by pump (deterministic).
	async     bool
	duplicate float64
	crash     func(queue.Message) bool
	lease     time.Duration
	clock     *clock
}

type testBundle struct {
	t     *testing.T
	st    *store.Store
	eng   *engine.Engine
	set   *dag.Set
	mem   *queue.Memory
	h     map[string]*runtime.Handler
	execs sync.Map // "run|task|try" -> *atomic.Int32

	// blocked, if set, receives the id of each task the block function
	// starts.
	blocked chan string

	mu      sync.Mutex
	pending []published
	sent    []published
	ends    map[string]chan engine.RunEnd
}

type published struct {
	function string
	msg      queue.Message
}

// testTasks are the task functions of the test bundle.
func (b *testBundle) testTasks() map[string]runtime.TaskFunc {
	count := func(t *runtime.Task) {
		v, _ := b.execs.LoadOrStore(fmt.Sprintf("%s|%s|%d", t.RunID, t.TaskID, t.TryNumber), new(atomic.Int32))
		v.(*atomic.Int32).Add(1)
	}
	return map[string]runtime.TaskFunc{
		"noop": func(ctx context.Context, t *runtime.Task) (any, error) { count(t); return nil, nil },
		"fail": func(ctx context.Context, t *runtime.Task) (any, error) {
			count(t)
			return nil, errors.New("boom")
		},
		"flaky": func(ctx context.Context, t *runtime.Task) (any, error) {
			count(t)
			if t.TryNumber == 1 {
				return nil, errors.New("first try fails")
			}
			return map[string]any{"try": t.TryNumber}, nil
		},
		"block": func(ctx context.Context, t *runtime.Task) (any, error) {
			count(t)
			if b.blocked != nil {
				b.blocked <- t.TaskID
			}
			<-ctx.Done()
			return nil, ctx.Err()
		},
		"short": func(ctx context.Context, t *runtime.Task) (any, error) {
			count(t)
			return map[string]any{"skip_downstream": true}, nil
		},
		"panic": func(ctx context.Context, t *runtime.Task) (any, error) {
			count(t)
			panic("task exploded")
		},
		"echo": func(ctx context.Context, t *runtime.Task) (any, error) {
			count(t)
			up, err := t.UpstreamResult(ctx, "flaky")
			if err != nil {
				return nil, err
			}
			return map[string]any{"args": t.Args, "upstream": string(up)}, nil
		},
	}
}

func setup(t *testing.T, o bundleOpts) *testBundle {
	t.Helper()
	b := &testBundle{t: t, h: map[string]*runtime.Handler{}, ends: map[string]chan engine.RunEnd{}}
	tasks := b.testTasks()
	fns := map[string]bool{}
	for n := range tasks {
		fns[n] = true
	}
	files := fstest.MapFS{}
	for i, y := range o.dags {
		files[fmt.Sprintf("dag%d.yaml", i)] = &fstest.MapFile{Data: []byte(y)}
	}
	set, err := dag.Load(dag.ValidateOptions{Functions: fns}, dag.Source{FS: files, Dir: ".", Name: "test"})
	if err != nil {
		t.Fatalf("test DAGs: %v", err)
	}
	b.set = set
	b.st = storetest.Open(t, 20)
	now := time.Now
	if o.clock != nil {
		now = o.clock.Now
	}
	var pub queue.Publisher = queue.PublisherFunc(func(ctx context.Context, fn string, body []byte) error {
		m, err := queue.Decode(body)
		if err != nil {
			return err
		}
		b.mu.Lock()
		b.pending = append(b.pending, published{fn, m})
		b.sent = append(b.sent, published{fn, m})
		b.mu.Unlock()
		return nil
	})
	if o.async {
		b.mem = queue.NewMemory(queue.MemoryConfig{
			DuplicateRate: o.duplicate, VisibilityTimeout: 50 * time.Millisecond, MaxInFlight: 10, Seed: 42,
			Deliver: func(ctx context.Context, fn string, body []byte) int {
				m, err := queue.Decode(body)
				if err != nil {
					return http.StatusBadRequest
				}
				code, _ := b.h[fn].Run(ctx, m, "test")
				return code
			},
		})
		t.Cleanup(b.mem.Close)
		pub = b.mem
	}
	b.eng = engine.New(engine.Config{Store: b.st, Publisher: pub, Dags: func() *dag.Set { return set }, Now: now,
		RequeueAfter: time.Hour, OnRunEnd: b.onEnd})
	for n, fn := range tasks {
		b.h[n] = runtime.NewHandler(runtime.Config{Engine: b.eng, Function: n, Task: fn, Lease: o.lease, Crash: o.crash, Now: now})
	}
	if err := b.eng.SyncDags(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *testBundle) endChan(runID string) chan engine.RunEnd {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.ends[runID]
	if !ok {
		c = make(chan engine.RunEnd, 8)
		b.ends[runID] = c
	}
	return c
}

func (b *testBundle) onEnd(r engine.RunEnd) { b.endChan(r.RunID) <- r }

// wait blocks until the run ends (async mode).
func (b *testBundle) wait(dagID, runID string, timeout time.Duration) engine.RunEnd {
	b.t.Helper()
	select {
	case r := <-b.endChan(runID):
		return r
	case <-time.After(timeout):
		doc, _ := b.eng.GetRun(context.Background(), dagID, runID)
		b.t.Fatalf("run %s did not end within %s: %+v", runID, timeout, doc)
		return engine.RunEnd{}
	}
}

// pump delivers pending messages synchronously until none is left.
func (b *testBundle) pump() int {
	b.t.Helper()
	n := 0
	for {
		b.mu.Lock()
		if len(b.pending) == 0 {
			b.mu.Unlock()
			return n
		}
		p := b.pending[0]
		b.pending = b.pending[1:]
		b.mu.Unlock()
		b.h[p.function].Run(context.Background(), p.msg, "test")
		n++
	}
}

// pumpOne delivers the oldest pending message.
func (b *testBundle) pumpOne() bool {
	b.mu.Lock()
	if len(b.pending) == 0 {
		b.mu.Unlock()
		return false
	}
	p := b.pending[0]
	b.pending = b.pending[1:]
	b.mu.Unlock()
	b.h[p.function].Run(context.Background(), p.msg, "test")
	return true
}

func (b *testBundle) trigger(dagID string, conf map[string]any) store.Run {
	b.t.Helper()
	run, created, err := b.eng.Trigger(context.Background(), engine.TriggerParams{DagID: dagID, Conf: conf})
	if err != nil || !created {
		b.t.Fatalf("trigger %s: created=%v err=%v", dagID, created, err)
	}
	return run
}

func (b *testBundle) doc(dagID, runID string) engine.RunDoc {
	b.t.Helper()
	d, err := b.eng.GetRun(context.Background(), dagID, runID)
	if err != nil {
		b.t.Fatal(err)
	}
	return d
}

func states(d engine.RunDoc) map[string]string {
	out := map[string]string{}
	for _, t := range d.Tasks {
		out[t.TaskID] = t.State
	}
	return out
}

func (b *testBundle) tick() engine.TickReport {
	b.t.Helper()
	rep, err := b.eng.Tick(context.Background())
	if err != nil {
		b.t.Fatalf("tick: %v", err)
	}
	return rep
}

// eachAttemptRanOnce reports the attempts whose task code ran more than
// once and returns how many attempts ran.
func (b *testBundle) eachAttemptRanOnce(t *testing.T) int {
	t.Helper()
	n := 0
	b.execs.Range(func(k, v any) bool {
		n++
		if runs := v.(*atomic.Int32).Load(); runs != 1 {
			t.Errorf("attempt %s ran %d times", k, runs)
		}
		return true
	})
	return n
}

// queryInt runs a COUNT-like query in the test schema.
func (b *testBundle) queryInt(sql string, args ...any) int {
	b.t.Helper()
	var n int
	if err := b.st.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		b.t.Fatalf("%s: %v", sql, err)
	}
	return n
}
