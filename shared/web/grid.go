package web

import (
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lvao/dataplatform/shared/store"
)

// grid is the last N runs × the DAG's tasks.
type grid struct {
	DagID       string
	Description string
	Schedule    string
	IsPaused    bool
	Deployed    bool
	NextRunAt   time.Time
	// Runs oldest first (left to right); Tasks in the DAG's order.
	Runs  []gridRun
	Tasks []gridTask
	// Next is where the following (older) page starts, when the page is
	// full (older runs may exist); zero otherwise.
	Next gridCursor
}

// gridCursor is a position in a DAG's runs in RunList's order
// (logical_date DESC, id DESC): a page shows the runs after it. The zero
// cursor shows the latest runs. Unlike a date alone, the id cannot skip
// nor repeat runs that share a logical date across pages.
type gridCursor struct {
	Before time.Time
	// BeforeID: the runs at Before with a smaller id come too (0: none).
	BeforeID int64
}

func (c gridCursor) IsZero() bool { return c.Before.IsZero() }

// values is the cursor as the grid's URL parameters (?before=&before_id=).
func (c gridCursor) values() url.Values {
	v := url.Values{"before": {c.Before.UTC().Format(time.RFC3339Nano)}}
	if c.BeforeID > 0 {
		v.Set("before_id", strconv.FormatInt(c.BeforeID, 10))
	}
	return v
}

// apiCursor is a cursor in the API's grid ("next").
type apiCursor struct {
	Before   time.Time `json:"before"`
	BeforeID int64     `json:"before_id,omitempty"`
}

// gridCursorOf reads ?before= (an RFC 3339 logical date, as Airflow's
// base_date: the runs strictly before it) and ?before_id= (a run's id,
// from a page's "next": also the runs at that date with a smaller id).
// Its errors are messages for the user.
func gridCursorOf(r *http.Request) (gridCursor, error) {
	q := r.URL.Query()
	raw, rawID := q.Get("before"), q.Get("before_id")
	var c gridCursor
	if raw == "" {
		if rawID != "" {
			return c, errors.New("before_id needs before (the logical date it goes with).")
		}
		return c, nil
	}
	// A "+02:00" offset arrives as " 02:00" when not escaped in the URL.
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(raw, " ", "+"))
	if err != nil {
		return c, fmt.Errorf("before=%q is not an RFC 3339 date, like 2026-01-02T15:04:05Z.", clip(raw))
	}
	c.Before = t.UTC()
	if rawID != "" {
		if c.BeforeID, err = strconv.ParseInt(rawID, 10, 64); err != nil || c.BeforeID <= 0 {
			return c, fmt.Errorf("before_id=%q is not a run id (a positive integer).", clip(rawID))
		}
	}
	return c, nil
}

type gridRun struct {
	PK          int64
	RunID       string
	State       string
	LogicalDate time.Time
	StartedAt   time.Time
	EndedAt     time.Time
	Link        string
}

type gridTask struct {
	TaskID string
	Cells  []gridCell // one per run, in Runs' order
	// Row is the row's cells as HTML, built by cellsHTML.
	Row template.HTML
}

type gridCell struct {
	State string
	Try   int
	Link  string
	Title string
}

// gridRuns reads ?runs= (or Airflow's ?limit=; default GridRuns, at most
// maxGridRuns); an error when it is not a positive number.
func (s *server) gridRuns(r *http.Request) (int, error) {
	name := "runs"
	v := r.URL.Query().Get(name)
	if v == "" {
		name = "limit"
		v = r.URL.Query().Get(name)
	}
	if v == "" {
		return s.cfg.GridRuns, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a number of runs (1 to %d), got %q", name, maxGridRuns, v)
	}
	return min(n, maxGridRuns), nil
}

// loadGrid reads n runs after the cursor (the latest when zero) and their
// task instances: two queries (dag_run_by_dag index, then the
// task_instance primary key), whatever the DAG's history or the page.
func (s *server) loadGrid(ctx context.Context, rc *reqCtx, dagID string, n int, cur gridCursor) (*grid, error) {
	g := &grid{DagID: dagID}
	var runs []store.Run
	var cells []store.Cell
	err := s.cfg.Store.Read(ctx, func(tx *store.Tx) error {
		d, err := tx.DagGet(ctx, dagID)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("DAG %s", dagID)
		}
		if err != nil {
			return err
		}
		g.Schedule, g.IsPaused = d.Schedule, d.IsPaused
		if spec, ok := s.cfg.Dags().Get(dagID); ok {
			g.Deployed, g.Description = true, spec.Description
			_, g.NextRunAt = nextRun(spec, d.LastIntervalEnd, s.cfg.Now())
		}
		if cur.IsZero() {
			runs, err = tx.RunList(ctx, dagID, n)
		} else {
			runs, err = tx.RunListBefore(ctx, dagID, cur.Before, cur.BeforeID, n)
		}
		if err != nil {
			return err
		}
		pks := make([]int64, len(runs))
		for i, r := range runs {
			pks[i] = r.PK
		}
		cells, err = tx.TaskInstanceListCells(ctx, &store.TaskInstanceListCellsParams{RunPKs: pks})
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(runs) == n && n > 0 {
		oldest := runs[n-1]
		g.Next = gridCursor{Before: oldest.LogicalDate.UTC(), BeforeID: oldest.PK}
	}
	col := map[int64]int{}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		col[r.PK] = len(g.Runs)
		g.Runs = append(g.Runs, gridRun{PK: r.PK, RunID: r.RunID, State: r.State, LogicalDate: r.LogicalDate,
			StartedAt: r.StartedAt, EndedAt: r.EndedAt, Link: rc.link("dags", dagID, "runs", r.RunID)})
	}
	rows := map[string]int{}
	if spec, ok := s.cfg.Dags().Get(dagID); ok {
		for _, t := range spec.Tasks {
			rows[t.ID] = len(g.Tasks)
			g.Tasks = append(g.Tasks, gridTask{TaskID: t.ID})
		}
	}
	// Tasks of older versions of the DAG come last, sorted.
	var extra []string
	for _, c := range cells {
		if _, ok := rows[c.TaskID]; !ok {
			rows[c.TaskID] = -1
			extra = append(extra, c.TaskID)
		}
	}
	sort.Strings(extra)
	for _, id := range extra {
		rows[id] = len(g.Tasks)
		g.Tasks = append(g.Tasks, gridTask{TaskID: id})
	}
	for i := range g.Tasks {
		g.Tasks[i].Cells = make([]gridCell, len(g.Runs))
	}
	defer func() {
		for i := range g.Tasks {
			g.Tasks[i].Row = cellsHTML(g.Tasks[i].Cells)
		}
	}()
	for _, c := range cells {
		run := g.Runs[col[c.RunPK]]
		g.Tasks[rows[c.TaskID]].Cells[col[c.RunPK]] = gridCell{State: c.State, Try: c.TryNumber,
			Link:  rc.link("dags", dagID, "runs", run.RunID, "tasks", c.TaskID),
			Title: fmt.Sprintf("%s · %s · %s", c.TaskID, run.RunID, c.State)}
	}
	return g, nil
}

// cellsHTML writes a row's cells at once: a grid shows thousands of
// cells, and html/template's per-value escaping through reflection was
// two thirds of the page's time. Every value is escaped here instead
// (states are a fixed set, links and titles go through html.EscapeString).
func cellsHTML(cells []gridCell) template.HTML {
	var b strings.Builder
	b.Grow(len(cells) * 160)
	for _, c := range cells {
		if c.State == "" {
			b.WriteString(`<td><span class="cell empty"></span></td>`)
			continue
		}
		b.WriteString(`<td><a class="cell `)
		b.WriteString(stateClass(c.State))
		b.WriteString(`" href="`)
		b.WriteString(html.EscapeString(c.Link))
		b.WriteString(`" title="`)
		b.WriteString(html.EscapeString(c.Title))
		b.WriteString(`"><span class="sr">`)
		b.WriteString(html.EscapeString(c.State))
		b.WriteString(`</span></a></td>`)
	}
	return template.HTML(b.String()) //nolint:gosec // every value above is escaped
}

// gridView is the grid page's data.
type gridView struct {
	*grid
	N           int
	Choices     []int
	Self        string
	TriggerLink string
	PauseLink   string
	// Latest is the newest run's state; Refresh (ms) reloads the page
	// while a shown run is queued or running (0: never).
	Latest  string
	Refresh int
	// Paged: the page shows older runs (?before=); Cursor is its
	// position, kept when the number of runs changes.
	Paged  bool
	Cursor url.Values
	// OlderLink pages back (when the page is full), NewestLink returns to
	// the latest runs (when Paged).
	OlderLink, NewestLink string
}

// gridPage reads a grid request's ?runs= and cursor; false when it
// answered a bad one with a 400.
func (s *server) gridPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) (n int, cur gridCursor, ok bool) {
	cur, err := gridCursorOf(r)
	if err != nil {
		s.errorPage(w, r, rc, http.StatusBadRequest, "Bad request", err.Error())
		return 0, cur, false
	}
	if n, err = s.gridRuns(r); err != nil {
		s.errorPage(w, r, rc, http.StatusBadRequest, "Bad request", err.Error())
		return 0, cur, false
	}
	return n, cur, true
}

func (s *server) grid(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	dagID := r.PathValue("dag_id")
	n, cur, ok := s.gridPage(w, r, rc)
	if !ok {
		return
	}
	g, err := s.loadGrid(r.Context(), rc, dagID, n, cur)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	v := gridView{grid: g, N: n, Choices: runChoices(n),
		Self: rc.link("dags", dagID), TriggerLink: rc.link("dags", dagID, "trigger"), PauseLink: rc.link("dags", dagID, "pause")}
	runs := strconv.Itoa(n)
	if !g.Next.IsZero() {
		q := g.Next.values()
		q.Set("runs", runs)
		v.OlderLink = v.Self + "?" + q.Encode()
	}
	if !cur.IsZero() {
		v.Paged, v.Cursor, v.NewestLink = true, cur.values(), v.Self+"?runs="+runs
	}
	for _, run := range g.Runs {
		v.Latest = run.State
		if run.State == "queued" || run.State == "running" {
			v.Refresh = int(s.cfg.RefreshInterval.Milliseconds())
		}
	}
	s.render(w, r, rc, http.StatusOK, "grid", dagID, v)
}

// runChoices are the grid's "Runs" options, n among them (?runs=7 shows
// 7, and the select says so).
func runChoices(n int) []int {
	out := []int{10, 25, 50, 100}
	for i, c := range out {
		if c == n {
			return out
		}
		if c > n {
			return append(out[:i], append([]int{n}, out[i:]...)...)
		}
	}
	return append(out, n)
}

// apiGridRun is a run of the API's grid, newest first.
type apiGridRun struct {
	RunID         string                     `json:"run_id"`
	State         string                     `json:"state"`
	LogicalDate   time.Time                  `json:"logical_date"`
	StartedAt     time.Time                  `json:"started_at,omitzero"`
	EndedAt       time.Time                  `json:"ended_at,omitzero"`
	TaskInstances map[string]apiGridInstance `json:"task_instances"`
}

type apiGridInstance struct {
	State     string `json:"state"`
	TryNumber int    `json:"try_number"`
}

func (s *server) apiGrid(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	dagID := r.PathValue("dag_id")
	n, cur, ok := s.gridPage(w, r, rc)
	if !ok {
		return
	}
	g, err := s.loadGrid(r.Context(), rc, dagID, n, cur)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	ids := make([]string, len(g.Tasks))
	for i, t := range g.Tasks {
		ids[i] = t.TaskID
	}
	runs := make([]apiGridRun, 0, len(g.Runs))
	for i := len(g.Runs) - 1; i >= 0; i-- {
		run := g.Runs[i]
		out := apiGridRun{RunID: run.RunID, State: run.State, LogicalDate: run.LogicalDate.UTC(),
			StartedAt: run.StartedAt.UTC(), EndedAt: run.EndedAt.UTC(), TaskInstances: map[string]apiGridInstance{}}
		for _, t := range g.Tasks {
			if c := t.Cells[i]; c.State != "" {
				out.TaskInstances[t.TaskID] = apiGridInstance{State: c.State, TryNumber: c.Try}
			}
		}
		runs = append(runs, out)
	}
	// next is the cursor of the older page (?before=&before_id=), null
	// when this page is not full.
	var next *apiCursor
	if !g.Next.IsZero() {
		next = &apiCursor{Before: g.Next.Before, BeforeID: g.Next.BeforeID}
	}
	writeJSON(w, http.StatusOK, map[string]any{"dag_id": dagID, "is_paused": g.IsPaused, "task_ids": ids,
		"dag_runs": runs, "total_entries": len(runs), "next": next})
}
