package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/lvao/dataplatform/shared/artifact"
	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/store"
	"github.com/lvao/dataplatform/shared/tasklog"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Config builds a task function's handler.
type Config struct {
	// Engine records outcomes. Required.
	Engine *engine.Engine
	// Function is the function's name (for logs). Required.
	Function string
	// Task is the task code. Required.
	Task TaskFunc
	// Lease is how long a claim lives without heartbeat; heartbeats run
	// every Lease/3. Default 60s.
	Lease time.Duration
	// FunctionTimeout is the execution timeout when the DAG sets none
	// (the function's own timeout). Default 15m.
	FunctionTimeout time.Duration
	// Logger receives the runtime's JSON logs (stdout). Default: discard.
	Logger *slog.Logger
	// Artifacts is where tasks write large outputs; nil disables them.
	Artifacts *artifact.Store
	// Logs opens an attempt's log writer (S3); nil keeps stdout only.
	Logs func(ctx context.Context, key string) LogWriter
	// Crash, when it returns true for a message, kills the attempt as the
	// platform would, after the task's code has run and before its outcome
	// is recorded: no completion, no more heartbeats (chaos testing in the
	// harness). Nil never crashes.
	Crash func(queue.Message) bool
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Mask replaces secret values in a failed attempt's error before it
	// is recorded (the web and the run document show it) and answered, as
	// the task log masks them. Nil masks nothing.
	Mask func(string) string
}

// LogWriter receives an attempt's log lines; Close flushes the rest.
type LogWriter interface {
	io.Writer
	Close(ctx context.Context) error
}

// Handler serves one POST per queue message.
type Handler struct{ cfg Config }

// NewHandler returns the handler of a task function.
func NewHandler(cfg Config) *Handler {
	if cfg.Lease <= 0 {
		cfg.Lease = 60 * time.Second
	}
	if cfg.FunctionTimeout <= 0 {
		cfg.FunctionTimeout = 15 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{cfg: cfg}
}

// deadlineMargin is left before the platform's deadline to record the outcome.
const deadlineMargin = 2 * time.Second

// MaxBody bounds a request body (the platform's 6 MiB).
const MaxBody = 6 << 20

// response is the JSON answer to the queue.
type response struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func reply(w http.ResponseWriter, code int, r response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(r)
}

// ServeHTTP handles a queue message. 2xx once the outcome is recorded
// (success or failure) or the message is a duplicate; 4xx for a malformed
// message; 5xx only for infrastructure faults, so the queue redelivers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		reply(w, http.StatusMethodNotAllowed, response{Status: "error", Detail: "POST a task message"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		reply(w, http.StatusRequestEntityTooLarge, response{Status: "error", Detail: "body over 6 MiB"})
		return
	}
	msg, err := queue.Decode(body)
	if err != nil {
		reply(w, http.StatusBadRequest, response{Status: "error", Detail: err.Error()})
		return
	}
	code, resp := h.Run(r.Context(), msg, r.Header.Get("X-Request-ID"))
	reply(w, code, resp)
}

// errCrashed marks a chaos crash.
var errCrashed = errors.New("attempt aborted (simulated crash)")

// Run executes one message and returns the HTTP status and answer.
func (h *Handler) Run(ctx context.Context, msg queue.Message, requestID string) (int, response) {
	log := h.cfg.Logger.With("request_id", requestID, "dag_id", msg.DagID, "run_id", msg.RunID,
		"task_id", msg.TaskID, "try_number", msg.TryNumber, "function", h.cfg.Function)
	st := h.cfg.Engine.Store()
	now := h.cfg.Now().UTC().Truncate(time.Microsecond)
	claim := &store.TaskClaimParams{DagID: msg.DagID, RunID: msg.RunID, TaskID: msg.TaskID, TryNumber: msg.TryNumber,
		Now: now, LeaseUntil: now.Add(h.cfg.Lease), RequestID: requestID,
		LogKey: tasklog.Key(msg.DagID, msg.RunID, msg.TaskID, msg.TryNumber)}
	run, claimed, err := st.TaskClaim(ctx, claim)
	runPK := run.PK
	if err != nil {
		log.ErrorContext(ctx, "claim failed", "error", err)
		return http.StatusServiceUnavailable, response{Status: "error", Detail: "database unavailable"}
	}
	if !claimed {
		if paused, err := st.DagIsPaused(ctx, msg.DagID); err == nil && paused {
			log.InfoContext(ctx, "DAG paused: the task waits, queued, for the unpause")
			return http.StatusOK, response{Status: "ignored", Detail: "the DAG is paused: the task starts when it is unpaused"}
		}
		log.InfoContext(ctx, "duplicate or stale message ignored")
		return http.StatusOK, response{Status: "ignored", Detail: "the attempt is not queued under this try"}
	}
	ref := engine.AttemptRef{RunPK: runPK, DagID: msg.DagID, RunID: msg.RunID, TaskID: msg.TaskID, TryNumber: msg.TryNumber}

	var logw LogWriter
	if h.cfg.Logs != nil {
		logw = h.cfg.Logs(ctx, claim.LogKey)
	}
	taskLog := newTaskLogger(log, logw)
	out, crashed := h.execute(ctx, msg, &run, claim, taskLog)
	if crashed {
		if logw != nil {
			_ = logw.Close(context.WithoutCancel(ctx))
		}
		return http.StatusBadGateway, response{Status: "crashed", Detail: errCrashed.Error()}
	}
	// The log's last lines reach S3 before the outcome is recorded: whoever
	// sees the attempt ended (dag run's summary, the web, a downstream
	// task, an alert) reads its whole log (DESIGN §7: complete when it ends).
	if logw != nil {
		if err := logw.Close(context.WithoutCancel(ctx)); err != nil {
			log.WarnContext(ctx, "the attempt's log could not be uploaded; its outcome is recorded anyway", "error", err)
		}
	}
	out = recordable(out)
	if out.Err != nil && h.cfg.Mask != nil {
		if m := h.cfg.Mask(out.Err.Error()); m != out.Err.Error() {
			out.Err = &maskedError{msg: m, err: out.Err}
		}
	}
	var recorded bool
	for i := 0; i < 3; i++ {
		if recorded, err = h.cfg.Engine.Complete(context.WithoutCancel(ctx), ref, out); err == nil {
			break
		}
		log.WarnContext(ctx, "recording the outcome failed; retrying", "error", err)
		time.Sleep(time.Duration(i+1) * 200 * time.Millisecond) // back-off on a DB fault, not synchronisation
	}
	if err != nil {
		return http.StatusServiceUnavailable, response{Status: "error", Detail: "database unavailable"}
	}
	status := "success"
	if out.Err != nil {
		status = "failed"
	}
	if !recorded {
		status = "superseded"
	}
	resp := response{Status: status}
	if out.Err != nil {
		resp.Detail = out.Err.Error()
	}
	return http.StatusOK, resp
}

// recordable makes an outcome storable: Postgres text refuses NUL and
// invalid UTF-8 (the error), jsonb refuses \u0000 (the result). A result
// or error quoting what a server sent (a body holding a NUL byte, a Latin-1
// reason phrase) was refused with the outcome: the attempt, its end never
// recorded, became a zombie once its lease expired (and its retries too).
func recordable(out engine.Outcome) engine.Outcome {
	if out.Err != nil {
		msg := out.Err.Error()
		if clean := cleanText(msg); clean != msg {
			out.Err = &maskedError{msg: clean, err: out.Err}
		}
	}
	if bytes.Contains(out.Result, []byte(`\u0000`)) {
		dec := json.NewDecoder(bytes.NewReader(out.Result))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			if b, err := json.Marshal(withoutNUL(v)); err == nil {
				out.Result = b
			}
		}
	}
	return out
}

func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// withoutNUL removes NUL characters from every string (and key) of v.
func withoutNUL(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, "\x00", "")
	case []any:
		for i, e := range x {
			x[i] = withoutNUL(e)
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[strings.ReplaceAll(k, "\x00", "")] = withoutNUL(e)
		}
		return out
	}
	return v
}

// maskedError is an error whose message had secret values masked (or
// characters Postgres refuses removed).
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// execute runs the task code with heartbeats and its execution timeout.
func (h *Handler) execute(ctx context.Context, msg queue.Message, run *store.Run, claim *store.TaskClaimParams, log *slog.Logger) (engine.Outcome, bool) {
	spec, err := h.cfg.Engine.Version(ctx, run.DagID, run.VersionHash)
	if err != nil {
		return engine.Outcome{Err: err}, false
	}
	task := spec.Task(msg.TaskID)
	if task == nil {
		return engine.Outcome{Err: fmt.Errorf("task %s not in DAG %s", msg.TaskID, msg.DagID), NoRetry: true}, false
	}
	var params map[string]any
	dec := json.NewDecoder(bytes.NewReader(run.Params))
	dec.UseNumber() // an integer param keeps every digit in {{ params.x }}
	_ = dec.Decode(&params)
	args, err := dag.Render(task.Args, dag.TemplateContext{DagID: run.DagID, TaskID: msg.TaskID, RunID: run.RunID,
		LogicalDate: run.LogicalDate, DataIntervalStart: run.DataIntervalStart, DataIntervalEnd: run.DataIntervalEnd,
		TryNumber: msg.TryNumber, Params: params})
	if err != nil {
		log.Error("invalid args", "error", err)
		return engine.Outcome{Err: fmt.Errorf("task %s args: %w", msg.TaskID, err), NoRetry: true}, false
	}
	timeout := spec.Policy(task).ExecutionTimeout
	set := timeout > 0
	if !set {
		timeout = h.cfg.FunctionTimeout
	}
	timeoutErr := fmt.Errorf("execution_timeout of %s exceeded", timeout)
	// The platform's deadline (the function timeout, when the request
	// carries it) comes first: end the attempt cleanly just before it so
	// its failure is recorded instead of becoming a zombie.
	if d, ok := ctx.Deadline(); ok {
		if left := time.Until(d) - deadlineMargin; left < timeout {
			// Said as such: "execution_timeout of 13m58s" named a limit
			// the DAG (set to 20m, or unset) never gave.
			after := max(left, time.Millisecond).Round(time.Millisecond)
			timeoutErr = fmt.Errorf("the function's timeout ended the attempt after %s (no execution_timeout set)", after)
			if set {
				timeoutErr = fmt.Errorf("the function's timeout ended the attempt after %s, before its execution_timeout of %s: "+
					"raise the function's timeout in serverless.yml or lower execution_timeout", after, timeout)
			}
			timeout = max(left, time.Millisecond)
		}
	}
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()

	crash := h.cfg.Crash != nil && h.cfg.Crash(msg)
	stopBeat := h.heartbeat(tctx, cancel, claim, log)
	defer stopBeat()

	t := &Task{DagID: run.DagID, RunID: run.RunID, TaskID: msg.TaskID, TryNumber: msg.TryNumber,
		LogicalDate: run.LogicalDate, Args: args, Params: params, Logger: log, runPK: run.PK, store: h.cfg.Engine.Store(), artifacts: h.cfg.Artifacts}
	done := make(chan engine.Outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				log.Error(fmt.Sprintf("task panicked: %v", p))
				h.cfg.Logger.Debug("panic stack", "stack", string(debug.Stack()))
				done <- engine.Outcome{Err: fmt.Errorf("task panicked: %v", p)}
			}
		}()
		res, err := h.cfg.Task(tctx, t)
		if crash {
			// The platform kills the instance once the task's code has
			// run (its side effects done: the hardest case for exactly
			// once) and before its outcome is recorded: the lease
			// expires, the coordinator retries.
			done <- engine.Outcome{}
			return
		}
		done <- outcome(res, err)
	}()
	var out engine.Outcome
	select {
	case out = <-done:
	case <-tctx.Done():
		if errors.Is(tctx.Err(), context.DeadlineExceeded) {
			out = engine.Outcome{Err: timeoutErr}
		} else {
			out = engine.Outcome{Err: fmt.Errorf("attempt stopped: it was marked or cleared while running")}
		}
	}
	if crash {
		return out, true
	}
	if out.Err != nil {
		log.Error("task failed", "error", out.Err.Error())
	} else {
		log.Info("task succeeded")
	}
	return out, false
}

func outcome(res any, err error) engine.Outcome {
	if err != nil {
		var ae *ArgsError
		return engine.Outcome{Err: err, NoRetry: errors.As(err, &ae)}
	}
	if res == nil {
		return engine.Outcome{}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return engine.Outcome{Err: fmt.Errorf("task result is not JSON-encodable: %w", err)}
	}
	var sc struct {
		SkipDownstream bool `json:"skip_downstream"`
	}
	_ = json.Unmarshal(b, &sc)
	return engine.Outcome{Result: b, SkipDownstream: sc.SkipDownstream}
}

// heartbeat extends the lease every Lease/3 until stopped; when the
// attempt no longer runs (marked, cleared, zombie-failed) it cancels the
// task's context.
func (h *Handler) heartbeat(ctx context.Context, cancel context.CancelFunc, claim *store.TaskClaimParams, log *slog.Logger) func() {
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(h.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if ctx.Err() != nil {
					return // the attempt just ended (execution_timeout): no beat
				}
				p := *claim
				p.LeaseUntil = h.cfg.Now().UTC().Add(h.cfg.Lease)
				var alive bool
				err := h.cfg.Engine.Store().InTx(ctx, func(tx *store.Tx) (err error) {
					alive, err = tx.TaskHeartbeat(ctx, &p)
					return err
				})
				if err != nil {
					if ctx.Err() != nil {
						return // cut by the attempt's own end, not a fault
					}
					log.Warn("heartbeat failed", "error", err)
					continue
				}
				if !alive {
					cancel()
					return
				}
			}
		}
	}()
	return func() { close(stop); <-finished }
}
