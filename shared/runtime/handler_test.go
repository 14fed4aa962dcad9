package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/objectstore"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/runtime"
	"github.com/lvao/dataplatform/shared/store/storetest"
	"github.com/lvao/dataplatform/shared/tasklog"
)

type fixture struct {
	eng     *engine.Engine
	s3      *s3.Client
	mu      sync.Mutex
	pending []queue.Message
	flushed chan string
}

func newFixture(t *testing.T, yaml string) *fixture {
	t.Helper()
	set, err := dag.Load(dag.ValidateOptions{}, dag.Source{FS: fstest.MapFS{"d.yaml": {Data: []byte(yaml)}}, Dir: ".", Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{flushed: make(chan string, 1000)}
	f.eng = engine.New(engine.Config{Store: storetest.Open(t, 5), Dags: func() *dag.Set { return set },
		Publisher: queue.PublisherFunc(func(_ context.Context, _ string, body []byte) error {
			m, _ := queue.Decode(body)
			f.mu.Lock()
			f.pending = append(f.pending, m)
			f.mu.Unlock()
			return nil
		})})
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	f.s3 = objectstore.NewClient(objectstore.Config{Endpoint: srv.URL, AccessKey: "k", SecretKey: "s"})
	if _, err := f.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("logs")}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) handler(task runtime.TaskFunc) *runtime.Handler {
	return runtime.NewHandler(runtime.Config{Engine: f.eng, Function: "fn", Task: task,
		Logs: func(ctx context.Context, key string) runtime.LogWriter {
			return tasklog.Open(tasklog.Config{Client: f.s3, Bucket: "logs", FlushInterval: 20 * time.Millisecond,
				Secrets: []string{"s3cr3t-value"}, OnFlush: func(k string, _ int) { f.flushed <- k }}, key)
		}})
}

func (f *fixture) next(t *testing.T) queue.Message {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.pending) == 0 {
		t.Fatal("no message published")
	}
	m := f.pending[0]
	f.pending = f.pending[1:]
	return m
}

func (f *fixture) log(t *testing.T, key string) string {
	t.Helper()
	out, err := f.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("log %s: %v", key, err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

func post(h http.Handler, method string, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, "/", bytes.NewReader(body)))
	return rec
}

func TestLogIsInS3WhileTheTaskRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "dag_id: d\ntasks: [{id: talk, function: fn}]\n")
	release := make(chan struct{})
	h := f.handler(func(ctx context.Context, task *runtime.Task) (any, error) {
		task.Logger.Info("starting", "token", "s3cr3t-value")
		task.Logger.Info("step 1 done")
		<-release // the task is still running while the test reads S3
		task.Logger.Info("step 2 done")
		return nil, nil
	})
	run, _, err := f.eng.Trigger(context.Background(), engine.TriggerParams{DagID: "d"})
	if err != nil {
		t.Fatal(err)
	}
	msg := f.next(t)
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- post(h, "POST", msg.Encode()) }()
	key := tasklog.Key("d", run.RunID, "talk", 1)
	select {
	case <-f.flushed:
	case <-time.After(10 * time.Second):
		t.Fatal("no log upload while the task runs")
	}
	running := f.log(t, key)
	if !strings.Contains(running, "INFO starting token=***") || !strings.Contains(running, "step 1 done") || strings.Contains(running, "step 2") {
		t.Fatalf("log while running: %q", running)
	}
	close(release)
	rec := <-done
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"success"`) {
		t.Fatalf("answer %d %s", rec.Code, rec.Body)
	}
	final := f.log(t, key)
	if !strings.Contains(final, "step 2 done") || !strings.Contains(final, "task succeeded") || strings.Contains(final, "s3cr3t-value") {
		t.Fatalf("final log %q", final)
	}
	// A duplicate of the message: 200, ignored, code not run again.
	if rec := post(h, "POST", msg.Encode()); rec.Code != 200 || !strings.Contains(rec.Body.String(), "ignored") {
		t.Fatalf("duplicate: %d %s", rec.Code, rec.Body)
	}
}

func TestPanicIsAFailureWithItsMessageInTheLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "dag_id: d\ntasks: [{id: p, function: fn}]\n")
	h := f.handler(func(ctx context.Context, task *runtime.Task) (any, error) { panic("nil map somewhere") })
	run, _, _ := f.eng.Trigger(context.Background(), engine.TriggerParams{DagID: "d"})
	rec := post(h, "POST", f.next(t).Encode())
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"failed"`) {
		t.Fatalf("answer %d %s", rec.Code, rec.Body)
	}
	if l := f.log(t, tasklog.Key("d", run.RunID, "p", 1)); !strings.Contains(l, "task panicked: nil map somewhere") || strings.Contains(l, "goroutine ") {
		t.Fatalf("log %q", l)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "dag_id: d\ntasks: [{id: p, function: fn}]\n")
	h := f.handler(func(ctx context.Context, task *runtime.Task) (any, error) { return nil, nil })
	cases := []struct {
		method string
		body   []byte
		code   int
	}{
		{"GET", nil, 405},
		{"POST", []byte("not json"), 400},
		{"POST", []byte(`{"dag_id":"d","run_id":"r","task_id":"p"}`), 400}, // try_number missing
		{"POST", bytes.Repeat([]byte("x"), runtime.MaxBody+1), 413},
		{"POST", queue.Message{DagID: "d", RunID: "nope", TaskID: "p", TryNumber: 1}.Encode(), 200}, // stale: ignored
	}
	for _, c := range cases {
		if rec := post(h, c.method, c.body); rec.Code != c.code {
			t.Errorf("%s %.40q: %d %s, want %d", c.method, c.body, rec.Code, rec.Body, c.code)
		}
	}
}

func TestDatabaseDownAnswers503SoTheQueueRedelivers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "dag_id: d\ntasks: [{id: p, function: fn}]\n")
	h := f.handler(func(ctx context.Context, task *runtime.Task) (any, error) { return nil, nil })
	if _, _, err := f.eng.Trigger(context.Background(), engine.TriggerParams{DagID: "d"}); err != nil {
		t.Fatal(err)
	}
	msg := f.next(t)
	f.eng.Store().Close()
	rec := post(h, "POST", msg.Encode())
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "postgres") {
		t.Fatalf("answer %d %s", rec.Code, rec.Body)
	}
}

// An execution_timeout that falls on a heartbeat (10m with the deployed
// 60s lease: a beat every 20s) ends the attempt without a spurious
// "heartbeat failed" warning in the task's log.
func TestTimeoutOnAHeartbeatLogsNoHeartbeatFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "dag_id: d\ntasks: [{id: slow, function: fn, execution_timeout: 60ms}]\n")
	h := runtime.NewHandler(runtime.Config{Engine: f.eng, Function: "fn", Lease: 180 * time.Millisecond,
		Task: func(ctx context.Context, _ *runtime.Task) (any, error) { <-ctx.Done(); return nil, ctx.Err() },
		Logs: func(ctx context.Context, key string) runtime.LogWriter {
			return tasklog.Open(tasklog.Config{Client: f.s3, Bucket: "logs", FlushInterval: time.Hour}, key)
		}})
	// The beat and the deadline race; a few attempts make the old warning
	// show up almost surely.
	for i := range 6 {
		run, _, err := f.eng.Trigger(context.Background(), engine.TriggerParams{DagID: "d", LogicalDate: time.Date(2026, 1, 1, i, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if rec := post(h, "POST", f.next(t).Encode()); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"failed"`) {
			t.Fatalf("answer %d %s", rec.Code, rec.Body)
		}
		l := f.log(t, tasklog.Key("d", run.RunID, "slow", 1))
		if !strings.Contains(l, "execution_timeout of 60ms exceeded") || strings.Contains(l, "heartbeat failed") {
			t.Fatalf("log %q", l)
		}
	}
}

// stateAtClose records the task's state when the runtime closes its log.
type stateAtClose struct {
	io.Writer
	read func() string
	seen chan string
}

func (s *stateAtClose) Close(context.Context) error { s.seen <- s.read(); return nil }

// An attempt's log is complete before its outcome is recorded, so whoever
// sees it ended (dag run's summary, the web) reads the whole log.
func TestAttemptLogIsClosedBeforeTheOutcomeIsRecorded(t *testing.T) {
	t.Parallel()
	for _, fail := range []bool{true, false} {
		f := newFixture(t, "dag_id: d\ntasks: [{id: t, function: fn, retries: 0}]\n")
		run, _, err := f.eng.Trigger(context.Background(), engine.TriggerParams{DagID: "d"})
		if err != nil {
			t.Fatal(err)
		}
		seen := make(chan string, 1)
		h := runtime.NewHandler(runtime.Config{Engine: f.eng, Function: "fn",
			Task: func(ctx context.Context, task *runtime.Task) (any, error) {
				if fail {
					return nil, io.ErrUnexpectedEOF
				}
				return nil, nil
			},
			Logs: func(ctx context.Context, key string) runtime.LogWriter {
				return &stateAtClose{Writer: io.Discard, seen: seen, read: func() string {
					doc, err := f.eng.GetRun(context.Background(), "d", run.RunID)
					if err != nil {
						return err.Error()
					}
					return doc.Tasks[0].State
				}}
			}})
		rec := post(h, "POST", f.next(t).Encode())
		if rec.Code != 200 {
			t.Fatalf("answer %d %s", rec.Code, rec.Body)
		}
		select {
		case state := <-seen:
			if state != "running" {
				t.Errorf("fail=%v: the attempt's log was closed with the task %s, want running", fail, state)
			}
		default:
			t.Fatalf("fail=%v: the log was not closed before the answer", fail)
		}
	}
}

// S3 unreachable at the end of an attempt: the outcome is still recorded.
func TestOutcomeIsRecordedWhenTheLogCannotBeUploaded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "dag_id: d\ntasks: [{id: t, function: fn}]\n")
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // connection refused from here on
	down := objectstore.NewClient(objectstore.Config{Endpoint: dead.URL, AccessKey: "k", SecretKey: "s"})
	down = s3.New(down.Options(), func(o *s3.Options) { o.RetryMaxAttempts = 1 }) // no SDK back-off: a fast test
	h := runtime.NewHandler(runtime.Config{Engine: f.eng, Function: "fn",
		Task: func(ctx context.Context, task *runtime.Task) (any, error) {
			task.Logger.Info("working")
			return nil, nil
		},
		Logs: func(ctx context.Context, key string) runtime.LogWriter {
			return tasklog.Open(tasklog.Config{Client: down, Bucket: "logs", FlushInterval: time.Hour}, key)
		}})
	run, _, err := f.eng.Trigger(context.Background(), engine.TriggerParams{DagID: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if rec := post(h, "POST", f.next(t).Encode()); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"success"`) {
		t.Fatalf("answer %d %s", rec.Code, rec.Body)
	}
	doc, err := f.eng.GetRun(context.Background(), "d", run.RunID)
	if err != nil || doc.Tasks[0].State != "success" {
		t.Fatalf("task %+v, %v", doc.Tasks, err)
	}
}

// A failed attempt's error is masked (Config.Mask) before it is recorded
// and answered, as its log is: the web and the run document show it.
func TestFailedAttemptErrorIsMasked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "dag_id: d\ntasks: [{id: p, function: fn}]\n")
	h := runtime.NewHandler(runtime.Config{Engine: f.eng, Function: "fn",
		Task: func(ctx context.Context, task *runtime.Task) (any, error) {
			return nil, fmt.Errorf("GET https://x/?token=s3cr3t-value: status 500")
		},
		Mask: strings.NewReplacer("s3cr3t-value", "***").Replace})
	run, _, _ := f.eng.Trigger(context.Background(), engine.TriggerParams{DagID: "d"})
	rec := post(h, "POST", f.next(t).Encode())
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "s3cr3t") || !strings.Contains(rec.Body.String(), "token=***") {
		t.Fatalf("answer %d %s", rec.Code, rec.Body)
	}
	doc, err := f.eng.GetRun(context.Background(), "d", run.RunID)
	if err != nil || doc.Tasks[0].Error != "GET https://x/?token=***: status 500" {
		t.Fatalf("recorded error %q (%v)", doc.Tasks[0].Error, err)
	}
}

// An outcome quoting what a server sent is recorded even when it holds a
// NUL character or invalid UTF-8 (Postgres refused it: the attempt ended a
// zombie, its end never recorded).
func TestOutcomeWithNULOrInvalidUTF8IsRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "dag_id: d\ntasks: [{id: ok, function: fn}, {id: bad, function: fn}]\n")
	h := f.handler(func(ctx context.Context, task *runtime.Task) (any, error) {
		if task.TaskID == "ok" {
			return map[string]any{"body": "a\x00b", "k\x00": []any{"\x00"}}, nil
		}
		return nil, fmt.Errorf("status 500: a\x00b \xe9t\xe9")
	})
	run, _, _ := f.eng.Trigger(context.Background(), engine.TriggerParams{DagID: "d"})
	for i := 0; i < 2; i++ {
		if rec := post(h, "POST", f.next(t).Encode()); rec.Code != 200 {
			t.Fatalf("answer %d %s", rec.Code, rec.Body)
		}
	}
	doc, err := f.eng.GetRun(context.Background(), "d", run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range doc.Tasks {
		switch ti.TaskID {
		case "ok":
			var res map[string]any
			_ = json.Unmarshal(ti.Result, &res)
			if ti.State != "success" || fmt.Sprint(res) != "map[body:ab k:[]]" {
				t.Errorf("ok: %s %s", ti.State, ti.Result)
			}
		case "bad":
			if ti.State != "failed" || ti.Error != "status 500: ab \uFFFDt\uFFFD" {
				t.Errorf("bad: %s %q", ti.State, ti.Error)
			}
		}
	}
}

// When the function's own timeout (the request's deadline) comes before
// the task's execution_timeout, the error says so: "execution_timeout of
// 200ms exceeded" named a limit the DAG (set to 1h) never gave.
func TestFunctionTimeoutBeforeExecutionTimeoutIsNamed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "dag_id: d\ntasks: [{id: slow, function: fn, execution_timeout: 1h}]\n")
	h := f.handler(func(ctx context.Context, _ *runtime.Task) (any, error) { <-ctx.Done(); return nil, ctx.Err() })
	run, _, err := f.eng.Trigger(context.Background(), engine.TriggerParams{DagID: "d"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second+300*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", bytes.NewReader(f.next(t).Encode())).WithContext(ctx))
	doc, err := f.eng.GetRun(context.Background(), "d", run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if e := doc.Tasks[0].Error; doc.Tasks[0].State != "failed" || !strings.Contains(e, "the function's timeout ended the attempt after") ||
		!strings.Contains(e, "before its execution_timeout of 1h0m0s") {
		t.Fatalf("answer %d %s; task %s %q", rec.Code, rec.Body, doc.Tasks[0].State, e)
	}
}
