package browser_test

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"golang.org/x/crypto/bcrypt"

	"github.com/lvao/dataplatform/shared/builtin"
	"github.com/lvao/dataplatform/shared/coordinator"
	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/objectstore"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/runtime"
	"github.com/lvao/dataplatform/shared/store/storetest"
	"github.com/lvao/dataplatform/shared/tasklog"
	"github.com/lvao/dataplatform/shared/web"
)

const (
	user      = "admin"
	password  = "browser-test-password"
	token     = "coordinator-token-for-the-browser-test"
	dagID     = "browser_demo"
	webPrefix = "/functions/web"
)

// The DAG the browser triggers: a fan-out and fan-in of noop tasks, with
// typed params for the trigger form.
const dagYAML = `dag_id: browser_demo
description: Browser test - fan-out / fan-in of no-op tasks
tags: [example, browser]
params:
  message: {type: string, default: "hello"}
  batch_size: {type: integer, default: 100}
  dry_run: {type: boolean, default: false}
tasks:
  - {id: start, function: noop}
  - {id: branch_a, function: noop, depends_on: [start]}
  - {id: branch_b, function: noop, depends_on: [start]}
  - {id: branch_c, function: noop, depends_on: [start]}
  - {id: join, function: noop, depends_on: [branch_a, branch_b, branch_c]}
`

// longDagID's tasks have ids far wider than a screen (ids may have 250
// characters): the grid and the Gantt must stay usable.
const (
	longDagID  = "browser_long_ids"
	longTaskID = "a_task_with_an_id_far_wider_than_any_screen_a_task_with_an_id_far_wider_than_any_screen_" +
		"a_task_with_an_id_far_wider_than_any_screen_a_task_with_an_id_far_wider_than_any_screen_" +
		"a_task_with_an_id_far_wider_than_any_screen_end"
)

// waitDagID's task runs until the test ends (a log that refreshes).
const (
	waitDagID = "browser_wait"
	waitYAML  = "dag_id: " + waitDagID + "\ntasks: [{id: hold, function: wait}]\n"
)

const longYAML = `dag_id: ` + longDagID + `
tasks:
  - {id: ` + longTaskID + `, function: noop}
  - {id: ` + longTaskID + `_2, function: noop, depends_on: [` + longTaskID + `]}
`

// platform is the bundle in-process: store, engine, in-memory queue
// delivering to the noop runtime handler (logs to gofakes3), the
// coordinator and the web function on loopback HTTP servers.
type platform struct {
	WebURL string // the web function's URL, its prefix included
	Engine *engine.Engine
	// TriggerPosts counts the trigger form's submissions the web received.
	TriggerPosts atomic.Int32
	// HoldTriggers makes those submissions wait for Release (a slow
	// coordinator: the browser is still on the form meanwhile).
	HoldTriggers atomic.Bool
	Release      chan struct{}
}

func startPlatform(t *testing.T) *platform {
	t.Helper()
	set, err := dag.Load(dag.ValidateOptions{Functions: map[string]bool{"noop": true, "wait": true}},
		dag.Source{FS: fstest.MapFS{"d.yaml": {Data: []byte(dagYAML)}, "long.yaml": {Data: []byte(longYAML)}, "wait.yaml": {Data: []byte(waitYAML)}},
			Dir: ".", Name: "browser"})
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, 10)

	s3srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(s3srv.Close)
	s3c := objectstore.NewClient(objectstore.Config{Endpoint: s3srv.URL, AccessKey: "k", SecretKey: "s"})
	if _, err := s3c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("logs")}); err != nil {
		t.Fatal(err)
	}

	handlers := map[string]*runtime.Handler{}
	mem := queue.NewMemory(queue.MemoryConfig{VisibilityTimeout: 200 * time.Millisecond, MaxInFlight: 10,
		Deliver: func(ctx context.Context, fn string, body []byte) int {
			m, err := queue.Decode(body)
			if err != nil || handlers[fn] == nil {
				return http.StatusBadRequest
			}
			code, _ := handlers[fn].Run(ctx, m, "browser-test")
			return code
		}})
	t.Cleanup(mem.Close)
	// Registered after mem.Close, so it runs first: the waiting task ends
	// before the queue waits for its deliveries.
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	eng := engine.New(engine.Config{Store: st, Publisher: mem, Dags: func() *dag.Set { return set }})
	handlers["noop"] = runtime.NewHandler(runtime.Config{Engine: eng, Function: "noop", Task: builtin.Noop,
		Logs: func(ctx context.Context, key string) runtime.LogWriter {
			return tasklog.Open(tasklog.Config{Client: s3c, Bucket: "logs", FlushInterval: 200 * time.Millisecond}, key)
		}})
	handlers["wait"] = runtime.NewHandler(runtime.Config{Engine: eng, Function: "wait",
		Task: func(ctx context.Context, task *runtime.Task) (any, error) {
			task.Logger.Info("waiting until the test ends")
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-stop:
				return nil, nil
			}
		},
		Logs: func(ctx context.Context, key string) runtime.LogWriter {
			return tasklog.Open(tasklog.Config{Client: s3c, Bucket: "logs", FlushInterval: 200 * time.Millisecond}, key)
		}})
	if err := eng.SyncDags(context.Background()); err != nil {
		t.Fatal(err)
	}

	coord := coordinator.NewHandler(eng, nil)
	coordSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Auth-Token")), []byte(token)) != 1 {
			http.Error(w, `{"error":"private function: X-Auth-Token missing or invalid"}`, http.StatusForbidden)
			return
		}
		coord.ServeHTTP(w, r)
	}))
	t.Cleanup(coordSrv.Close)

	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h := web.New(web.Config{Store: st, Engine: eng, S3: s3c, LogsBucket: "logs",
		CoordinatorURL: coordSrv.URL, CoordinatorToken: token, Users: user + ":" + string(hash),
		SessionKey: "browser-test-session-key", RefreshInterval: 500 * time.Millisecond})
	// Mounted under a prefix, as the harness mounts functions.
	p := &platform{Engine: eng, Release: make(chan struct{})}
	mux := http.NewServeMux()
	mux.Handle(webPrefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/trigger") {
			p.TriggerPosts.Add(1)
			if p.HoldTriggers.Load() {
				select {
				case <-p.Release:
				case <-r.Context().Done(): // the browser gave up this request
					return
				}
			}
		}
		http.StripPrefix(webPrefix, h).ServeHTTP(w, r)
	}))
	webSrv := httptest.NewServer(mux)
	t.Cleanup(webSrv.Close)
	p.WebURL = webSrv.URL + webPrefix
	return p
}
