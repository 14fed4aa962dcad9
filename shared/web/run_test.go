package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/store"
)

// ganttBars are the run page's attempt bars: class and title.
var ganttBars = regexp.MustCompile(`<rect class="(st-[a-z_]+)" data-try="(\d+)"[^>]*><title>([^<]*)</title></rect>`)

// A task that failed once then succeeded has two bars on its row, one per
// attempt, coloured by the attempt's state and named by its try.
func TestRunGanttShowsEveryAttempt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, flakyYAML)
	f.login()
	run, _, err := f.eng.Trigger(context.Background(), engine.TriggerParams{DagID: "flaky"})
	if err != nil {
		t.Fatal(err)
	}
	f.pump()
	page := f.get("/dags/flaky/runs/" + run.RunID)
	if page.code != 200 || !strings.Contains(page.body, `data-run-state="success"`) {
		t.Fatalf("run page: %d\n%.3000s", page.code, page.body)
	}
	rows := regexp.MustCompile(`(?s)<tr>\s*<td[^>]*><a href="[^"]*/tasks/([a-z]+)">.*?</tr>`).FindAllStringSubmatch(page.body, -1)
	if len(rows) != 2 {
		t.Fatalf("%d Gantt rows\n%s", len(rows), page.body)
	}
	want := map[string][]string{
		"first": {"st-success 1 first · try 1 · success"},
		"flaky": {"st-failed 1 flaky · try 1 · failed", "st-success 2 flaky · try 2 · success"},
	}
	for _, row := range rows {
		var got []string
		for _, b := range ganttBars.FindAllStringSubmatch(row[0], -1) {
			got = append(got, b[1]+" "+b[2]+" "+b[3])
		}
		w := want[row[1]]
		if len(got) != len(w) {
			t.Fatalf("task %s: bars %q, want %q", row[1], got, w)
		}
		for i := range w {
			if !strings.HasPrefix(got[i], w[i]+" · ") {
				t.Errorf("task %s bar %d: %q, want %q…", row[1], i, got[i], w[i])
			}
		}
	}
}

// An attempt still running extends to now.
func TestRunGanttRunningAttemptExtendsToNow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	run := f.trigger(demoDag)
	f.mu.Lock()
	pending := len(f.pending)
	f.mu.Unlock()
	if pending != 1 {
		t.Fatalf("%d messages, want extract's", pending)
	}
	// extract's attempt started 90 s ago and is not over.
	f.claimFirst(time.Now().Add(-90 * time.Second))
	page := f.get("/dags/demo/runs/" + run)
	bars := ganttBars.FindAllStringSubmatch(page.body, -1)
	if len(bars) != 1 || bars[0][1] != "st-running" || !strings.HasPrefix(bars[0][3], "extract · try 1 · running · 1m3") {
		t.Fatalf("bars of a running attempt: %q\n%s", bars, page.body)
	}
	if !strings.Contains(page.body, `x="0.0" y="0" width="1000.0"`) || !strings.Contains(page.body, "Timeline (1m3") {
		t.Errorf("the running attempt does not span the run:\n%s", page.body)
	}
}

// claimFirst starts the first published attempt at start, as a task
// function would, and leaves it running (its message is consumed).
func (f *fixture) claimFirst(start time.Time) {
	f.t.Helper()
	f.mu.Lock()
	m := f.pending[0]
	f.pending = f.pending[1:]
	f.mu.Unlock()
	now := start.UTC().Truncate(time.Microsecond)
	_, ok, err := f.st.TaskClaim(context.Background(), &store.TaskClaimParams{DagID: m.DagID, RunID: m.RunID, TaskID: m.TaskID,
		TryNumber: m.TryNumber, Now: now, LeaseUntil: now.Add(time.Hour), RequestID: "test"})
	if err != nil || !ok {
		f.t.Fatalf("claim %s: %v %v", m.TaskID, ok, err)
	}
}
