// Package builtin holds the task functions every deployment has: noop,
// http and trigger-dag (DESIGN §4).
package builtin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/runtime"
)

// Noop does nothing and succeeds.
func Noop(ctx context.Context, t *runtime.Task) (any, error) {
	t.Logger.Info("noop")
	return nil, nil
}

// HTTPArgs are the args of the http function.
type HTTPArgs struct {
	Method string `json:"method"` // default GET
	URL    string `json:"url"`    // required
	// Headers are optional; a number or boolean value is sent as its text
	// (a lone {{ try_number }} placeholder renders as a number).
	Headers Headers `json:"headers"`
	// Body is sent as is when a string, as JSON otherwise.
	// Kept as written (json.RawMessage): a number keeps every digit.
	Body json.RawMessage `json:"body"`
	// ExpectStatus lists accepted statuses; default 200..299.
	ExpectStatus []int `json:"expect_status"`
	// Timeout is a Go duration; default 30s.
	Timeout string `json:"timeout"`
}

// maxHTTPResult bounds the response body kept as the task result.
const maxHTTPResult = 32 << 10

// maxLoggedBody and maxErrorBody bound how much of an unexpected
// response's body the log and the error message show.
const (
	maxLoggedBody = 4 << 10
	maxErrorBody  = 200
)

// excerpt is the start of a response body as valid UTF-8, at most n bytes
// (plus "…" when cut).
func excerpt(b []byte, n int) string {
	cut := len(b) > n
	if cut {
		b = b[:n]
		for len(b) > 0 && !utf8.Valid(b) && len(b) > n-utf8.UTFMax {
			b = b[:len(b)-1] // a rune split by the cut
		}
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if cut {
		s += "…"
	}
	return s
}

// HTTP calls a URL and fails when the status is not expected. Its result
// holds the status and the start of the response body.
func HTTP(client *http.Client) runtime.TaskFunc {
	return func(ctx context.Context, t *runtime.Task) (any, error) {
		var a HTTPArgs
		if err := t.DecodeArgs(&a); err != nil {
			return nil, err
		}
		if a.URL == "" {
			return nil, &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("url is required")}
		}
		// As Airflow's HttpHook: "post" is sent as POST.
		a.Method = strings.ToUpper(a.Method)
		if a.Method == "" {
			a.Method = http.MethodGet
		}
		timeout := 30 * time.Second
		if a.Timeout != "" {
			d, err := time.ParseDuration(a.Timeout)
			if err != nil {
				return nil, &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("timeout %q: %v", a.Timeout, err)}
			}
			timeout = d
		}
		var body io.Reader
		if raw := bytes.TrimSpace(a.Body); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				body = strings.NewReader(str)
			} else {
				body = bytes.NewReader(raw)
				if a.Headers == nil {
					a.Headers = Headers{}
				}
				if _, ok := a.Headers["Content-Type"]; !ok {
					a.Headers["Content-Type"] = "application/json"
				}
			}
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, a.Method, a.URL, body)
		if err != nil {
			return nil, &runtime.ArgsError{Task: t.TaskID, Err: err}
		}
		for k, v := range a.Headers {
			req.Header.Set(k, v)
		}
		t.Logger.Info("http request", "method", a.Method, "url", a.URL)
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", a.Method, a.URL, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxHTTPResult))
		t.Logger.Info("http response", "status", resp.StatusCode, "bytes", len(data))
		if !expected(resp.StatusCode, a.ExpectStatus) {
			// The body usually says why (Airflow's HttpOperator logs it):
			// the log keeps its start, the error a one-line excerpt.
			if len(data) > 0 {
				t.Logger.Error("http response body", "body", excerpt(data, maxLoggedBody))
			}
			err := fmt.Errorf("%s %s: status %d not expected (%s)", a.Method, a.URL, resp.StatusCode, expectedText(a.ExpectStatus))
			if s := strings.Join(strings.Fields(excerpt(data, maxErrorBody)), " "); s != "" {
				err = fmt.Errorf("%w: %s", err, s)
			}
			return nil, err
		}
		return map[string]any{"status": resp.StatusCode, "body": string(data)}, nil
	}
}

// Headers maps header names to values: strings, or numbers and booleans
// sent as their JSON text.
type Headers map[string]string

// UnmarshalJSON accepts scalar values; null, lists and objects are refused.
func (h *Headers) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Headers, len(raw))
	for k, v := range raw {
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return err
		}
		switch x.(type) {
		case string:
			out[k] = x.(string)
		case float64, bool:
			out[k] = string(bytes.TrimSpace(v))
		default:
			return fmt.Errorf("headers: %s: a string, number or boolean, got %s", k, bytes.TrimSpace(v))
		}
	}
	*h = out
	return nil
}

func expected(code int, list []int) bool {
	if len(list) == 0 {
		return code >= 200 && code <= 299
	}
	for _, c := range list {
		if c == code {
			return true
		}
	}
	return false
}

func expectedText(list []int) string {
	if len(list) == 0 {
		return "expected 200..299"
	}
	return fmt.Sprintf("expected one of %v", list)
}

// TriggerDagArgs are the args of trigger-dag.
type TriggerDagArgs struct {
	DagID string `json:"dag_id"`
	// Conf is decoded with UseNumber: an integer keeps every digit.
	Conf         json.RawMessage `json:"conf"`
	SkipIfQueued bool            `json:"skip_if_queued"`
}

// TriggerDag creates a manual run of another DAG.
func TriggerDag(e *engine.Engine) runtime.TaskFunc {
	return func(ctx context.Context, t *runtime.Task) (any, error) {
		var a TriggerDagArgs
		if err := t.DecodeArgs(&a); err != nil {
			return nil, err
		}
		if a.DagID == "" {
			return nil, &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("dag_id is required")}
		}
		var conf map[string]any
		if len(a.Conf) > 0 {
			dec := json.NewDecoder(bytes.NewReader(a.Conf))
			dec.UseNumber()
			if err := dec.Decode(&conf); err != nil {
				return nil, &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("conf: %v", err)}
			}
		}
		// Exactly once per series of tries: a try retried after a crash
		// (its trigger done, its completion not recorded), or running
		// beside the crashed one, gets the run the earlier try created. A
		// clear starts a new series.
		key, err := e.TriggerKey(ctx, t.DagID, t.RunID, t.TaskID)
		if err != nil {
			return nil, err
		}
		run, created, err := e.Trigger(ctx, engine.TriggerParams{DagID: a.DagID, Conf: conf, SkipIfQueued: a.SkipIfQueued, TriggeredBy: key})
		if err != nil {
			return nil, err
		}
		if !created && run.RunID != "" {
			t.Logger.Info("an earlier try of this task triggered the run already; not triggering again",
				"target_dag_id", run.DagID, "target_run_id", run.RunID)
			return map[string]any{"triggered": true, "run_id": run.RunID}, nil
		}
		if !created {
			t.Logger.Info("a run is already queued; nothing triggered", "target_dag_id", a.DagID)
			return map[string]any{"triggered": false}, nil
		}
		t.Logger.Info("triggered", "target_dag_id", a.DagID, "target_run_id", run.RunID)
		return map[string]any{"triggered": true, "run_id": run.RunID}, nil
	}
}
