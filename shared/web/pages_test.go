package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestParamDefaultIsEscaped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	page := f.get("/dags/demo/trigger")
	if page.code != http.StatusOK {
		t.Fatalf("trigger form: %d", page.code)
	}
	if strings.Contains(page.body, xssDefault) || !strings.Contains(page.body, `value="&lt;script&gt;alert(1)&lt;/script&gt;"`) {
		t.Fatalf("the param default is not escaped:\n%s", page.body)
	}
	// Typed inputs after the params' types.
	for _, want := range []string{`name="param.count" type="number" step="1"`, `type="checkbox" name="param.dry_run"`,
		`<option value="&#34;fast&#34;" selected>fast</option>`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("form lacks %s", want)
		}
	}
	if strings.Contains(page.body, "<script>") && !strings.Contains(page.body, `<script src=`) {
		t.Fatal("inline script in page")
	}
	// The CSP forbids inline scripts anyway.
	csp := f.get("/dags/demo/trigger").header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("CSP %q", csp)
	}
}

func TestTriggerFormValidatesThenGoesThroughTheCoordinator(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	csrf := f.login()
	bad := url.Values{"csrf": {csrf}, "param.greeting": {"hi"}, "param.count": {"many"}, "param.mode": {`"fast"`}}
	resp := f.post("/dags/demo/trigger", bad)
	if resp.code != http.StatusBadRequest || !strings.Contains(resp.body, "expected an integer") || !strings.Contains(resp.body, `value="many"`) {
		t.Fatalf("bad integer: %d %.2000s", resp.code, resp.body)
	}
	bad.Set("param.count", "2")
	bad.Set("param.mode", `"medium"`)
	if resp := f.post("/dags/demo/trigger", bad); resp.code != http.StatusBadRequest || !strings.Contains(resp.body, "not one of the allowed values") {
		t.Fatalf("bad enum: %d %.2000s", resp.code, resp.body)
	}
	if n := f.calls.Load(); n != 0 {
		t.Fatalf("invalid conf reached the coordinator %d times", n)
	}
	good := url.Values{"csrf": {csrf}, "param.greeting": {"bonjour"}, "param.count": {"7"}, "param.mode": {`"slow"`}, "param.dry_run": {"true"}}
	resp = f.post("/dags/demo/trigger", good)
	loc := resp.header.Get("Location")
	if resp.code != http.StatusSeeOther || !strings.HasPrefix(loc, "../../dags/demo/runs/manual__") || !strings.HasSuffix(loc, "?done=triggered") {
		t.Fatalf("trigger: %d %q %.500s", resp.code, loc, resp.body)
	}
	runPath := strings.TrimSuffix(strings.TrimPrefix(loc, "../.."), "?done=triggered")
	page := f.get(runPath + "?done=triggered")
	if page.code != http.StatusOK || !strings.Contains(page.body, "The run was created.") {
		t.Fatalf("run page: %d", page.code)
	}
	for _, want := range []string{`&#34;count&#34;: 7`, `&#34;greeting&#34;: &#34;bonjour&#34;`, `&#34;dry_run&#34;: true`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("run page lacks conf %s", want)
		}
	}
}

func TestGridRunAndAttemptPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	first := f.trigger(demoDag)
	f.pump()
	second := f.trigger(demoDag)
	grid := f.get("/dags/demo")
	if grid.code != http.StatusOK {
		t.Fatalf("grid: %d", grid.code)
	}
	cells := regexp.MustCompile(`<a class="cell (st-[a-z_]+)" href="([^"]+)"`).FindAllStringSubmatch(grid.body, -1)
	if len(cells) != 4 {
		t.Fatalf("grid cells: %d\n%s", len(cells), grid.body)
	}
	// Rows are tasks in the DAG's order, columns runs oldest first.
	want := []struct{ class, link string }{
		{"st-success", "../dags/demo/runs/" + first + "/tasks/extract"}, {"st-queued", "../dags/demo/runs/" + second + "/tasks/extract"},
		{"st-success", "../dags/demo/runs/" + first + "/tasks/load"}, {"st-none", "../dags/demo/runs/" + second + "/tasks/load"},
	}
	for i, w := range want {
		if cells[i][1] != w.class || cells[i][2] != w.link {
			t.Errorf("cell %d: %s %s, want %s %s", i, cells[i][1], cells[i][2], w.class, w.link)
		}
	}
	if one := f.get("/dags/demo?runs=1"); strings.Count(one.body, `<a class="cell `) != 2 || !strings.Contains(one.body, second) {
		t.Errorf("?runs=1 shows %d cells", strings.Count(one.body, `<a class="cell `))
	}
	var api struct {
		TaskIDs []string `json:"task_ids"`
		DagRuns []struct {
			RunID         string                    `json:"run_id"`
			TaskInstances map[string]map[string]any `json:"task_instances"`
		} `json:"dag_runs"`
	}
	resp := f.get("/api/v1/dags/demo/dagRuns?runs=5")
	if err := json.Unmarshal([]byte(resp.body), &api); err != nil || len(api.DagRuns) != 2 || api.DagRuns[0].RunID != second ||
		api.DagRuns[1].TaskInstances["load"]["state"] != "success" || strings.Join(api.TaskIDs, ",") != "extract,load" {
		t.Fatalf("API grid: %v %s", err, resp.body)
	}

	run := f.get("/dags/demo/runs/" + first)
	if run.code != http.StatusOK || strings.Count(run.body, `<rect class="st-success"`) != 2 || !strings.Contains(run.body, "badge st-success") {
		t.Fatalf("run page: %d\n%s", run.code, run.body)
	}
	attempt := f.get("/dags/demo/runs/" + first + "/tasks/load")
	if attempt.code != http.StatusOK || !strings.Contains(attempt.body, logLine) || !strings.Contains(attempt.body, "task succeeded") {
		t.Fatalf("attempt page: %d\n%s", attempt.code, attempt.body)
	}
	if !strings.Contains(attempt.body, `data-refresh="0"`) {
		t.Error("a finished attempt's log should not refresh")
	}
	for path, code := range map[string]int{
		"/dags/nope": 404, "/dags/demo/runs/nope": 404, "/dags/demo/runs/" + first + "/tasks/nope": 404,
		"/dags/demo/runs/" + first + "/tasks/load?try=9": 404, "/no/such/page": 404, "/dags/nope/trigger": 404,
	} {
		if resp := f.get(path); resp.code != code || !strings.Contains(resp.body, "<h1>") || strings.Contains(resp.body, "goroutine") {
			t.Errorf("GET %s: %d, want a friendly %d", path, resp.code, code)
		}
	}
}

func TestDagListFiltersAndShowsRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	f.trigger(demoDag)
	list := f.get("/")
	for _, want := range []string{`href="./dags/demo"`, `href="./dags/nightly"`, "<code>0 1 * * *</code>", `class="dot st-running"`,
		`<a class="tag" href="./?tag=example">example</a>`} {
		if !strings.Contains(list.body, want) {
			t.Errorf("list lacks %s", want)
		}
	}
	if byTag := f.get("/?tag=source"); strings.Contains(byTag.body, `href="./dags/demo"`) || !strings.Contains(byTag.body, `href="./dags/nightly"`) {
		t.Error("tag filter")
	}
	if byText := f.get("/?q=DEMO+dag"); !strings.Contains(byText.body, `href="./dags/demo"`) || strings.Contains(byText.body, `href="./dags/nightly"`) {
		t.Error("text filter")
	}
}

func TestForwardedPrefixMakesAbsoluteLinks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	page := f.do(f.client, "GET", "/dags/demo", nil, map[string]string{"X-Forwarded-Prefix": "/functions/web/"})
	if !strings.Contains(page.body, `href="/functions/web/dags/demo/trigger"`) || !strings.Contains(page.body, `/functions/web/static/`) {
		t.Fatalf("links with X-Forwarded-Prefix:\n%s", page.body)
	}
	// A prefix that is not a plain path is ignored.
	page = f.do(f.client, "GET", "/dags/demo", nil, map[string]string{"X-Forwarded-Prefix": `//evil.example/"x`})
	if strings.Contains(page.body, "evil.example") || !strings.Contains(page.body, `href="../dags/demo/trigger"`) {
		t.Fatalf("bad prefix used:\n%s", page.body)
	}
	css := f.get(regexp.MustCompile(`/static/[0-9a-f]+/app.css`).FindString(page.body))
	if css.code != http.StatusOK || !strings.Contains(css.header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Fatalf("asset: %d %v", css.code, css.header)
	}
}

func TestSecretsNeverAppearInPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	csrf := f.login()
	run := f.trigger(demoDag)
	f.pump()
	paths := []string{"/", "/dags/demo", "/dags/demo/trigger", "/dags/demo/runs/" + run, "/dags/demo/runs/" + run + "/tasks/extract",
		"/api/v1/dags", "/api/v1/dags/demo/dagRuns", "/api/v1/dags/demo/dagRuns/" + run,
		"/api/v1/dags/demo/dagRuns/" + run + "/taskInstances/extract", "/nope", "/login", "/healthz"}
	var seen []response
	for _, p := range paths {
		seen = append(seen, f.get(p))
	}
	// Error pages and refused actions too.
	seen = append(seen, f.post("/dags/demo/trigger", url.Values{"csrf": {csrf}, "param.count": {"x"}}),
		f.post("/dags/demo/runs/"+run+"/clear", url.Values{"csrf": {csrf}, "task_id": {"nope"}}),
		f.do(newClient(), "GET", "/api/v1/dags", nil, map[string]string{"Authorization": "Bearer " + apiToken}))
	for i, resp := range seen {
		all := resp.body
		for k, v := range resp.header {
			if k != "Set-Cookie" { // the session cookie is signed with the key, it does not contain it
				all += k + ": " + strings.Join(v, ",")
			}
		}
		for _, secret := range []string{password, apiToken, sessionKey, coordToken, s3AccessKey, s3SecretKey, "$2a$"} {
			if strings.Contains(all, secret) {
				t.Errorf("response %d (%d) shows the secret %q", i, resp.code, secret)
			}
		}
	}
}

// A run triggered while its DAG is paused stays queued: its page and the
// trigger form say why, instead of a bare "queued" that never moves.
func TestPausedDagSaysWhyARunStaysQueued(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	csrf := f.login()
	const notice = "The DAG is paused"
	if resp := f.post("/dags/demo/pause", url.Values{"csrf": {csrf}, "paused": {"true"}}); resp.code != http.StatusSeeOther {
		t.Fatalf("pause: %d %.300s", resp.code, resp.body)
	}
	if form := f.get("/dags/demo/trigger"); form.code != http.StatusOK || !strings.Contains(form.body, notice) {
		t.Fatalf("trigger form of a paused DAG: %d %.2000s", form.code, form.body)
	}
	runID := f.trigger("demo")
	if page := f.get("/dags/demo/runs/" + runID); page.code != http.StatusOK || !strings.Contains(page.body, "st-queued") || !strings.Contains(page.body, notice) {
		t.Fatalf("queued run of a paused DAG: %d %.3000s", page.code, page.body)
	}
	if resp := f.post("/dags/demo/pause", url.Values{"csrf": {csrf}, "paused": {"false"}}); resp.code != http.StatusSeeOther {
		t.Fatalf("unpause: %d %.300s", resp.code, resp.body)
	}
	if form := f.get("/dags/demo/trigger"); strings.Contains(form.body, notice) {
		t.Fatal("the trigger form of an unpaused DAG says it is paused")
	}
	if page := f.get("/dags/demo/runs/" + runID); strings.Contains(page.body, notice) {
		t.Fatal("the run page of an unpaused DAG says it is paused")
	}
}
