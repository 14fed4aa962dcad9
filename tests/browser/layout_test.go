package browser_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/lvao/dataplatform/shared/engine"
)

// logIn logs the browser in and lands on the DAG list.
func logIn(t *testing.T, ctx context.Context, p *platform) {
	t.Helper()
	step(t, ctx, "log in", 30*time.Second,
		chromedp.Navigate(p.WebURL+"/"),
		chromedp.WaitVisible(`input[name=user]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=user]`, user, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, password, chromedp.ByQuery),
		chromedp.Click(`form button.primary`, chromedp.ByQuery),
		chromedp.WaitVisible(`table.dags`, chromedp.ByQuery),
	)
}

// pageOverflow is how many pixels the page is wider than the window (a
// table wider than the screen must scroll in its own box, not the page).
const pageOverflow = `document.documentElement.scrollWidth - document.documentElement.clientWidth`

// cellReachable scrolls the grid's box to its right end and tells whether
// the first run's first cell is then the element under its own centre
// (not covered by the sticky task column).
const cellReachable = `(() => {
  const box = document.querySelector(".scroll");
  box.scrollLeft = box.scrollWidth;
  const cell = document.querySelector("table.grid tbody a.cell");
  const r = cell.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === cell || cell.contains(hit);
})()`

// Task ids as long as allowed: the grid's sticky task column was wider
// than the screen and covered every cell at any scroll, and the Gantt's
// task column pushed state, duration and timeline out of sight.
func TestLongTaskIdsKeepTheGridAndTheGanttUsable(t *testing.T) {
	t.Parallel()
	p := startPlatform(t)
	ctx := browser(t)
	logIn(t, ctx, p)

	var overflow, ganttOverflow int
	var shot []byte
	step(t, ctx, "trigger the DAG of long ids and see its run", 60*time.Second,
		chromedp.Navigate(p.WebURL+"/dags/"+longDagID+"/trigger"),
		chromedp.Click(`form.card button.primary`, chromedp.ByQuery),
		chromedp.WaitVisible(`table.gantt[data-run-state="success"]`, chromedp.ByQuery),
		chromedp.Evaluate(pageOverflow, &overflow),
		chromedp.Evaluate(`(() => { const b = document.querySelector(".scroll"); return b.scrollWidth - b.clientWidth })()`, &ganttOverflow),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err := os.WriteFile(filepath.Join(outputDir(t), "run-long-ids.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if overflow > 0 || ganttOverflow > 0 {
		t.Errorf("run page: the page overflows by %dpx, the Gantt's box by %dpx", overflow, ganttOverflow)
	}

	var reachable bool
	step(t, ctx, "the grid of long ids", 30*time.Second,
		chromedp.Navigate(p.WebURL+"/dags/"+longDagID),
		chromedp.WaitVisible(`table.grid a.cell.st-success`, chromedp.ByQuery),
		chromedp.Evaluate(pageOverflow, &overflow),
		chromedp.Evaluate(cellReachable, &reachable),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err := os.WriteFile(filepath.Join(outputDir(t), "grid-long-ids.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if overflow > 0 || !reachable {
		t.Errorf("grid: the page overflows by %dpx; a cell can be reached: %v", overflow, reachable)
	}
}

// A grid wider than a phone scrolls in its box; the page itself did too:
// each cell's hidden label (position: absolute) escaped the box.
func TestWideGridOnAPhoneScrollsInItsBox(t *testing.T) {
	t.Parallel()
	p := startPlatform(t)
	for range 25 {
		if _, _, err := p.Engine.Trigger(context.Background(), engine.TriggerParams{DagID: dagID}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browser(t)
	logIn(t, ctx, p)
	var overflow, boxOverflow int
	step(t, ctx, "the grid on a phone", 30*time.Second,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(p.WebURL+"/dags/"+dagID),
		chromedp.WaitVisible(`table.grid`, chromedp.ByQuery),
		chromedp.Evaluate(pageOverflow, &overflow),
		chromedp.Evaluate(`(() => { const b = document.querySelector(".scroll"); return b.scrollWidth - b.clientWidth })()`, &boxOverflow),
	)
	if boxOverflow <= 0 {
		t.Fatalf("the grid of 25 runs fits a phone (%dpx): the test shows nothing", boxOverflow)
	}
	if overflow > 0 {
		t.Errorf("the page overflows the phone's screen by %dpx", overflow)
	}
}

// A double click on Trigger (or any action button) sends one request: it
// sent one per click, each a new run. The form works again once loaded
// anew. (Back restoring the page from the back-forward cache unlocks it
// too, in app.js; chromedp loses track of such a page, so it is not here.)
func TestDoubleClickTriggersOneRun(t *testing.T) {
	t.Parallel()
	p := startPlatform(t)
	ctx := browser(t)
	logIn(t, ctx, p)
	// Three clicks 40 ms apart, as an impatient double or triple click,
	// while the coordinator is slow to answer the first.
	const clicks = `new Promise(done => {
  const b = document.querySelector("form.card button.primary");
  b.click();
  setTimeout(() => b.click(), 40);
  setTimeout(() => { b.click(); done(true); }, 80);
})`
	var ok bool
	step(t, ctx, "double-click Trigger", 30*time.Second,
		chromedp.Navigate(p.WebURL+"/dags/"+dagID+"/trigger"),
		chromedp.WaitVisible(`form.card button.primary`, chromedp.ByQuery),
		chromedp.ActionFunc(func(context.Context) error { p.HoldTriggers.Store(true); return nil }),
		chromedp.Evaluate(clicks, &ok, func(e *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams {
			return e.WithAwaitPromise(true)
		}),
		chromedp.ActionFunc(func(context.Context) error { close(p.Release); return nil }),
		chromedp.WaitVisible(`table.gantt`, chromedp.ByQuery),
	)
	if n := p.TriggerPosts.Load(); n != 1 {
		t.Fatalf("%d trigger requests for one double click", n)
	}
	step(t, ctx, "trigger again from the form", 30*time.Second,
		chromedp.Navigate(p.WebURL+"/dags/"+dagID+"/trigger"),
		chromedp.Click(`form.card button.primary`, chromedp.ByQuery),
		chromedp.WaitVisible(`table.gantt`, chromedp.ByQuery),
	)
	if n := p.TriggerPosts.Load(); n != 2 {
		t.Fatalf("%d trigger requests after a second trigger, want 2", n)
	}
}

// An action's message shows once: the run page (which reloads itself
// while the run is active) said "The run was created." at every reload,
// and again on Back/Forward, as if one more run had been created.
func TestActionMessageShowsOnce(t *testing.T) {
	t.Parallel()
	p := startPlatform(t)
	ctx := browser(t)
	logIn(t, ctx, p)
	var search string
	var flashes int
	step(t, ctx, "trigger, wait for the run's end, reload", 30*time.Second,
		chromedp.Navigate(p.WebURL+"/dags/"+dagID+"/trigger"),
		chromedp.Click(`form.card button.primary`, chromedp.ByQuery),
		chromedp.WaitVisible(`table.gantt[data-run-state="success"]`, chromedp.ByQuery),
		chromedp.Reload(),
		chromedp.WaitVisible(`table.gantt`, chromedp.ByQuery),
		chromedp.Evaluate(`location.search`, &search),
		chromedp.Evaluate(`document.querySelectorAll("p.flash").length`, &flashes),
	)
	if flashes != 0 || search != "" {
		t.Fatalf("after a reload: %d messages, query %q", flashes, search)
	}
}

// A running attempt's page refreshes its log; when the session expires
// meanwhile, the page goes to the login page instead of saying "refresh
// failed; retrying" forever.
func TestExpiredSessionOnARefreshingLogGoesToLogin(t *testing.T) {
	t.Parallel()
	p := startPlatform(t)
	ctx := browser(t)
	logIn(t, ctx, p)
	run, _, err := p.Engine.Trigger(context.Background(), engine.TriggerParams{DagID: waitDagID})
	if err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "the running task's page, then the session expires", 60*time.Second,
		chromedp.Navigate(p.WebURL+"/dags/"+waitDagID+"/runs/"+run.RunID+"/tasks/hold"),
		chromedp.WaitVisible(`pre#log[data-refresh]:not([data-refresh="0"])`, chromedp.ByQuery),
		network.DeleteCookies("lvao_web_session").WithURL(p.WebURL+"/"),
		chromedp.WaitVisible(`input[name=user]`, chromedp.ByQuery),
	)
}

// The trigger form's entries survive an expired session: sent without a
// session (refused), they are offered back once logged in again, and
// forgotten once a run is created.
func TestTriggerFormEntriesSurviveAnExpiredSession(t *testing.T) {
	t.Parallel()
	p := startPlatform(t)
	ctx := browser(t)
	logIn(t, ctx, p)
	const typed = "typed before the session expired"
	step(t, ctx, "type, lose the session, send", 30*time.Second,
		chromedp.Navigate(p.WebURL+"/dags/"+dagID+"/trigger"),
		chromedp.WaitVisible(`#p-message`, chromedp.ByQuery),
		chromedp.SetValue(`#p-message`, typed, chromedp.ByQuery),
		network.DeleteCookies("lvao_web_session").WithURL(p.WebURL+"/"),
		chromedp.Click(`form.card button.primary`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`form[data-draft]`, chromedp.ByQuery),
	)
	logIn(t, ctx, p)
	var value string
	step(t, ctx, "the form again", 30*time.Second,
		chromedp.Navigate(p.WebURL+"/dags/"+dagID+"/trigger"),
		chromedp.WaitVisible(`#draft-restored`, chromedp.ByQuery),
		chromedp.Value(`#p-message`, &value, chromedp.ByQuery),
	)
	if value != typed {
		t.Fatalf("message %q, want the entry typed before the session expired", value)
	}
	step(t, ctx, "send it, then open the form once more", 30*time.Second,
		chromedp.Click(`form.card button.primary`, chromedp.ByQuery),
		chromedp.WaitVisible(`table.gantt`, chromedp.ByQuery),
		chromedp.Navigate(p.WebURL+"/dags/"+dagID+"/trigger"),
		chromedp.WaitVisible(`#p-message`, chromedp.ByQuery),
		chromedp.Value(`#p-message`, &value, chromedp.ByQuery),
	)
	if value != "hello" {
		t.Fatalf("after a run was created the form shows %q, want the default", value)
	}
}
