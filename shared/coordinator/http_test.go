package coordinator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lvao/dataplatform/shared/coordinator"
	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/store/storetest"
)

const specs = `
dag_id: api
schedule: "0 * * * *"
start_date: 2025-08-10T00:00:00Z
params:
  n: {type: integer, default: 1}
  label: {type: string, default: x}
tasks:
  - {id: a, function: noop}
  - {id: b, function: noop, depends_on: [a]}
`

func setup(t *testing.T) (*httptest.Server, *engine.Engine) {
	t.Helper()
	set, err := dag.Load(dag.ValidateOptions{Functions: map[string]bool{"noop": true}},
		dag.Source{FS: fstest.MapFS{"api.yaml": {Data: []byte(specs)}}, Dir: ".", Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, 5)
	e := engine.New(engine.Config{Store: st, Dags: func() *dag.Set { return set },
		Publisher: queue.PublisherFunc(func(context.Context, string, []byte) error { return nil }),
		Now:       func() time.Time { return time.Date(2025, 8, 10, 3, 0, 30, 0, time.UTC) }})
	srv := httptest.NewServer(coordinator.NewHandler(e, nil))
	t.Cleanup(srv.Close)
	return srv, e
}

func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewBufferString(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: non-JSON answer %q", method, path, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	return resp.StatusCode, out
}

func TestCoordinatorAPI(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t)

	code, out := call(t, srv, "POST", "/", `{"action":"tick"}`)
	if code != 200 || out["runs_created"] != 1.0 {
		t.Fatalf("tick: %d %v", code, out)
	}
	code, out = call(t, srv, "POST", "/api/v1/dags/api/dagRuns", `{"conf":{"n":5}}`)
	if code != 200 || out["state"] != "running" || !strings.HasPrefix(out["run_id"].(string), "manual__") {
		t.Fatalf("trigger: %d %v", code, out)
	}
	runID := out["run_id"].(string)
	tasks := out["tasks"].([]any)
	if len(tasks) != 2 || tasks[0].(map[string]any)["state"] != "queued" {
		t.Fatalf("tasks %v", tasks)
	}
	code, out = call(t, srv, "GET", "/api/v1/dags/api/dagRuns/"+runID, "")
	if code != 200 || out["run_id"] != runID || out["conf"].(map[string]any)["n"] != 5.0 {
		t.Fatalf("get run: %d %v", code, out)
	}
	code, out = call(t, srv, "PATCH", "/api/v1/dags/api/dagRuns/"+runID+"/taskInstances/a", `{"new_state":"failed"}`)
	if code != 200 {
		t.Fatalf("mark: %d %v", code, out)
	}
	_, out = call(t, srv, "GET", "/api/v1/dags/api/dagRuns/"+runID, "")
	if out["state"] != "failed" {
		t.Fatalf("after mark failed: %v", out)
	}
	code, out = call(t, srv, "POST", "/api/v1/dags/api/clearTaskInstances", `{"run_id":"`+runID+`","task_ids":["a"],"include_downstream":true}`)
	if code != 200 || len(out["task_ids"].([]any)) != 2 {
		t.Fatalf("clear: %d %v", code, out)
	}
	code, out = call(t, srv, "PATCH", "/api/v1/dags/api", `{"is_paused":true}`)
	if code != 200 || out["is_paused"] != true {
		t.Fatalf("pause: %d %v", code, out)
	}
	code, out = call(t, srv, "POST", "/api/v1/dags/api/backfill", `{"from":"2025-08-10T00:00:00Z","to":"2025-08-10T02:00:00Z"}`)
	if code != 200 || len(out["run_ids"].([]any)) != 2 {
		t.Fatalf("backfill: %d %v", code, out)
	}
	code, out = call(t, srv, "POST", "/api/v1/dags/api/backfill", `{"from":"2025-08-10T00:00:00Z","to":"2025-08-10T02:00:00Z"}`)
	if ids, ok := out["run_ids"].([]any); code != 200 || !ok || len(ids) != 0 {
		t.Fatalf("backfill again: %d %v, want an empty run_ids list", code, out)
	}
}

func TestCoordinatorAPIErrors(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t)
	cases := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/api/v1/dags/api/dagRuns", `{"conf":{"n":"five"}}`, 400, "invalid conf"},
		{"POST", "/api/v1/dags/api/dagRuns", `{"conf":{"zzz":1}}`, 400, "unknown param"},
		{"POST", "/api/v1/dags/api/dagRuns", `{not json`, 400, "invalid JSON body"},
		{"POST", "/api/v1/dags/api/dagRuns", `{"conf":[1]}`, 400, "conf: expected an object, got array"},
		{"PATCH", "/api/v1/dags/api", `{"is_paused":"yes"}`, 400, "is_paused: expected true or false, got string"},
		{"POST", "/api/v1/dags/api/clearTaskInstances", `{"run_id":"r","task_ids":"a"}`, 400, "task_ids: expected an array, got string"},
		{"POST", "/api/v1/dags/api/dagRuns", `{"logical_date":"2025-08-10T00:00:00"}`, 400, `\"2025-08-10T00:00:00\" is not an RFC 3339 date-time`},
		{"POST", "/api/v1/dags/api/backfill", `{"from":"2025-08-10","to":"2025-08-11T00:00:00Z"}`, 400, `\"2025-08-10\" is not an RFC 3339 date-time`},
		{"POST", "/api/v1/dags/api/dagRuns", `{"conf":{}} {"conf":{"n":2}}`, 400, "data after the JSON object"},
		{"POST", "/api/v1/dags/api/dagRuns", `{"confx":{}}`, 400, "unknown field"},
		{"POST", "/api/v1/dags/nope/dagRuns", `{}`, 404, "not found"},
		{"POST", "/api/v1/dags/api/dagRuns", `{"dag_run_id":"my_run"}`, 400, "dag_run_id cannot be chosen"},
		{"POST", "/api/v1/dags/api/dagRuns", `{"logical_date":"0001-01-01T00:00:00Z"}`, 400, "logical_date is before 1970"},
		{"GET", "/api/v1/dags/api/dagRuns/manual__nope", "", 404, "run manual__nope of DAG api: not found"},
		{"GET", "/api/v1/dags/nodag/dagRuns/manual__nope", "", 404, `DAG \"nodag\": not found`},
		{"PATCH", "/api/v1/dags/api", `{}`, 400, "is_paused is required"},
		{"PATCH", "/api/v1/dags/nope", `{"is_paused":true}`, 404, "not found"},
		{"POST", "/", `{"action":"explode"}`, 400, "unknown action"},
		{"POST", "/api/v1/dags/api/clearTaskInstances", `{}`, 400, "run_id is required"},
		{"POST", "/api/v1/dags/api/backfill", `{"from":"2025-08-09T00:00:00Z"}`, 400, "from and to are required"},
		{"GET", "/nowhere", "", 404, "no such endpoint"},
		{"POST", "/api/v1/dags/api/dagRuns", `{"conf":{"label":"` + strings.Repeat("x", 2<<20) + `"}}`, 413, "at most 1048576 bytes"},
		{"GET", "/api/v1/dags/api/dagRuns", "", 405, "/api/v1/dags/api/dagRuns takes POST, not GET"},
		{"DELETE", "/api/v1/dags/api/dagRuns/manual__x", "", 405, "takes GET, not DELETE"},
		{"GET", "/api/v1/dags/api/nothing", "", 404, "no such endpoint"},
	}
	for _, c := range cases {
		code, out := call(t, srv, c.method, c.path, c.body)
		msg, _ := json.Marshal(out)
		if code != c.code || !strings.Contains(string(msg), c.want) {
			t.Errorf("%s %s %s: %d %s, want %d containing %q", c.method, c.path, c.body, code, msg, c.code, c.want)
		}
		if strings.Contains(string(msg), "goroutine") || strings.Contains(string(msg), ".go:") {
			t.Errorf("stack trace leaked: %s", msg)
		}
	}
}

// With TickLinger, the tick's request stays open after the tick, looking
// for due retries every 5s, until its time is up or its context ends.
func TestTickLingers(t *testing.T) {
	t.Parallel()
	_, e := setup(t)
	var waits []time.Duration
	h := coordinator.New(coordinator.Config{Engine: e, TickLinger: 50 * time.Second,
		Wait: func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			if len(waits) == 3 {
				return context.Canceled // the request's end
			}
			return nil
		}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	code, out := call(t, srv, "POST", "/", `{"action":"tick"}`)
	if code != 200 || out["runs_created"] == nil {
		t.Fatalf("tick: %d %v", code, out)
	}
	if len(waits) != 3 {
		t.Fatalf("waits %v, want 3 (the third ends the linger)", waits)
	}
	for _, d := range waits {
		if d <= 0 || d > 5*time.Second {
			t.Errorf("wait %s, want (0, 5s]", d)
		}
	}
}

// A dry run tells what a clear would reset and changes nothing (Airflow's
// clearTaskInstances dry_run); it used to clear for real.
func TestClearDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t)
	code, out := call(t, srv, "POST", "/api/v1/dags/api/dagRuns", `{}`)
	if code != 200 {
		t.Fatalf("trigger: %d %v", code, out)
	}
	runID := out["run_id"].(string)
	if code, out = call(t, srv, "PATCH", "/api/v1/dags/api/dagRuns/"+runID+"/taskInstances/a", `{"new_state":"failed"}`); code != 200 {
		t.Fatalf("mark: %d %v", code, out)
	}
	_, before := call(t, srv, "GET", "/api/v1/dags/api/dagRuns/"+runID, "")
	if before["state"] != "failed" {
		t.Fatalf("after mark failed: %v", before)
	}
	code, out = call(t, srv, "POST", "/api/v1/dags/api/clearTaskInstances",
		`{"run_id":"`+runID+`","task_ids":["a"],"include_downstream":true,"dry_run":true}`)
	if code != 200 || out["dry_run"] != true || len(out["task_ids"].([]any)) != 2 {
		t.Fatalf("dry-run clear: %d %v", code, out)
	}
	_, after := call(t, srv, "GET", "/api/v1/dags/api/dagRuns/"+runID, "")
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	if string(a) != string(b) {
		t.Fatalf("a dry run changed the run:\nbefore %s\nafter  %s", b, a)
	}
	code, out = call(t, srv, "POST", "/api/v1/dags/api/clearTaskInstances", `{"run_id":"`+runID+`","task_ids":["zz"],"dry_run":true}`)
	if code != 400 || !strings.Contains(out["error"].(string), `task "zz"`) {
		t.Fatalf("dry run of an unknown task: %d %v", code, out)
	}
}

// An invalid conf lists each problem in detail (the web shows each by its
// field); the engine's input error used to hide them (detail null).
func TestInvalidConfListsItsProblems(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t)
	code, out := call(t, srv, "POST", "/api/v1/dags/api/dagRuns", `{"conf":{"n":"five","zzz":1}}`)
	detail, _ := out["detail"].([]any)
	if code != 400 || out["error"] != "invalid conf" || len(detail) != 2 ||
		!strings.HasPrefix(fmt.Sprint(detail[0]), "conf.n: ") || !strings.HasPrefix(fmt.Sprint(detail[1]), "conf.zzz: unknown param") {
		t.Fatalf("trigger: %d %v, want 400 invalid conf with one problem per key", code, out)
	}
}

// A conf's integer keeps every digit: decoded as float64 it was rounded
// past 2^53 (9007199254740993 was stored as 9007199254740992).
func TestConfIntegersKeepEveryDigit(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t)
	for i, c := range []struct{ conf, want string }{
		{`{"n":9007199254740993}`, `"n":9007199254740993`},
		{`{"n":-9223372036854775808}`, `"n":-9223372036854775808`},
		{`{"n":2.0}`, `"n":2`}, // an integer in JSON Schema (and so in Airflow's Param)
	} {
		body := fmt.Sprintf(`{"conf":%s,"logical_date":"2025-08-0%dT00:00:00Z"}`, c.conf, i+1)
		resp, err := http.Post(srv.URL+"/api/v1/dags/api/dagRuns", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var doc struct {
			RunID string `json:"run_id"`
		}
		if resp.StatusCode != 200 || json.Unmarshal(b, &doc) != nil {
			t.Fatalf("trigger %s: %d %s", c.conf, resp.StatusCode, b)
		}
		resp, err = http.Get(srv.URL + "/api/v1/dags/api/dagRuns/" + doc.RunID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), c.want) {
			t.Errorf("conf %s: run document %s, want %s in its conf", c.conf, b, c.want)
		}
	}
	code, out := call(t, srv, "POST", "/api/v1/dags/api/dagRuns", `{"conf":{"n":2.5}}`)
	if code != 400 || !strings.Contains(fmt.Sprint(out["detail"]), "conf.n: expected integer") {
		t.Fatalf("2.5 for an integer: %d %v", code, out)
	}
}

// A path with an empty or dot segment is a JSON 404 (ServeMux answered a
// bodyless 307 to another endpoint, which a client followed with its POST).
func TestUncleanPathIsAJSONNotFound(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t)
	for _, p := range []string{"/api/v1/dags//dagRuns", "/api/v1/dags/api/./dagRuns", "/api/v1/dags/x/../api/dagRuns"} {
		req, _ := http.NewRequest("POST", srv.URL+p, strings.NewReader(`{}`))
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(string(b), `"error":"no such endpoint"`) {
			t.Errorf("POST %s: %d %s", p, resp.StatusCode, b)
		}
	}
}
