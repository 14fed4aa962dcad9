// Package coordinator serves the coordinator function: the cron tick and
// the API of DESIGN §10, named after Airflow's stable REST API.
package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"reflect"
	"strings"
	"time"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
)

// Config builds the coordinator's handler. Zero values mean the
// documented defaults.
type Config struct {
	// Engine is the coordinator's logic. Required.
	Engine *engine.Engine
	// Logger default: discard.
	Logger *slog.Logger
	// TickLinger keeps a tick's request open this long after the tick,
	// queueing due retries every 5s (engine.Linger), within the request's
	// deadline. Default 0: the tick returns at once.
	TickLinger time.Duration
	// Wait is Linger's wait (tests). Default: a timer.
	Wait func(ctx context.Context, d time.Duration) error
}

// NewHandler returns the coordinator's HTTP handler.
func NewHandler(e *engine.Engine, logger *slog.Logger) http.Handler {
	return New(Config{Engine: e, Logger: logger})
}

// New returns the coordinator's HTTP handler.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{e: cfg.Engine, log: cfg.Logger, cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", h.root)
	mux.HandleFunc("POST /api/v1/dags/{dag_id}/dagRuns", h.trigger)
	mux.HandleFunc("GET /api/v1/dags/{dag_id}/dagRuns/{run_id}", h.getRun)
	mux.HandleFunc("PATCH /api/v1/dags/{dag_id}", h.patchDag)
	mux.HandleFunc("POST /api/v1/dags/{dag_id}/clearTaskInstances", h.clear)
	mux.HandleFunc("PATCH /api/v1/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}", h.mark)
	mux.HandleFunc("POST /api/v1/dags/{dag_id}/backfill", h.backfill)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allowed := allowedMethods(mux, r); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, http.StatusMethodNotAllowed, "method not allowed",
				r.URL.Path+" takes "+strings.Join(allowed, " or ")+", not "+r.Method)
			return
		}
		writeError(w, http.StatusNotFound, "no such endpoint", r.Method+" "+r.URL.Path)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ServeMux answers a path with an empty or dot segment
		// (/api/v1/dags//dagRuns) with a bodyless redirect, which a
		// client would follow with its POST to another endpoint.
		if p := r.URL.Path; p != CleanPath(p) {
			writeError(w, http.StatusNotFound, "no such endpoint", r.Method+" "+p+" (an empty, . or .. path segment)")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// CleanPath is the path ServeMux would redirect p to (path.Clean, keeping
// a trailing slash): a path that differs names no endpoint as written.
func CleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}

// allowedMethods lists the methods an endpoint of mux takes for r's path
// (none: there is no such endpoint). The catch-all pattern would otherwise
// answer a wrong method with a 404 that hides the endpoint.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
			out = append(out, m)
		}
	}
	return out
}

type handler struct {
	e   *engine.Engine
	log *slog.Logger
	cfg Config
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string, detail any) {
	writeJSON(w, code, map[string]any{"error": msg, "detail": detail})
}

// decode reads a JSON body into v; unknown fields are errors.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	dec.UseNumber() // a conf's integers keep every digit (float64 rounds past 2^53)
	err := dec.Decode(v)
	var tooLarge *http.MaxBytesError
	var badTime *time.ParseError
	var badType *json.UnmarshalTypeError
	switch {
	case errors.As(err, &badTime):
		// Go's message shows its layout (2006-01-02T15:04:05Z07:00).
		writeError(w, http.StatusBadRequest, "invalid JSON body",
			fmt.Sprintf("%q is not an RFC 3339 date-time such as 2025-08-01T00:00:00Z", strings.Trim(badTime.Value, `"`)))
		return false
	case errors.As(err, &badType):
		// Go's message names Go types (map[string]interface {}).
		writeError(w, http.StatusBadRequest, "invalid JSON body",
			fmt.Sprintf("%s: expected %s, got %s", badType.Field, jsonKind(badType.Type), badType.Value))
		return false
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "body too large", fmt.Sprintf("at most %d bytes", tooLarge.Limit))
		return false
	case err != nil && !errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "invalid JSON body", err.Error())
		return false
	case err == nil:
		// One JSON value: what follows it would be ignored silently.
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			writeError(w, http.StatusBadRequest, "invalid JSON body", "data after the JSON object")
			return false
		}
	}
	return true
}

// jsonKind names a body field's Go type as JSON does.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice:
		return "an array"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	}
	return t.String()
}

// fail maps engine errors to statuses; internal errors are logged, never shown.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var in *engine.InputError
	var ce *dag.ConfError
	switch {
	case errors.As(err, &ce):
		writeError(w, http.StatusBadRequest, "invalid conf", ce.Problems)
	case errors.As(err, &in):
		writeError(w, http.StatusBadRequest, in.Msg, nil)
	case errors.Is(err, engine.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error(), nil)
	case errors.Is(err, engine.ErrConflict):
		writeError(w, http.StatusConflict, err.Error(), nil)
	default:
		h.log.ErrorContext(r.Context(), "coordinator request failed", "path", r.URL.Path, "error", err)
		writeError(w, http.StatusInternalServerError, "internal error", "see the coordinator logs, request "+r.Header.Get("X-Request-ID"))
	}
}

func (h *handler) root(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Action string `json:"action"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.Action != "tick" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown action %q", body.Action), "expected {\"action\":\"tick\"}")
		return
	}
	started := time.Now()
	rep, err := h.e.Tick(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.cfg.TickLinger > 0 {
		linger := h.cfg.TickLinger - time.Since(started)
		if dl, ok := r.Context().Deadline(); ok {
			linger = min(linger, time.Until(dl)-5*time.Second) // answer before the platform's timeout
		}
		n, err := h.e.Linger(r.Context(), engine.LingerParams{For: linger, Wait: h.cfg.Wait})
		rep.Retried += n
		if err != nil {
			h.log.WarnContext(r.Context(), "coordinator linger stopped", "error", err)
		}
	}
	writeJSON(w, http.StatusOK, rep)
}

func (h *handler) trigger(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Conf        map[string]any `json:"conf"`
		LogicalDate *time.Time     `json:"logical_date"`
		DagRunID    string         `json:"dag_run_id"`
		Note        string         `json:"note"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.DagRunID != "" {
		// Ignoring it would answer with another run id than the one asked
		// for, and the caller's GET of its run would then be a 404.
		writeError(w, http.StatusBadRequest, "dag_run_id cannot be chosen",
			"a manual run's id is manual__<logical_date>: set logical_date instead")
		return
	}
	p := engine.TriggerParams{DagID: r.PathValue("dag_id"), Conf: body.Conf}
	if body.LogicalDate != nil {
		// The zero time would mean "now" to the engine; so early a date is
		// a mistake anyway.
		if body.LogicalDate.Year() < 1970 {
			writeError(w, http.StatusBadRequest, "logical_date is before 1970",
				"got "+body.LogicalDate.UTC().Format(time.RFC3339)+"; omit it for now")
			return
		}
		p.LogicalDate = *body.LogicalDate
	}
	run, _, err := h.e.Trigger(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	doc, err := h.e.GetRun(r.Context(), run.DagID, run.RunID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

func (h *handler) getRun(w http.ResponseWriter, r *http.Request) {
	doc, err := h.e.GetRun(r.Context(), r.PathValue("dag_id"), r.PathValue("run_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

func (h *handler) patchDag(w http.ResponseWriter, r *http.Request) {
	var body struct {
		IsPaused *bool `json:"is_paused"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.IsPaused == nil {
		writeError(w, http.StatusBadRequest, "is_paused is required", nil)
		return
	}
	if err := h.e.SetPaused(r.Context(), r.PathValue("dag_id"), *body.IsPaused); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dag_id": r.PathValue("dag_id"), "is_paused": *body.IsPaused})
}

func (h *handler) clear(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RunID             string   `json:"run_id"`
		TaskIDs           []string `json:"task_ids"`
		IncludeDownstream bool     `json:"include_downstream"`
		DryRun            bool     `json:"dry_run"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.RunID == "" {
		writeError(w, http.StatusBadRequest, "run_id is required", nil)
		return
	}
	cleared, err := h.e.Clear(r.Context(), engine.ClearParams{DagID: r.PathValue("dag_id"), RunID: body.RunID,
		TaskIDs: body.TaskIDs, IncludeDownstream: body.IncludeDownstream, DryRun: body.DryRun})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"task_ids": cleared, "dry_run": body.DryRun})
}

func (h *handler) mark(w http.ResponseWriter, r *http.Request) {
	var body struct {
		NewState string `json:"new_state"`
	}
	if !decode(w, r, &body) {
		return
	}
	if err := h.e.Mark(r.Context(), r.PathValue("dag_id"), r.PathValue("run_id"), r.PathValue("task_id"), body.NewState); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"task_id": r.PathValue("task_id"), "state": body.NewState})
}

func (h *handler) backfill(w http.ResponseWriter, r *http.Request) {
	var body struct {
		From *time.Time `json:"from"`
		To   *time.Time `json:"to"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.From == nil || body.To == nil {
		writeError(w, http.StatusBadRequest, "from and to are required (RFC 3339)", nil)
		return
	}
	ids, err := h.e.Backfill(r.Context(), r.PathValue("dag_id"), *body.From, *body.To)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if ids == nil {
		ids = []string{} // every date has its run already: a list, not null
	}
	writeJSON(w, http.StatusOK, map[string]any{"dag_id": r.PathValue("dag_id"), "run_ids": ids})
}
