package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/store"
)

// seedRuns creates 7 runs of demo, two of them at the same logical date
// (a manual run and another created after it), and returns their ids in
// the grid's order: newest logical date first, the later created first
// among runs of one date.
func seedRuns(f *fixture) (newestFirst []string, shared time.Time) {
	f.t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	shared = t0.Add(3 * time.Hour)
	var ids []string
	var last store.Run
	for i := range 6 {
		run, _, err := f.eng.Trigger(ctx, engine.TriggerParams{DagID: demoDag, LogicalDate: t0.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			f.t.Fatal(err)
		}
		ids, last = append(ids, run.RunID), run
	}
	// The manual run id is derived from the date: the twin needs its own.
	err := f.st.InTx(ctx, func(tx *store.Tx) error {
		_, _, _, err := tx.RunInsert(ctx, &store.RunInsertParams{DagID: demoDag, RunID: "twin__" + shared.Format(time.RFC3339),
			RunType: "manual", VersionHash: last.VersionHash, LogicalDate: shared, DataIntervalStart: shared, DataIntervalEnd: shared,
			Conf: json.RawMessage(`{}`), Params: json.RawMessage(`{}`), Now: time.Now(),
			Tasks: []store.TaskSeed{{TaskID: "extract", Function: "noop", MaxTries: 1}, {TaskID: "load", Function: "noop", MaxTries: 1}}})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	// r5 r4 twin r3 r2 r1 r0: the twin and r3 share a date, the twin's id is higher.
	return []string{ids[5], ids[4], "twin__" + shared.Format(time.RFC3339), ids[3], ids[2], ids[1], ids[0]}, shared
}

type apiGridPage struct {
	DagRuns []struct {
		RunID       string    `json:"run_id"`
		LogicalDate time.Time `json:"logical_date"`
	} `json:"dag_runs"`
	Next *struct {
		Before   string `json:"before"`
		BeforeID int64  `json:"before_id"`
	} `json:"next"`
}

func (f *fixture) apiGridPage(query url.Values) apiGridPage {
	f.t.Helper()
	resp := f.do(newClient(), "GET", "/api/v1/dags/demo/dagRuns?"+query.Encode(), nil, map[string]string{"Authorization": "Bearer " + apiToken})
	var page apiGridPage
	if resp.code != http.StatusOK || json.Unmarshal([]byte(resp.body), &page) != nil {
		f.t.Fatalf("API grid ?%s: %d %s", query.Encode(), resp.code, resp.body)
	}
	return page
}

func TestGridPagesThroughOlderRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	want, shared := seedRuns(f)

	// The API: 3, 3 then 1 runs, each once, in order, following "next".
	var got []string
	var sizes []int
	q := url.Values{"runs": {"3"}}
	for range 10 {
		page := f.apiGridPage(q)
		sizes = append(sizes, len(page.DagRuns))
		for _, r := range page.DagRuns {
			got = append(got, r.RunID)
		}
		if page.Next == nil {
			break
		}
		if len(page.DagRuns) != 3 {
			t.Fatalf("a page of %d runs has a next cursor", len(page.DagRuns))
		}
		q = url.Values{"runs": {"3"}, "before": {page.Next.Before}}
		if page.Next.BeforeID != 0 {
			q.Set("before_id", fmt.Sprint(page.Next.BeforeID))
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || fmt.Sprint(sizes) != "[3 3 1]" {
		t.Fatalf("API pages %v:\n got %v\nwant %v", sizes, got, want)
	}

	// A date alone (Airflow's base_date) shows the runs strictly before it.
	page := f.apiGridPage(url.Values{"runs": {"3"}, "before": {shared.Format(time.RFC3339)}})
	if len(page.DagRuns) != 3 || page.DagRuns[0].RunID != want[4] || page.DagRuns[2].RunID != want[6] || page.Next == nil {
		t.Fatalf("before=%s: %+v", shared.Format(time.RFC3339), page)
	}
	// An offset's unescaped "+" (a space once decoded) is understood.
	resp := f.get("/api/v1/dags/demo/dagRuns?runs=1&before=" + shared.In(time.FixedZone("", 2*3600)).Format(time.RFC3339))
	if resp.code != http.StatusOK || !strings.Contains(resp.body, want[4]) {
		t.Fatalf("before with an unescaped offset: %d %s", resp.code, resp.body)
	}

	// The page: "Older runs" while a page is full, "Newest runs" once paged.
	link := regexp.MustCompile(`<a class="button" rel="next" href="([^"]+)">`)
	newest := regexp.MustCompile(`<a class="button" href="([^"]+)">Newest runs`)
	path := "/dags/demo?runs=3"
	got = nil
	for i := range 4 {
		grid := f.get(path)
		if grid.code != http.StatusOK {
			t.Fatalf("page %d: %d %.500s", i, grid.code, grid.body)
		}
		// Columns are oldest first: read them back to front.
		cols := regexp.MustCompile(`<th class="run"><a [^>]*title="([^" ]+) `).FindAllStringSubmatch(grid.body, -1)
		for j := len(cols) - 1; j >= 0; j-- {
			got = append(got, cols[j][1])
		}
		if n := newest.FindStringSubmatch(grid.body); (i == 0) != (n == nil) || n != nil && html.UnescapeString(n[1]) != "../dags/demo?runs=3" {
			t.Fatalf("page %d: Newest runs link %v", i, n)
		}
		m := link.FindStringSubmatch(grid.body)
		if m == nil {
			if len(cols) == 3 {
				t.Fatalf("page %d is full but has no Older runs link", i)
			}
			break
		}
		path = strings.TrimPrefix(html.UnescapeString(m[1]), "..")
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("grid pages:\n got %v\nwant %v", got, want)
	}
	if empty := f.get("/dags/demo?before=2000-01-01T00:00:00Z"); empty.code != http.StatusOK || !strings.Contains(empty.body, "No older runs.") ||
		!strings.Contains(empty.body, "Newest runs") {
		t.Fatalf("page before every run: %d %.3000s", empty.code, empty.body)
	}
	// The number of runs changes, the position stays.
	if paged := f.get("/dags/demo?runs=3&before=" + url.QueryEscape(shared.Format(time.RFC3339))); !strings.Contains(paged.body,
		`<input type="hidden" name="before" value="2026-03-01T03:00:00Z">`) {
		t.Fatalf("the runs form forgets the page:\n%s", paged.body)
	}
}

func TestGridRefusesABadCursor(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	for _, q := range []string{"before=yesterday", "before=2026-13-01T00:00:00Z", "before=2026-03-01", "before_id=3",
		"before=2026-03-01T00:00:00Z&before_id=x", "before=2026-03-01T00:00:00Z&before_id=-1"} {
		page := f.get("/dags/demo?" + q)
		if page.code != http.StatusBadRequest || !strings.Contains(page.body, "<h1>") || !strings.Contains(page.body, "before") {
			t.Errorf("grid ?%s: %d, want a 400 page\n%.2000s", q, page.code, page.body)
		}
		resp := f.get("/api/v1/dags/demo/dagRuns?" + q)
		var e struct{ Error, Detail string }
		if resp.code != http.StatusBadRequest || json.Unmarshal([]byte(resp.body), &e) != nil || e.Error != "bad request" ||
			!strings.Contains(e.Detail, "before") {
			t.Errorf("API grid ?%s: %d %s", q, resp.code, resp.body)
		}
	}
	if resp := f.get("/dags/demo?before=yesterday"); !strings.Contains(resp.body, "not an RFC 3339 date") {
		t.Errorf("the message does not say what is wrong:\n%s", resp.body)
	}
}

// ?runs= (or ?limit=) that is not a positive number is a 400 naming it,
// as a bad cursor is; absent, the default applies.
func TestGridRefusesABadRunsCount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	for _, q := range []string{"runs=abc", "runs=0", "runs=-3", "limit=x"} {
		if page := f.get("/dags/demo?" + q); page.code != http.StatusBadRequest || !strings.Contains(page.body, "must be a number of runs") {
			t.Errorf("grid ?%s: %d, want a 400 page naming the parameter\n%.1500s", q, page.code, page.body)
		}
		resp := f.get("/api/v1/dags/demo/dagRuns?" + q)
		var e struct{ Error, Detail string }
		if resp.code != http.StatusBadRequest || json.Unmarshal([]byte(resp.body), &e) != nil || !strings.Contains(e.Detail, "must be a number of runs") {
			t.Errorf("API grid ?%s: %d %s", q, resp.code, resp.body)
		}
	}
	if page := f.get("/dags/demo?runs=500000"); page.code != http.StatusOK {
		t.Errorf("a large ?runs= is capped, not refused: %d", page.code)
	}
}

// A DAG with no run yet lists its tasks (the grid had nothing to show).
func TestGridOfADagWithoutRunsListsItsTasks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	page := f.get("/dags/demo")
	if page.code != http.StatusOK || !strings.Contains(page.body, "No run yet.") ||
		!strings.Contains(page.body, `title="extract">extract</code>`) || !strings.Contains(page.body, `title="load">load</code>`) {
		t.Fatalf("grid without runs: %d\n%s", page.code, page.body)
	}
}
