package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/store"
)

// runView is the run page's data.
type runView struct {
	Doc       engine.RunDoc
	Duration  time.Duration
	Gantt     []ganttRow
	Span      time.Duration
	GridLink  string
	ClearLink string
	Final     bool
	// Refresh (ms) reloads the page while the run is not final.
	Refresh int
	// Paused: the run is queued and its DAG paused, so it waits.
	Paused bool
}

// ganttRow is one task of the Gantt: its state and duration (of its
// last attempt) and one bar per attempt.
type ganttRow struct {
	TaskID   string
	State    string
	Try      int
	Duration time.Duration
	Bars     []ganttBar
	Link     string
}

// ganttBar is one attempt's bar: X and W in 0…1000 of the run's span (the
// SVG's viewBox), so the page needs no inline style (CSP).
type ganttBar struct {
	Try        int
	State      string
	Start, End time.Time
	X, W       float64
	Title      string
}

func (s *server) run(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	dagID, runID := r.PathValue("dag_id"), r.PathValue("run_id")
	doc, err := s.cfg.Engine.GetRun(r.Context(), dagID, runID)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	var attempts []store.TaskAttempt
	err = s.cfg.Store.Read(r.Context(), func(tx *store.Tx) (err error) {
		attempts, err = tx.TaskAttemptListByRun(r.Context(), &store.TaskAttemptListByRunParams{DagID: dagID, RunID: runID})
		return err
	})
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	now := s.cfg.Now()
	v := runView{Doc: doc, GridLink: rc.link("dags", dagID), ClearLink: rc.link("dags", dagID, "runs", runID, "clear"),
		Final: doc.State == "success" || doc.State == "failed"}
	if doc.StartedAt != nil {
		end := now
		if doc.EndedAt != nil {
			end = *doc.EndedAt
		}
		v.Duration = end.Sub(*doc.StartedAt)
	}
	if !v.Final {
		v.Refresh = int(s.cfg.RefreshInterval.Milliseconds())
	}
	if doc.State == "queued" {
		v.Paused = s.dagPaused(r.Context(), dagID)
	}
	v.Gantt, v.Span = gantt(doc, attempts, now, rc)
	s.render(w, r, rc, http.StatusOK, "run", runID, v)
}

// gantt lays out every attempt of each task (attempts by task id then try
// number) over the run's span: from the first start to the last end (now
// for attempts still running). A task with no attempt row but a start
// time gets one bar from its task instance.
func gantt(doc engine.RunDoc, attempts []store.TaskAttempt, now time.Time, rc *reqCtx) ([]ganttRow, time.Duration) {
	byTask := map[string][]store.TaskAttempt{}
	for _, a := range attempts {
		byTask[a.TaskID] = append(byTask[a.TaskID], a)
	}
	var from, to time.Time
	add := func(row *ganttRow, try int, state string, start, end time.Time) {
		if end.IsZero() {
			end = now // still running
		}
		if end.Before(start) { // a clock behind the attempt's start
			end = start
		}
		row.Bars = append(row.Bars, ganttBar{Try: try, State: state, Start: start, End: end,
			Title: fmt.Sprintf("%s · try %d · %s · %s", row.TaskID, try, state, duration(end.Sub(start)))})
		if from.IsZero() || start.Before(from) {
			from = start
		}
		if end.After(to) {
			to = end
		}
	}
	rows := make([]ganttRow, len(doc.Tasks))
	for i, t := range doc.Tasks {
		row := ganttRow{TaskID: t.TaskID, State: t.State, Try: t.TryNumber,
			Link: rc.link("dags", doc.DagID, "runs", doc.RunID, "tasks", t.TaskID)}
		if t.StartedAt != nil {
			end := now
			if t.EndedAt != nil && !t.EndedAt.Before(*t.StartedAt) {
				end = *t.EndedAt
			}
			row.Duration = end.Sub(*t.StartedAt)
		}
		for _, a := range byTask[t.TaskID] {
			add(&row, a.TryNumber, a.State, a.StartedAt, a.EndedAt)
		}
		if len(row.Bars) == 0 && t.StartedAt != nil {
			var end time.Time
			if t.EndedAt != nil {
				end = *t.EndedAt
			}
			add(&row, t.TryNumber, t.State, *t.StartedAt, end)
		}
		rows[i] = row
	}
	span := to.Sub(from)
	for i := range rows {
		for j := range rows[i].Bars {
			b := &rows[i].Bars[j]
			if span <= 0 {
				b.X, b.W = 0, 1000
				continue
			}
			b.X = 1000 * float64(b.Start.Sub(from)) / float64(span)
			// A bar stays visible however short the attempt was.
			b.W = max(4, 1000*float64(b.End.Sub(b.Start))/float64(span))
			if b.X+b.W > 1000 {
				b.X = 1000 - b.W
			}
		}
	}
	return rows, span
}

func (s *server) apiRun(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	doc, err := s.cfg.Engine.GetRun(r.Context(), r.PathValue("dag_id"), r.PathValue("run_id"))
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}
