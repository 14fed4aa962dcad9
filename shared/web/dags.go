package web

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/store"
)

// latestRuns is how many run dots a DAG shows in the list.
const latestRuns = 10

// dagRow is one DAG of the list.
type dagRow struct {
	DagID       string    `json:"dag_id"`
	Description string    `json:"description"`
	Schedule    string    `json:"schedule"`
	IsPaused    bool      `json:"is_paused"`
	Tags        []string  `json:"tags"`
	Deployed    bool      `json:"deployed"`
	NextRunAt   time.Time `json:"next_run_at,omitzero"`
	NextLogical time.Time `json:"next_logical_date,omitzero"`
	LatestRuns  []runDot  `json:"latest_runs"`
	Link        string    `json:"-"`
}

// runDot is a run's coloured dot.
type runDot struct {
	RunID       string    `json:"run_id"`
	State       string    `json:"state"`
	LogicalDate time.Time `json:"logical_date"`
	Link        string    `json:"-"`
}

// dagFilter narrows the list: tag (exact) and q (in id or description).
type dagFilter struct{ Tag, Q string }

func (f dagFilter) keep(d *dagRow) bool {
	if f.Tag != "" && !contains(d.Tags, f.Tag) {
		return false
	}
	q := strings.ToLower(strings.TrimSpace(f.Q))
	return q == "" || strings.Contains(strings.ToLower(d.DagID), q) || strings.Contains(strings.ToLower(d.Description), q)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// loadDags reads every registered DAG with its latest runs (one query)
// and adds what the deployed spec says (description, tags, next run).
func (s *server) loadDags(ctx context.Context, rc *reqCtx) ([]dagRow, error) {
	var sums []store.DagSummary
	err := s.cfg.Store.Read(ctx, func(tx *store.Tx) (err error) {
		sums, err = tx.DagListWithRuns(ctx, &store.DagListWithRunsParams{Runs: latestRuns})
		return err
	})
	if err != nil {
		return nil, err
	}
	set := s.cfg.Dags()
	now := s.cfg.Now()
	rows := make([]dagRow, 0, len(sums))
	for _, d := range sums {
		row := dagRow{DagID: d.DagID, Schedule: d.Schedule, IsPaused: d.IsPaused, Tags: []string{},
			Link: rc.link("dags", d.DagID), LatestRuns: []runDot{}}
		if spec, ok := set.Get(d.DagID); ok {
			row.Deployed, row.Description = true, spec.Description
			row.Tags = append(row.Tags, spec.Tags...)
			row.NextLogical, row.NextRunAt = nextRun(spec, d.LastIntervalEnd, now)
		}
		// Oldest first, left to right, as the grid.
		for i := len(d.Runs) - 1; i >= 0; i-- {
			r := d.Runs[i]
			row.LatestRuns = append(row.LatestRuns, runDot{RunID: r.RunID, State: r.State, LogicalDate: r.LogicalDate,
				Link: rc.link("dags", d.DagID, "runs", r.RunID)})
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// nextRun is the next scheduled run's logical date and when it will be
// created (the end of its data interval); zero without a schedule.
func nextRun(spec *dag.Spec, lastEnd, now time.Time) (logical, at time.Time) {
	iv, ok, err := spec.NextInterval(lastEnd, now)
	if err != nil || !ok {
		return time.Time{}, time.Time{}
	}
	return iv.Start, iv.End
}

// dagListView is the list page's data.
type dagListView struct {
	Dags   []dagRow
	Tags   []string
	Filter dagFilter
	Total  int
	Clear  string
}

func (s *server) dagList(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	rows, err := s.loadDags(r.Context(), rc)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	f := dagFilter{Tag: r.URL.Query().Get("tag"), Q: r.URL.Query().Get("q")}
	tags := map[string]bool{}
	v := dagListView{Filter: f, Total: len(rows), Clear: rc.link()}
	for i := range rows {
		for _, t := range rows[i].Tags {
			tags[t] = true
		}
		if f.keep(&rows[i]) {
			v.Dags = append(v.Dags, rows[i])
		}
	}
	for t := range tags {
		v.Tags = append(v.Tags, t)
	}
	sort.Strings(v.Tags)
	s.render(w, r, rc, http.StatusOK, "dags", "DAGs", v)
}

func (s *server) apiDags(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	rows, err := s.loadDags(r.Context(), rc)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	f := dagFilter{Tag: r.URL.Query().Get("tag"), Q: r.URL.Query().Get("q")}
	out := []dagRow{}
	for i := range rows {
		if f.keep(&rows[i]) {
			out = append(out, rows[i])
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"dags": out, "total_entries": len(out)})
}
