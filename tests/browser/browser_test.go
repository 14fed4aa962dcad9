// Package browser_test drives the web function in headless Chromium
// (Debian's chromium package) against the platform running in-process.
package browser_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium (apt-get install chromium).
const chromiumPath = "/usr/bin/chromium"

// outputDir keeps screenshots after the test (t.TempDir would delete them).
func outputDir(t *testing.T) string {
	dir := os.Getenv("TEST_OUTPUT_DIR")
	if dir == "" {
		dir = "out"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser starts headless Chromium with a throwaway profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if testing.Short() {
			t.Skip("no Chromium at " + chromiumPath + " (short mode)")
		}
		t.Fatalf("browser tests need Chromium at %s: apt-get install -y chromium chromium-driver (or make deps); -short skips them", chromiumPath)
	}
	// A throwaway profile; not t.TempDir: Chromium's helper processes may
	// still write to it for a moment after the browser exits, which would
	// fail the test in TempDir's cleanup.
	profile, err := os.MkdirTemp("", "lvao-browser-profile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond) // helper processes still exiting
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	// The first Run starts the browser and ties it to its context: use the
	// test-long one, not a step's (cancelling that would close the browser).
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// step runs browser actions, each step bounded so a hang names its step.
func step(t *testing.T, ctx context.Context, name string, timeout time.Duration, actions ...chromedp.Action) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Run(sctx, actions...); err != nil {
		var url, body string
		_ = chromedp.Run(ctx, chromedp.Location(&url), chromedp.Text("body", &body, chromedp.ByQuery))
		t.Fatalf("%s: %v\nat %s:\n%.2000s", name, err, url, body)
	}
}

func TestTriggerWatchTheGridAndReadALog(t *testing.T) {
	p := startPlatform(t)
	ctx := browser(t)
	out := outputDir(t)

	logIn(t, ctx, p)

	var runTitle string
	var shot []byte
	step(t, ctx, "trigger from the form", 30*time.Second,
		chromedp.Click(`a.button[href$="dags/`+dagID+`/trigger"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#p-message`, chromedp.ByQuery),
		chromedp.SetValue(`#p-message`, "from the browser", chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100),
		chromedp.Click(`form.card button.primary`, chromedp.ByQuery),
		chromedp.WaitVisible(`table.gantt`, chromedp.ByQuery),
		chromedp.Text(`h1`, &runTitle, chromedp.ByQuery),
	)
	if !strings.HasPrefix(runTitle, "manual__") {
		t.Fatalf("run page title %q", runTitle)
	}
	if err := os.WriteFile(filepath.Join(out, "trigger.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	// The grid reloads itself while the run is active; wait for the
	// newest run to be success.
	var greens int
	step(t, ctx, "watch the grid turn green", 60*time.Second,
		chromedp.Navigate(p.WebURL+"/dags/"+dagID),
		chromedp.WaitVisible(`table.grid[data-latest-state="success"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("table.grid a.cell.st-success").length`, &greens),
		chromedp.FullScreenshot(&shot, 100),
	)
	if greens != 5 {
		t.Fatalf("%d green cells, want 5", greens)
	}
	if err := os.WriteFile(filepath.Join(out, "grid.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	var logText string
	step(t, ctx, "open an attempt and read its log", 30*time.Second,
		chromedp.Click(`table.grid a.cell[href*="/tasks/join"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`pre#log`, chromedp.ByQuery),
		chromedp.Text(`pre#log`, &logText, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100),
	)
	if !strings.Contains(logText, "INFO noop") || !strings.Contains(logText, "task succeeded") {
		t.Fatalf("log shown: %q", logText)
	}
	if err := os.WriteFile(filepath.Join(out, "attempt.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	var bars int
	step(t, ctx, "the run's Gantt", 30*time.Second,
		chromedp.Click(`nav.crumbs a:nth-of-type(3)`, chromedp.ByQuery),
		chromedp.WaitVisible(`table.gantt[data-run-state="success"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("table.gantt svg rect.st-success").length`, &bars),
		chromedp.FullScreenshot(&shot, 100),
	)
	if bars != 5 {
		t.Fatalf("%d Gantt bars, want 5", bars)
	}
	if err := os.WriteFile(filepath.Join(out, "run.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	// The DAG list on a phone-sized screen.
	step(t, ctx, "DAG list on a phone", 30*time.Second,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(p.WebURL+"/"),
		chromedp.WaitVisible(`table.dags a.dot.st-success`, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err := os.WriteFile(filepath.Join(out, "dags-phone.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", out)
}
