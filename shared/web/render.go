package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/store"
)

// pages are the parsed templates, one set per page (layout + content).
type pages struct {
	sets map[string]*template.Template
}

// pageNames are the templates/<name>.html files that are pages.
var pageNames = []string{"login", "dags", "grid", "run", "attempt", "trigger", "error"}

func loadPages() *pages {
	p := &pages{sets: map[string]*template.Template{}}
	for _, name := range pageNames {
		t := template.New("layout.html").Funcs(funcs)
		p.sets[name] = template.Must(t.ParseFS(assetsFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return p
}

// view is what every page gets; Data is the page's own.
type view struct {
	Title string
	Base  string
	Asset string
	User  string
	CSRF  string
	Flash string
	Data  any
}

// render writes a page; a template error is logged and becomes a plain
// 500 (the buffer keeps a half-rendered page from reaching the user).
func (s *server) render(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, name, title string, data any) {
	v := view{Title: title, Base: rc.Base, Asset: assetVersion, User: rc.User, CSRF: rc.CSRF, Data: data,
		Flash: flashes[r.URL.Query().Get("done")]}
	var buf bytes.Buffer
	if err := s.pages.sets[name].Execute(&buf, v); err != nil {
		s.log.ErrorContext(r.Context(), "web template failed", "page", name, "error", err)
		http.Error(w, "Something went wrong while showing this page.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// flashes are the fixed messages shown after an action (?done=…): a code,
// never text from the URL.
var flashes = map[string]string{
	"paused":         "The DAG is paused.",
	"unpaused":       "The DAG is unpaused.",
	"triggered":      "The run was created.",
	"cleared":        "The tasks were cleared and will run again.",
	"marked-success": "The task was marked success.",
	"marked-failed":  "The task was marked failed.",
}

type errorView struct {
	Heading, Message, Back string
	RequestID              string
	// To and ToText link to the page an action was made from, if any.
	To, ToText string
}

// errorPage shows a friendly error (JSON under /api).
func (s *server) errorPage(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, heading, msg string) {
	if isAPI(r) {
		writeError(w, code, strings.ToLower(heading), msg)
		return
	}
	s.render(w, r, rc, code, "error", heading, errorView{Heading: heading, Message: msg,
		Back: rc.link(), RequestID: r.Header.Get("X-Request-ID")})
}

// fail maps an error to a status: not found → 404, else logged and a 500
// that names the request id, never the error's text.
func (s *server) fail(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error) {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, engine.ErrNotFound) || errors.Is(err, errNotFound) {
		s.errorPage(w, r, rc, http.StatusNotFound, "Not found", notFoundText(err))
		return
	}
	s.log.ErrorContext(r.Context(), "web request failed", "path", r.URL.Path, "error", err.Error(),
		"request_id", r.Header.Get("X-Request-ID"))
	s.errorPage(w, r, rc, http.StatusInternalServerError, "Something went wrong",
		"The page could not be built. Try again in a moment; if it persists, the web function's logs name this request.")
}

// errNotFound wraps what a user asked for that does not exist.
var errNotFound = errors.New("not found")

// notFound is a user-facing "no such thing" error.
func notFound(format string, a ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), errNotFound)
}

func notFoundText(err error) string {
	if errors.Is(err, errNotFound) {
		return strings.TrimSuffix(err.Error(), ": not found") + " does not exist."
	}
	return "What you asked for does not exist."
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError is the API's error shape (as the coordinator's).
func writeError(w http.ResponseWriter, code int, msg string, detail any) {
	writeJSON(w, code, map[string]any{"error": msg, "detail": detail})
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"when":     when,
	"duration": duration,
	"state":    stateClass,
	"json":     prettyJSON,
	"legendStates": func() []string {
		return []string{"success", "running", "queued", "up_for_retry", "failed", "upstream_failed", "skipped", "none"}
	},
}

// when formats a time in UTC, saying so (every page shows UTC, as the
// schedules are); "—" when unset.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// duration is a short human duration.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// stateClass is the CSS class of a state (unknown states get st-none).
func stateClass(state string) string {
	switch state {
	case "queued", "running", "success", "failed", "up_for_retry", "upstream_failed", "skipped", "scheduled":
		return "st-" + state
	}
	return "st-none"
}

func prettyJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}
