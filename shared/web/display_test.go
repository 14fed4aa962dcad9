package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
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

// A bad submission names every invalid param at once, and says so at the
// top of the form: a value that was not a number hid the other problems
// until it was fixed, and an error below the fold looked like nothing
// happened.
func TestTriggerFormNamesEveryInvalidParamAtTheTop(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	csrf := f.login()
	resp := f.post("/dags/demo/trigger", url.Values{"csrf": {csrf}, "param.greeting": {"hi"}, "param.count": {"many"},
		"param.mode": {`"medium"`}})
	if resp.code != http.StatusBadRequest {
		t.Fatalf("bad form: %d", resp.code)
	}
	for _, want := range []string{"expected an integer", "not one of the allowed values",
		`<a href="#p-count">count</a>`, `<a href="#p-mode">mode</a>`} {
		if !strings.Contains(resp.body, want) {
			t.Errorf("the answer lacks %s", want)
		}
	}
	summary, form := strings.Index(resp.body, `href="#p-count"`), strings.Index(resp.body, `<form method="post"`)
	if summary < 0 || summary > form {
		t.Error("the summary is not above the form")
	}
}

// A refused action links back to where it was made, not only to the DAG
// list (from which the user had to find the run again).
func TestRefusedActionLinksBackToItsPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	csrf := f.login()
	run := f.trigger(demoDag)
	f.pump()
	cases := []struct{ path, form, back string }{
		{"/dags/demo/runs/" + run + "/clear", "task_id=nope", `href="../../../../dags/demo/runs/` + run + `">Back to the run`},
		{"/dags/demo/runs/" + run + "/tasks/nope/mark", "state=success", `href="../../../../../../dags/demo/runs/` + run + `/tasks/nope">Back to the task`},
		{"/dags/nope/pause", "paused=true", `href="../../dags/nope">Back to the DAG`},
	}
	for _, c := range cases {
		form, _ := url.ParseQuery(c.form)
		form.Set("csrf", csrf)
		resp := f.post(c.path, form)
		if resp.code < 400 || !strings.Contains(resp.body, c.back) || !strings.Contains(resp.body, `Back to the DAGs</a>`) {
			t.Errorf("POST %s: %d, want a link %s:\n%.3000s", c.path, resp.code, c.back, resp.body)
		}
	}
}
