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
