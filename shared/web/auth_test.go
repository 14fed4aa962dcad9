package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestPagesRedirectToLoginAndAPIAnswers401(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, path := range []string{"/", "/dags/demo", "/dags/demo/trigger", "/dags/demo/runs/x", "/dags/demo/runs/x/tasks/extract"} {
		resp := f.get(path)
		loc := resp.header.Get("Location")
		if resp.code != http.StatusSeeOther || !strings.Contains(loc, "login?next=") {
			t.Errorf("GET %s: %d Location %q, want a redirect to the login page", path, resp.code, loc)
		}
	}
	// The redirect is relative: it resolves under the prefix the host stripped.
	if loc := f.get("/dags/demo").header.Get("Location"); !strings.HasPrefix(loc, "../login?next=%2Fdags%2Fdemo") {
		t.Errorf("Location %q", loc)
	}
	for _, path := range []string{"/api/v1/dags", "/api/v1/dags/demo/dagRuns", "/api/v1/nothing"} {
		resp := f.get(path)
		var body map[string]any
		if resp.code != http.StatusUnauthorized || json.Unmarshal([]byte(resp.body), &body) != nil || body["error"] == nil {
			t.Errorf("GET %s: %d %s, want 401 JSON", path, resp.code, resp.body)
		}
	}
	if resp := f.get("/healthz"); resp.code != http.StatusOK {
		t.Errorf("healthz: %d", resp.code)
	}
	// POSTs without a session are refused too.
	if resp := f.post("/dags/demo/pause", url.Values{"paused": {"true"}}); resp.code != http.StatusForbidden {
		t.Errorf("POST without session: %d", resp.code)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("the coordinator was called %d times", n)
	}
}

func TestWrongPasswordIsRejected(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range []struct{ user, pass string }{{"admin", "wrong"}, {"nobody", password}, {"other", password}, {"", ""}} {
		page := f.get("/login")
		resp := f.post("/login", url.Values{"csrf": {f.csrfOf(page)}, "user": {c.user}, "password": {c.pass}})
		if resp.code != http.StatusUnauthorized || !strings.Contains(resp.body, "Wrong user name or password") {
			t.Errorf("%q/%q: %d", c.user, c.pass, resp.code)
		}
		// The name typed stays in the form; the password never comes back.
		if c.user != "" && (!strings.Contains(resp.body, `value="`+c.user+`"`) || strings.Contains(resp.body, `value="`+c.pass+`"`)) {
			t.Errorf("%q/%q: the form after the failure:\n%s", c.user, c.pass, resp.body)
		}
		if strings.Contains(resp.header.Get("Set-Cookie"), "lvao_web_session=") {
			t.Errorf("%q/%q: a session cookie was set", c.user, c.pass)
		}
	}
	if resp := f.get("/"); resp.code != http.StatusSeeOther {
		t.Fatalf("still logged out expected, got %d", resp.code)
	}
	// The right password works and returns to next.
	page := f.get("/login?next=/dags/demo")
	resp := f.post("/login", url.Values{"csrf": {f.csrfOf(page)}, "user": {"admin"}, "password": {password}, "next": {"/dags/demo"}})
	if resp.code != http.StatusSeeOther || resp.header.Get("Location") != "./dags/demo" {
		t.Fatalf("login: %d Location %q", resp.code, resp.header.Get("Location"))
	}
	cookie := resp.header.Get("Set-Cookie")
	for _, attr := range []string{"lvao_web_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("plain HTTP cookie marked Secure: %q", cookie)
	}
	if resp := f.get("/"); resp.code != http.StatusOK || !strings.Contains(resp.body, "demo") {
		t.Fatalf("DAG list after login: %d", resp.code)
	}
	// An open redirect through next is refused.
	c := newClient()
	page = f.do(c, "GET", "/login", nil, nil)
	resp = f.do(c, "POST", "/login", url.Values{"csrf": {f.csrfOf(page)}, "user": {"admin"}, "password": {password},
		"next": {"//evil.example/x"}}, nil)
	if resp.code != http.StatusSeeOther || resp.header.Get("Location") != "./" {
		t.Errorf("next=//evil: %d %q", resp.code, resp.header.Get("Location"))
	}
}

func TestSecureCookieBehindHTTPS(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	https := map[string]string{"X-Forwarded-Proto": "https"}
	page := f.do(f.client, "GET", "/login", nil, https)
	resp := f.do(f.client, "POST", "/login", url.Values{"csrf": {f.csrfOf(page)}, "user": {"admin"}, "password": {password}}, https)
	if resp.code != http.StatusSeeOther || !strings.Contains(resp.header.Get("Set-Cookie"), "Secure") {
		t.Fatalf("login over HTTPS: %d cookie %q", resp.code, resp.header.Get("Set-Cookie"))
	}
}

func TestPostWithoutCSRFTokenIsForbidden(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	csrf := f.login()
	run := f.trigger(demoDag)
	posts := map[string]url.Values{
		"/dags/demo/pause":                            {"paused": {"true"}},
		"/dags/demo/trigger":                          {},
		"/dags/demo/runs/" + run + "/clear":           {},
		"/dags/demo/runs/" + run + "/tasks/load/mark": {"state": {"failed"}},
		"/logout": {},
	}
	for path, form := range posts {
		for _, token := range []string{"", "0000000000000000000000000000000000000000000000000000000000000000"} {
			form.Set("csrf", token)
			if resp := f.post(path, form); resp.code != http.StatusForbidden {
				t.Errorf("POST %s with csrf %q: %d, want 403", path, token, resp.code)
			}
		}
	}
	// Login itself needs the login form's token.
	if resp := f.do(newClient(), "POST", "/login", url.Values{"user": {"admin"}, "password": {password}}, nil); resp.code != http.StatusForbidden {
		t.Errorf("login without token: %d", resp.code)
	}
	if n := f.calls.Load(); n != 0 {
		t.Fatalf("the coordinator was called %d times by forged requests", n)
	}
	// With the session's token the action goes through the coordinator.
	resp := f.post("/dags/demo/pause", url.Values{"csrf": {csrf}, "paused": {"true"}})
	if resp.code != http.StatusSeeOther || resp.header.Get("Location") != "../../dags/demo?done=paused" {
		t.Fatalf("pause: %d %q %.200s", resp.code, resp.header.Get("Location"), resp.body)
	}
	if f.calls.Load() != 1 {
		t.Fatalf("coordinator calls: %d", f.calls.Load())
	}
	if page := f.get("/dags/demo?done=paused"); !strings.Contains(page.body, "The DAG is paused.") || !strings.Contains(page.body, "Unpause") {
		t.Fatalf("grid after pause: %.500s", page.body)
	}
	// Logout ends the session.
	if resp := f.post("/logout", url.Values{"csrf": {csrf}}); resp.code != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.code)
	}
	if resp := f.get("/"); resp.code != http.StatusSeeOther {
		t.Fatalf("after logout: %d", resp.code)
	}
}

func TestBearerTokenOpensTheAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	run := f.trigger(demoDag)
	c := newClient()
	bearer := map[string]string{"Authorization": "Bearer " + apiToken}
	resp := f.do(c, "GET", "/api/v1/dags", nil, bearer)
	var list struct {
		Dags []struct {
			DagID      string `json:"dag_id"`
			LatestRuns []struct {
				RunID string `json:"run_id"`
			} `json:"latest_runs"`
		} `json:"dags"`
	}
	if resp.code != http.StatusOK || json.Unmarshal([]byte(resp.body), &list) != nil || len(list.Dags) != 2 {
		t.Fatalf("dags: %d %s", resp.code, resp.body)
	}
	if list.Dags[0].DagID != "demo" || len(list.Dags[0].LatestRuns) != 1 || list.Dags[0].LatestRuns[0].RunID != run {
		t.Fatalf("dags: %s", resp.body)
	}
	for _, path := range []string{"/api/v1/dags/demo/dagRuns", "/api/v1/dags/demo/dagRuns/" + run,
		"/api/v1/dags/demo/dagRuns/" + run + "/taskInstances/extract"} {
		if resp := f.do(c, "GET", path, nil, bearer); resp.code != http.StatusOK || !strings.Contains(resp.body, run) {
			t.Errorf("GET %s: %d %.200s", path, resp.code, resp.body)
		}
	}
	// ?try=N narrows the task's attempts to that one.
	f.pump()
	taskPath := "/api/v1/dags/demo/dagRuns/" + run + "/taskInstances/extract"
	var one struct {
		Attempts []struct {
			TryNumber int `json:"try_number"`
		} `json:"attempts"`
	}
	if resp := f.do(c, "GET", taskPath+"?try=1", nil, bearer); resp.code != http.StatusOK ||
		json.Unmarshal([]byte(resp.body), &one) != nil || len(one.Attempts) != 1 || one.Attempts[0].TryNumber != 1 {
		t.Errorf("try=1: %d %.300s", resp.code, resp.body)
	}
	for q, code := range map[string]int{"?try=9": http.StatusNotFound, "?try=x": http.StatusBadRequest, "?try=0": http.StatusBadRequest} {
		if resp := f.do(c, "GET", taskPath+q, nil, bearer); resp.code != code || !strings.Contains(resp.body, `"error"`) {
			t.Errorf("%s: %d %.200s, want %d", q, resp.code, resp.body, code)
		}
	}
	for _, h := range []string{"Bearer wrong", "Bearer ", "Basic " + apiToken, "Bearer unused-token-1x"} {
		if resp := f.do(c, "GET", "/api/v1/dags", nil, map[string]string{"Authorization": h}); resp.code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d", h, resp.code)
		}
	}
	// The token opens the API only, not the pages.
	if resp := f.do(c, "GET", "/", nil, bearer); resp.code != http.StatusSeeOther {
		t.Errorf("page with a bearer token: %d", resp.code)
	}
	if resp := f.do(c, "GET", "/api/v1/dags/nope/dagRuns/x", nil, bearer); resp.code != http.StatusNotFound ||
		!strings.Contains(resp.body, `"error"`) {
		t.Errorf("unknown run: %d %s", resp.code, resp.body)
	}
}

// The JSON API only reads: a POST (Airflow's trigger) is a 405 that points
// to the coordinator's API, not a 404 that hides where to go.
func TestAPIWritesAre405(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bearer := map[string]string{"Authorization": "Bearer " + apiToken}
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v1/dags/demo/dagRuns"},
		{"PATCH", "/api/v1/dags/demo"},
		{"DELETE", "/api/v1/dags"},
	} {
		resp := f.do(newClient(), c.method, c.path, nil, bearer)
		var body map[string]any
		if resp.code != http.StatusMethodNotAllowed || resp.header.Get("Allow") != "GET, HEAD" ||
			json.Unmarshal([]byte(resp.body), &body) != nil || !strings.Contains(fmt.Sprint(body["detail"]), "coordinator") {
			t.Errorf("%s %s: %d Allow %q %s, want 405 naming the coordinator's API", c.method, c.path, resp.code, resp.header.Get("Allow"), resp.body)
		}
	}
	if resp := f.do(newClient(), "GET", "/api/v1/nothing", nil, bearer); resp.code != http.StatusNotFound {
		t.Errorf("GET /api/v1/nothing: %d, want 404", resp.code)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("the coordinator was called %d times", n)
	}
}
