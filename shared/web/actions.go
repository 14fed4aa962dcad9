package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/store"
)

// triggerView is the trigger form's data.
type triggerView struct {
	DagID       string
	Description string
	Fields      []paramField
	Errors      []string // problems of no single param, and coordinator refusals
	Invalid     []string // the params with an error, in the form's order
	Action      string
	GridLink    string
	// Paused: the run will wait in queued until the DAG is unpaused.
	Paused bool
}

// dagPaused tells whether the DAG is paused (false when it has no row yet).
func (s *server) dagPaused(ctx context.Context, dagID string) bool {
	paused := false
	_ = s.cfg.Store.Read(ctx, func(tx *store.Tx) error {
		d, err := tx.DagGet(ctx, dagID)
		if err == nil {
			paused = d.IsPaused
		}
		return nil
	})
	return paused
}

// deployedSpec is the DAG's deployed spec: the one the coordinator
// validates a trigger against.
func (s *server) deployedSpec(w http.ResponseWriter, r *http.Request, rc *reqCtx) (*dag.Spec, bool) {
	spec, ok := s.cfg.Dags().Get(r.PathValue("dag_id"))
	if !ok {
		s.errorPage(w, r, rc, http.StatusNotFound, "Not found", "DAG "+r.PathValue("dag_id")+" is not deployed.")
	}
	return spec, ok
}

func (s *server) triggerForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	spec, ok := s.deployedSpec(w, r, rc)
	if !ok {
		return
	}
	s.renderTrigger(w, r, rc, http.StatusOK, spec, nil, nil)
}

func (s *server) renderTrigger(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, spec *dag.Spec,
	submitted url.Values, problems map[string]string) {
	v := triggerView{DagID: spec.DagID, Description: spec.Description, Fields: paramFields(spec, submitted),
		Action: rc.link("dags", spec.DagID, "trigger"), GridLink: rc.link("dags", spec.DagID),
		Paused: s.dagPaused(r.Context(), spec.DagID)}
	for i := range v.Fields {
		v.Fields[i].Error = problems[v.Fields[i].Name]
		if v.Fields[i].Error != "" {
			v.Invalid = append(v.Invalid, v.Fields[i].Name)
		}
		delete(problems, v.Fields[i].Name)
	}
	for name, msg := range problems {
		if name != "" {
			msg = "conf." + name + ": " + msg
		}
		v.Errors = append(v.Errors, msg)
	}
	sort.Strings(v.Errors)
	s.render(w, r, rc, code, "trigger", "Trigger "+spec.DagID, v)
}

// trigger validates the conf with the DAG's rules, then asks the
// coordinator for the run; errors show the form again.
func (s *server) trigger(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	spec, ok := s.deployedSpec(w, r, rc)
	if !ok {
		return
	}
	conf, problems := parseConf(spec, r.PostForm)
	if problems != nil {
		s.renderTrigger(w, r, rc, http.StatusBadRequest, spec, r.PostForm, problems)
		return
	}
	doc, err := s.coord.Trigger(r.Context(), r.Header.Get("X-Request-ID"), spec.DagID, conf)
	if err != nil {
		ae := s.actionFailure(r, err)
		problems = map[string]string{}
		if len(ae.Problems) > 0 && ae.Status == http.StatusBadRequest {
			addProblems(problems, ae.Problems)
		} else {
			problems[""] = ae.Error()
		}
		s.renderTrigger(w, r, rc, statusOf(ae), spec, r.PostForm, problems)
		return
	}
	s.log.InfoContext(r.Context(), "web: run triggered", "user", rc.User, "dag_id", spec.DagID, "run_id", doc.RunID)
	redirect(w, withQuery(rc.link("dags", spec.DagID, "runs", doc.RunID), url.Values{"done": {"triggered"}}))
}

// pause pauses (paused=true) or unpauses a DAG; back=list returns to the list.
func (s *server) pause(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	dagID := r.PathValue("dag_id")
	paused := r.PostForm.Get("paused") == "true"
	if err := s.coord.SetPaused(r.Context(), r.Header.Get("X-Request-ID"), dagID, paused); err != nil {
		s.actionError(w, r, rc, err, rc.link("dags", dagID), "Back to the DAG")
		return
	}
	s.log.InfoContext(r.Context(), "web: DAG paused", "user", rc.User, "dag_id", dagID, "paused", paused)
	done := url.Values{"done": {"unpaused"}}
	if paused {
		done.Set("done", "paused")
	}
	back := rc.link("dags", dagID)
	if r.PostForm.Get("back") == "list" {
		back = rc.link()
	}
	redirect(w, withQuery(back, done))
}

// clear re-runs task_id (all tasks when none) and, with downstream=true,
// its downstream tasks.
func (s *server) clear(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	dagID, runID := r.PathValue("dag_id"), r.PathValue("run_id")
	tasks := r.PostForm["task_id"]
	downstream := r.PostForm.Get("downstream") == "true"
	if err := s.coord.Clear(r.Context(), r.Header.Get("X-Request-ID"), dagID, runID, tasks, downstream); err != nil {
		s.actionError(w, r, rc, err, rc.link("dags", dagID, "runs", runID), "Back to the run")
		return
	}
	s.log.InfoContext(r.Context(), "web: tasks cleared", "user", rc.User, "dag_id", dagID, "run_id", runID,
		"tasks", tasks, "downstream", downstream)
	back := rc.link("dags", dagID, "runs", runID)
	if len(tasks) == 1 && r.PostForm.Get("back") == "task" {
		back = rc.link("dags", dagID, "runs", runID, "tasks", tasks[0])
	}
	redirect(w, withQuery(back, url.Values{"done": {"cleared"}}))
}

// mark sets a task success or failed (state=…).
func (s *server) mark(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	dagID, runID, taskID := r.PathValue("dag_id"), r.PathValue("run_id"), r.PathValue("task_id")
	state := r.PostForm.Get("state")
	if state != "success" && state != "failed" {
		s.errorPage(w, r, rc, http.StatusBadRequest, "Invalid state", "A task can be marked success or failed only.")
		return
	}
	if err := s.coord.Mark(r.Context(), r.Header.Get("X-Request-ID"), dagID, runID, taskID, state); err != nil {
		s.actionError(w, r, rc, err, rc.link("dags", dagID, "runs", runID, "tasks", taskID), "Back to the task")
		return
	}
	s.log.InfoContext(r.Context(), "web: task marked", "user", rc.User, "dag_id", dagID, "run_id", runID,
		"task_id", taskID, "state", state)
	redirect(w, withQuery(rc.link("dags", dagID, "runs", runID, "tasks", taskID), url.Values{"done": {"marked-" + state}}))
}

// actionFailure turns an error of the coordinator client into what the
// user may see; anything else is logged and shown as a generic failure.
func (s *server) actionFailure(r *http.Request, err error) *actionError {
	if ae, ok := asActionError(err); ok {
		s.log.WarnContext(r.Context(), "web: action refused", "path", r.URL.Path, "status", ae.Status, "error", ae.Error())
		return ae
	}
	s.log.ErrorContext(r.Context(), "web: action failed", "path", r.URL.Path, "error", err.Error())
	return &actionError{Status: http.StatusBadGateway, Msg: "the action failed; try again in a moment"}
}

// actionError shows a refused or failed action, with a link back to the
// page it was made from (to, named toText).
func (s *server) actionError(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error, to, toText string) {
	ae := s.actionFailure(r, err)
	s.render(w, r, rc, statusOf(ae), "error", "The action was refused", errorView{Heading: "The action was refused",
		Message: capitalize(ae.Error()) + ".", Back: rc.link(), RequestID: r.Header.Get("X-Request-ID"), To: to, ToText: toText})
}

// statusOf passes the coordinator's 4xx (bad input, not found, conflict)
// through; anything else is a 502.
func statusOf(ae *actionError) int {
	if ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden {
		return http.StatusBadGateway // the web's token, not the user, is refused
	}
	if ae.Status >= 400 && ae.Status < 500 || ae.Status == http.StatusServiceUnavailable {
		return ae.Status
	}
	return http.StatusBadGateway
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-32) + s[1:]
}
