package web_test

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"golang.org/x/crypto/bcrypt"

	"github.com/lvao/dataplatform/shared/coordinator"
	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/objectstore"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/runtime"
	"github.com/lvao/dataplatform/shared/store"
	"github.com/lvao/dataplatform/shared/store/storetest"
	"github.com/lvao/dataplatform/shared/tasklog"
	"github.com/lvao/dataplatform/shared/web"
)

// Secrets of the test configuration: no page may show them.
const (
	password     = "correct horse battery"
	apiToken     = "api-token-0123456789abcdef"
	sessionKey   = "session-key-fedcba9876543210"
	coordToken   = "coordinator-token-5555aaaa"
	s3AccessKey  = "s3-access-key-77bb"
	s3SecretKey  = "s3-secret-key-99cc"
	prefix       = "/functions/web"
	xssDefault   = "<script>alert(1)</script>"
	demoDag      = "demo"
	logLine      = "hello from the task"
	logsBucket   = "logs"
	scheduledDag = "nightly"
)

var demoYAML = `dag_id: demo
description: Demo DAG
tags: [example, test]
params:
  greeting: {type: string, default: "` + xssDefault + `"}
  count: {type: integer, default: 3}
  mode: {type: string, default: fast, enum: [fast, slow]}
  dry_run: {type: boolean, default: false}
tasks:
  - {id: extract, function: noop}
  - {id: load, function: noop, depends_on: [extract]}
`

var nightlyYAML = `dag_id: nightly
schedule: "0 1 * * *"
start_date: 2025-01-01T00:00:00Z
tags: [source]
tasks:
  - {id: only, function: noop}
`

type fixture struct {
	t       *testing.T
	st      *store.Store
	eng     *engine.Engine
	s3      *s3.Client
	task    *runtime.Handler
	web     *httptest.Server
	coord   *httptest.Server
	calls   atomic.Int32 // requests the coordinator received
	mu      sync.Mutex
	pending []queue.Message
	client  *http.Client
	base    string // the web's URL, prefix included
}

// flakyYAML is a DAG whose task fails its first try, then succeeds: the
// fixture's task function fails the try named by the args' fail_on_try.
var flakyYAML = `dag_id: flaky
tasks:
  - {id: first, function: noop}
  - {id: flaky, function: noop, depends_on: [first], retries: 1, retry_delay: 0s, args: {fail_on_try: 1}}
`

// newFixture starts a store in its own schema, an engine, gofakes3, the
// coordinator's handler (checking X-Auth-Token) and the web handler
// mounted under /functions/web/ as the harness mounts functions. The
// DAGs are demo and nightly, and extraDags (YAML documents) if any.
func newFixture(t *testing.T, extraDags ...string) *fixture {
	t.Helper()
	files := fstest.MapFS{"demo.yaml": {Data: []byte(demoYAML)}, "nightly.yaml": {Data: []byte(nightlyYAML)}}
	for i, y := range extraDags {
		files[fmt.Sprintf("extra%d.yaml", i)] = &fstest.MapFile{Data: []byte(y)}
	}
	set, err := dag.Load(dag.ValidateOptions{Functions: map[string]bool{"noop": true}},
		dag.Source{FS: files, Dir: ".", Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t}
	f.st = storetest.Open(t, 5)
	f.eng = engine.New(engine.Config{Store: f.st, Dags: func() *dag.Set { return set },
		Publisher: queue.PublisherFunc(func(_ context.Context, _ string, body []byte) error {
			m, err := queue.Decode(body)
			f.mu.Lock()
			f.pending = append(f.pending, m)
			f.mu.Unlock()
			return err
		})})
	if err := f.eng.SyncDags(context.Background()); err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(s3srv.Close)
	f.s3 = objectstore.NewClient(objectstore.Config{Endpoint: s3srv.URL, AccessKey: s3AccessKey, SecretKey: s3SecretKey})
	if _, err := f.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(logsBucket)}); err != nil {
		t.Fatal(err)
	}
	f.task = runtime.NewHandler(runtime.Config{Engine: f.eng, Function: "noop",
		Task: func(ctx context.Context, task *runtime.Task) (any, error) {
			task.Logger.Info(logLine, "task", task.TaskID)
			if fmt.Sprint(task.Args["fail_on_try"]) == strconv.Itoa(task.TryNumber) {
				return nil, fmt.Errorf("failing try %d on purpose", task.TryNumber)
			}
			return nil, nil
		},
		Logs: func(ctx context.Context, key string) runtime.LogWriter {
			return tasklog.Open(tasklog.Config{Client: f.s3, Bucket: logsBucket, FlushInterval: time.Hour}, key)
		}})
	coordH := coordinator.NewHandler(f.eng, nil)
	f.coord = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Auth-Token")), []byte(coordToken)) != 1 {
			http.Error(w, `{"error":"private function"}`, http.StatusForbidden)
			return
		}
		coordH.ServeHTTP(w, r)
	}))
	t.Cleanup(f.coord.Close)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h := web.New(web.Config{Store: f.st, Engine: f.eng, S3: f.s3, LogsBucket: logsBucket,
		CoordinatorURL: f.coord.URL + "/", CoordinatorToken: coordToken,
		Users: "admin:" + string(hash) + ",other:$2a$10$invalidinvalidinvalidinvalidinvalidinvalidinvalidinva", SessionKey: sessionKey,
		APITokens: "unused-token-1, " + apiToken})
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	f.web = httptest.NewServer(mux)
	t.Cleanup(f.web.Close)
	f.base = f.web.URL + prefix
	f.client = newClient()
	return f
}

// newClient keeps cookies and does not follow redirects (tests check them).
func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type response struct {
	code   int
	header http.Header
	body   string
}

func (f *fixture) do(c *http.Client, method, path string, form url.Values, header map[string]string) response {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, f.base+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (f *fixture) get(path string) response { return f.do(f.client, "GET", path, nil, nil) }

func (f *fixture) post(path string, form url.Values) response {
	return f.do(f.client, "POST", path, form, nil)
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

// csrfOf finds the CSRF token of a page's forms.
func (f *fixture) csrfOf(page response) string {
	f.t.Helper()
	m := csrfPattern.FindStringSubmatch(page.body)
	if m == nil {
		f.t.Fatalf("no CSRF token in page (%d): %.300s", page.code, page.body)
	}
	return m[1]
}

// login logs the fixture's client in.
func (f *fixture) login() string {
	f.t.Helper()
	page := f.get("/login")
	resp := f.post("/login", url.Values{"csrf": {f.csrfOf(page)}, "user": {"admin"}, "password": {password}, "next": {"/"}})
	if resp.code != http.StatusSeeOther {
		f.t.Fatalf("login: %d %.300s", resp.code, resp.body)
	}
	return f.csrfOf(f.get("/"))
}

// trigger creates a run directly through the engine.
func (f *fixture) trigger(dagID string) string {
	f.t.Helper()
	run, _, err := f.eng.Trigger(context.Background(), engine.TriggerParams{DagID: dagID})
	if err != nil {
		f.t.Fatal(err)
	}
	return run.RunID
}

// pump runs every published task message, synchronously, until none is left.
func (f *fixture) pump() {
	f.t.Helper()
	for {
		f.mu.Lock()
		if len(f.pending) == 0 {
			f.mu.Unlock()
			return
		}
		m := f.pending[0]
		f.pending = f.pending[1:]
		f.mu.Unlock()
		if code, resp := f.task.Run(context.Background(), m, "test"); code != http.StatusOK {
			f.t.Fatalf("task %s: %d %+v", m.TaskID, code, resp)
		}
	}
}
