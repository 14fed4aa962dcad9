package web

import (
	"net/http"
	"time"

	"github.com/lvao/dataplatform/shared/engine"
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

// ganttRow is one task's bar: X and W in 0…1000 of the run's span (the
// SVG's viewBox), so the page needs no inline style (CSP).
type ganttRow struct {
	TaskID   string
	State    string
	Try      int
	Start    time.Time
	End      time.Time
	Duration time.Duration
	X, W     float64
	HasBar   bool
	Link     string
}

func (s *server) run(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	dagID, runID := r.PathValue("dag_id"), r.PathValue("run_id")
	doc, err := s.cfg.Engine.GetRun(r.Context(), dagID, runID)
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
	v.Gantt, v.Span = gantt(doc, now, rc)
	s.render(w, r, rc, http.StatusOK, "run", runID, v)
}

// gantt lays out each task's last attempt over the run's span: from the
// first start to the last end (now for tasks still running).
func gantt(doc engine.RunDoc, now time.Time, rc *reqCtx) ([]ganttRow, time.Duration) {
	var from, to time.Time
	rows := make([]ganttRow, len(doc.Tasks))
	for i, t := range doc.Tasks {
		row := ganttRow{TaskID: t.TaskID, State: t.State, Try: t.TryNumber,
			Link: rc.link("dags", doc.DagID, "runs", doc.RunID, "tasks", t.TaskID)}
		if t.StartedAt != nil {
			row.Start, row.End, row.HasBar = *t.StartedAt, now, true
			if t.EndedAt != nil && !t.EndedAt.Before(*t.StartedAt) {
				row.End = *t.EndedAt
			}
			row.Duration = row.End.Sub(row.Start)
			if from.IsZero() || row.Start.Before(from) {
				from = row.Start
			}
			if row.End.After(to) {
				to = row.End
			}
		}
		rows[i] = row
	}
	span := to.Sub(from)
	for i := range rows {
		if !rows[i].HasBar {
			continue
		}
		if span <= 0 {
			rows[i].X, rows[i].W = 0, 1000
			continue
		}
		rows[i].X = 1000 * float64(rows[i].Start.Sub(from)) / float64(span)
		// A bar stays visible however short the task was.
		rows[i].W = max(4, 1000*float64(rows[i].Duration)/float64(span))
		if rows[i].X+rows[i].W > 1000 {
			rows[i].X = 1000 - rows[i].W
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
