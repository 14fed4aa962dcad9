package web_test

import (
	"net/http"
	"regexp"
	"testing"
)

// Every time a page shows names its zone: the run page said "Logical date
// … UTC" but "Started"/"Ended" bare, the task page and the DAG list's
// "Next run" bare too, leaving a reader in Paris to guess.
func TestEveryTimeShownSaysUTC(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	run := f.trigger(demoDag)
	f.pump()
	stamp := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d( UTC)?`)
	for _, path := range []string{"/", "/dags/nightly", "/dags/demo/runs/" + run, "/dags/demo/runs/" + run + "/tasks/load"} {
		page := f.get(path)
		if page.code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, page.code)
		}
		found := stamp.FindAllStringSubmatch(page.body, -1)
		if len(found) == 0 {
			t.Errorf("GET %s shows no time", path)
		}
		for _, m := range found {
			if m[1] == "" {
				t.Errorf("GET %s shows %q without its zone", path, m[0])
			}
		}
	}
}

// The grid's "Runs" select shows the number of runs the page shows: with
// ?runs=7 (or 1000, capped at 500) no option was selected, so it read 10
// and "Show" silently changed the page to 10 runs.
func TestGridRunsChoiceShowsTheNumberShown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	selected := regexp.MustCompile(`<option value="(\d+)" selected>`)
	for query, want := range map[string]string{"": "25", "?runs=50": "50", "?runs=7": "7", "?runs=1000": "500", "?limit=3": "3"} {
		page := f.get("/dags/demo" + query)
		m := selected.FindAllStringSubmatch(page.body, -1)
		if page.code != http.StatusOK || len(m) != 1 || m[0][1] != want {
			t.Errorf("GET /dags/demo%s: %d, selected %v, want %s", query, page.code, m, want)
		}
	}
}
