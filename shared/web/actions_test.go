package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/lvao/dataplatform/shared/web"
)

func (f *fixture) states(runID string) map[string]string {
	f.t.Helper()
	doc, err := f.eng.GetRun(context.Background(), demoDag, runID)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]string{"run": doc.State}
	for _, t := range doc.Tasks {
		out[t.TaskID] = t.State
	}
	return out
}

func TestClearAndMarkGoThroughTheCoordinator(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	csrf := f.login()
	run := f.trigger(demoDag)
	f.pump()
	if s := f.states(run); s["run"] != "success" {
		t.Fatalf("run: %v", s)
	}
	resp := f.post("/dags/demo/runs/"+run+"/tasks/load/mark", url.Values{"csrf": {csrf}, "state": {"failed"}})
	if resp.code != http.StatusSeeOther || resp.header.Get("Location") != "../../../../../../dags/demo/runs/"+run+"/tasks/load?done=marked-failed" {
		t.Fatalf("mark: %d %q %.300s", resp.code, resp.header.Get("Location"), resp.body)
	}
	if s := f.states(run); s["load"] != "failed" || s["run"] != "failed" {
		t.Fatalf("after mark: %v", s)
	}
	resp = f.post("/dags/demo/runs/"+run+"/clear", url.Values{"csrf": {csrf}, "task_id": {"extract"}, "downstream": {"true"}, "back": {"task"}})
	if resp.code != http.StatusSeeOther || !strings.HasSuffix(resp.header.Get("Location"), "/tasks/extract?done=cleared") {
		t.Fatalf("clear: %d %q %.300s", resp.code, resp.header.Get("Location"), resp.body)
	}
	f.pump()
	if s := f.states(run); s["extract"] != "success" || s["load"] != "success" || s["run"] != "success" {
		t.Fatalf("after clear: %v", s)
	}
	page := f.get("/dags/demo/runs/" + run + "/tasks/extract?done=cleared")
	if !strings.Contains(page.body, "The tasks were cleared") || strings.Count(page.body, `<a href="../../../../../dags/demo/runs/`+run+`/tasks/extract?try=`) != 2 {
		t.Fatalf("attempt page after clear:\n%s", page.body)
	}
	// The coordinator's refusals are shown, with its status.
	resp = f.post("/dags/demo/runs/"+run+"/tasks/nope/mark", url.Values{"csrf": {csrf}, "state": {"success"}})
	if resp.code != http.StatusNotFound || !strings.Contains(resp.body, "The action was refused") {
		t.Fatalf("mark unknown task: %d %.500s", resp.code, resp.body)
	}
	if resp := f.post("/dags/demo/runs/"+run+"/tasks/load/mark", url.Values{"csrf": {csrf}, "state": {"running"}}); resp.code != http.StatusBadRequest {
		t.Fatalf("mark running: %d", resp.code)
	}
}

func TestActionsWithoutAWorkingCoordinatorFailGently(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range []struct {
		name  string
		cfg   web.Config
		code  int
		words string
	}{
		{"not configured", web.Config{}, http.StatusServiceUnavailable, "COORDINATOR_URL is not set"},
		{"wrong token", web.Config{CoordinatorURL: f.coord.URL, CoordinatorToken: "wrong"}, http.StatusBadGateway, "check COORDINATOR_TOKEN"},
		{"unreachable", web.Config{CoordinatorURL: "http://127.0.0.1:1"}, http.StatusBadGateway, "cannot be reached"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := f.withWeb(t, c.cfg)
			csrf := g.login()
			resp := g.post("/dags/demo/pause", url.Values{"csrf": {csrf}, "paused": {"true"}})
			if resp.code != c.code || !strings.Contains(resp.body, c.words) || strings.Contains(resp.body, "wrong") {
				t.Fatalf("%d %.800s", resp.code, resp.body)
			}
			form := url.Values{"csrf": {csrf}, "param.greeting": {"x"}, "param.count": {"1"}, "param.mode": {`"fast"`}}
			if resp := g.post("/dags/demo/trigger", form); resp.code != c.code || !strings.Contains(resp.body, c.words) ||
				!strings.Contains(resp.body, `value="x"`) {
				t.Fatalf("trigger: %d %.800s", resp.code, resp.body)
			}
		})
	}
}

// withWeb is another web handler (cfg, plus the fixture's store, engine
// and users) on the fixture's database.
func (f *fixture) withWeb(t *testing.T, cfg web.Config) *fixture {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Engine, cfg.Users, cfg.SessionKey = f.st, f.eng, "admin:"+string(hash), sessionKey
	srv := httptest.NewServer(web.New(cfg))
	t.Cleanup(srv.Close)
	return &fixture{t: t, st: f.st, eng: f.eng, s3: f.s3, coord: f.coord, client: newClient(), base: srv.URL}
}
