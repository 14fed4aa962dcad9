package builtin_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/lvao/dataplatform/shared/builtin"
	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/runtime"
	"github.com/lvao/dataplatform/shared/store"
	"github.com/lvao/dataplatform/shared/store/storetest"
)

// env runs DAGs synchronously with the built-in functions.
type env struct {
	e       *engine.Engine
	st      *store.Store
	h       map[string]*runtime.Handler
	mu      sync.Mutex
	pending []queue.Message
	fns     []string
}

func newEnv(t *testing.T, yaml ...string) *env {
	t.Helper()
	files := fstest.MapFS{}
	for i, y := range yaml {
		files[string(rune('a'+i))+".yaml"] = &fstest.MapFile{Data: []byte(y)}
	}
	set, err := dag.Load(dag.ValidateOptions{Functions: map[string]bool{"noop": true, "http": true, "trigger-dag": true}},
		dag.Source{FS: files, Dir: ".", Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	v := &env{h: map[string]*runtime.Handler{}, st: storetest.Open(t, 5)}
	v.e = engine.New(engine.Config{Store: v.st, Dags: func() *dag.Set { return set },
		Publisher: queue.PublisherFunc(func(_ context.Context, fn string, body []byte) error {
			m, _ := queue.Decode(body)
			v.mu.Lock()
			v.pending, v.fns = append(v.pending, m), append(v.fns, fn)
			v.mu.Unlock()
			return nil
		})})
	for name, fn := range map[string]runtime.TaskFunc{"noop": builtin.Noop, "http": builtin.HTTP(http.DefaultClient), "trigger-dag": builtin.TriggerDag(v.e)} {
		v.h[name] = runtime.NewHandler(runtime.Config{Engine: v.e, Function: name, Task: fn})
	}
	return v
}

func (v *env) run(t *testing.T, dagID string, conf map[string]any) engine.RunDoc {
	t.Helper()
	run, _, err := v.e.Trigger(context.Background(), engine.TriggerParams{DagID: dagID, Conf: conf})
	if err != nil {
		t.Fatal(err)
	}
	v.drain()
	doc, err := v.e.GetRun(context.Background(), dagID, run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// drain delivers the published messages, and those their tasks publish,
// until none is left.
func (v *env) drain() {
	for {
		v.mu.Lock()
		if len(v.pending) == 0 {
			v.mu.Unlock()
			break
		}
		m, fn := v.pending[0], v.fns[0]
		v.pending, v.fns = v.pending[1:], v.fns[1:]
		v.mu.Unlock()
		v.h[fn].Run(context.Background(), m, "t")
	}
}

func TestHTTPFunction(t *testing.T) {
	t.Parallel()
	var gotBody, gotHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/ping" {
			gotBody, gotHeader = string(b), r.Header.Get("X-Token")
		}
		if r.URL.Path == "/teapot" {
			w.WriteHeader(http.StatusTeapot)
		}
		if r.URL.Path == "/broken" {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("{\"detail\":\n  \"quota dépassé\"}" + strings.Repeat("é", 300)))
			return
		}
		_, _ = w.Write([]byte("pong"))
	}))
	defer srv.Close()
	v := newEnv(t, `
dag_id: h
params: {base: {type: string, default: "`+srv.URL+`"}}
tasks:
  - {id: ok, function: http, args: {method: POST, url: "{{ params.base }}/ping", headers: {X-Token: abc}, body: {k: 1}}}
  - {id: teapot_ok, function: http, args: {url: "{{ params.base }}/teapot", expect_status: [418]}}
  - {id: teapot_bad, function: http, args: {url: "{{ params.base }}/teapot"}}
  - {id: typo, function: http, args: {urll: x}, retries: 3}
  - {id: broken, function: http, args: {url: "{{ params.base }}/broken"}}
`)
	doc := v.run(t, "h", nil)
	got := map[string]engine.TaskDoc{}
	for _, ti := range doc.Tasks {
		got[ti.TaskID] = ti
	}
	if got["ok"].State != "success" || gotBody != `{"k":1}` || gotHeader != "abc" || !strings.Contains(string(got["ok"].Result), `"body": "pong"`) {
		t.Errorf("ok: %+v body %q header %q", got["ok"], gotBody, gotHeader)
	}
	if got["teapot_ok"].State != "success" {
		t.Errorf("expect_status: %+v", got["teapot_ok"])
	}
	if got["teapot_bad"].State != "failed" || !strings.Contains(got["teapot_bad"].Error, "status 418 not expected") {
		t.Errorf("unexpected status: %+v", got["teapot_bad"])
	}
	// An unexpected status's error quotes the start of the body, on one
	// line, cut on a rune boundary.
	if e := got["broken"].Error; got["broken"].State != "failed" || !strings.Contains(e, `status 500 not expected (expected 200..299): {"detail": "quota dépassé"}éé`) ||
		!strings.HasSuffix(e, "é…") || !utf8.ValidString(e) || strings.Contains(e, "\n") {
		t.Errorf("unexpected status must quote the body: %+v", got["broken"])
	}
	if got["typo"].State != "failed" || got["typo"].TryNumber != 1 || !strings.Contains(got["typo"].Error, `unknown field "urll"`) {
		t.Errorf("bad args must fail without retry: %+v", got["typo"])
	}
}

// A lowercase method is sent uppercase (Airflow's HttpHook), and header
// values that are numbers or booleans (a lone {{ try_number }} keeps its
// type) are sent as text instead of failing the args.
func TestHTTPMethodCaseAndScalarHeaders(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var method, try, n, flag string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		method, try, n, flag = r.Method, r.Header.Get("X-Try"), r.Header.Get("X-N"), r.Header.Get("X-Flag")
	}))
	defer srv.Close()
	v := newEnv(t, `
dag_id: h
tasks:
  - {id: post, function: http, args: {method: post, url: "`+srv.URL+`", headers: {X-Try: "{{ try_number }}", X-N: 2.5, X-Flag: true}}}
`)
	doc := v.run(t, "h", nil)
	mu.Lock()
	defer mu.Unlock()
	if doc.Tasks[0].State != "success" || method != "POST" || try != "1" || n != "2.5" || flag != "true" {
		t.Fatalf("task %+v; got method %q, X-Try %q, X-N %q, X-Flag %q", doc.Tasks[0], method, try, n, flag)
	}
	if p := builtin.CheckHTTPArgs(map[string]any{"url": "http://x", "headers": map[string]any{"X-L": []any{1}}}); len(p) != 1 || !strings.Contains(p[0], "headers: X-L: a string, number or boolean") {
		t.Errorf("a list as a header value: %v", p)
	}
}

func TestTriggerDagFunction(t *testing.T) {
	t.Parallel()
	v := newEnv(t, `
dag_id: parent
tasks:
  - {id: go, function: trigger-dag, args: {dag_id: child, conf: {who: parent}, skip_if_queued: true}}
  - {id: again, function: trigger-dag, depends_on: [go], args: {dag_id: child, skip_if_queued: true}}
`, `
dag_id: child
paused: true
params: {who: {type: string, default: nobody}}
tasks: [{id: c, function: noop}]
`)
	doc := v.run(t, "parent", nil)
	if doc.State != "success" {
		t.Fatalf("parent %s %+v", doc.State, doc.Tasks)
	}
	if !strings.Contains(string(doc.Tasks[0].Result), `"triggered": true`) || !strings.Contains(string(doc.Tasks[1].Result), `"triggered": false`) {
		t.Errorf("results %s / %s", doc.Tasks[0].Result, doc.Tasks[1].Result)
	}
}

// An integer param past 2^53 reaches the function with every digit
// ({{ params.n }} in a URL, and as a lone placeholder in a body).
func TestBigIntegerParamIsRenderedExactly(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var path, body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		path, body = r.URL.Path, string(b)
	}))
	defer srv.Close()
	v := newEnv(t, `
dag_id: h
params: {n: {type: integer, default: 1}}
tasks:
  - {id: a, function: http, args: {method: POST, url: "`+srv.URL+`/{{ params.n }}", body: {n: "{{ params.n }}"}}}
  - {id: t, function: trigger-dag, args: {dag_id: g, conf: {m: "{{ params.n }}"}}}
`, `
dag_id: g
params: {m: {type: integer, default: 1}}
tasks: [{id: a, function: noop}]
`)
	doc := v.run(t, "h", map[string]any{"n": json.Number("9007199254740993")})
	mu.Lock()
	defer mu.Unlock()
	if doc.Tasks[0].State != "success" || path != "/9007199254740993" || body != `{"n":9007199254740993}` {
		t.Fatalf("task %+v; path %q body %q", doc.Tasks[0], path, body)
	}
	var res struct {
		RunID string `json:"run_id"`
	}
	if err := json.Unmarshal(doc.Tasks[1].Result, &res); err != nil || doc.Tasks[1].State != "success" {
		t.Fatalf("trigger-dag: %+v %v", doc.Tasks[1], err)
	}
	g, err := v.e.GetRun(context.Background(), "g", res.RunID)
	if err != nil || string(g.Conf) != `{"m": 9007199254740993}` {
		t.Fatalf("triggered run's conf %s (%v), want every digit", g.Conf, err)
	}
}

// A trigger-dag try that triggered its run and then crashed (its
// completion never recorded) is retried without triggering a second run:
// the retry finds the run its earlier try created. A clear of the task
// (a new series of tries, on purpose) triggers again, as Airflow's.
func TestTriggerDagRetriedAfterACrashTriggersOnce(t *testing.T) {
	t.Parallel()
	v := newEnv(t, `
dag_id: crashparent
tasks:
  - {id: go, function: trigger-dag, args: {dag_id: crashchild}}
`, `
dag_id: crashchild
paused: true
tasks: [{id: c, function: noop}]
`)
	ctx := context.Background()
	run, _, err := v.e.Trigger(ctx, engine.TriggerParams{DagID: "crashparent"})
	if err != nil {
		t.Fatal(err)
	}
	// The first try's side effect, then its function dies: no completion.
	crashed := &runtime.Task{DagID: "crashparent", RunID: run.RunID, TaskID: "go", TryNumber: 1,
		Args: map[string]any{"dag_id": "crashchild"}, Logger: slog.New(slog.DiscardHandler)}
	if _, err := builtin.TriggerDag(v.e)(ctx, crashed); err != nil {
		t.Fatal(err)
	}
	childRuns := func() (n int, ids string) {
		err := v.st.Pool.QueryRow(ctx, `SELECT count(*), coalesce(string_agg(run_id, ','), '') FROM dag_run WHERE dag_id = 'crashchild'`).Scan(&n, &ids)
		if err != nil {
			t.Fatal(err)
		}
		return n, ids
	}
	_, first := childRuns()
	v.drain() // the redelivered message: the task runs again
	doc, err := v.e.GetRun(ctx, "crashparent", run.RunID)
	if err != nil || doc.State != "success" {
		t.Fatalf("parent %s %+v %v", doc.State, doc.Tasks, err)
	}
	if n, ids := childRuns(); n != 1 || !strings.Contains(string(doc.Tasks[0].Result), first) {
		t.Fatalf("child runs %d (%s), want the one run of the crashed try (%s); result %s", n, ids, first, doc.Tasks[0].Result)
	}
	if _, err := v.e.Clear(ctx, engine.ClearParams{DagID: "crashparent", RunID: run.RunID, TaskIDs: []string{"go"}}); err != nil {
		t.Fatal(err)
	}
	v.drain()
	if n, ids := childRuns(); n != 2 {
		t.Fatalf("after a clear of the trigger task: child runs %d (%s), want a second one", n, ids)
	}
}
