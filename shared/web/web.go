// Package web is the web function: server-rendered pages for people (DAG
// list, grid of runs × tasks, run with a Gantt of durations, task attempt
// with its log) and the same data as JSON under /api/v1/… (DESIGN §10).
//
// It reads Postgres and S3 itself and performs actions (trigger, clear,
// mark, pause) through the coordinator's HTTP API. Every page but /healthz
// needs a login (WEB_USERS, a session cookie signed with WEB_SESSION_KEY);
// the JSON API also takes a bearer token (API_TOKENS). Every POST carries
// the session's CSRF token.
package web

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lvao/dataplatform/shared/config"
	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/objectstore"
	"github.com/lvao/dataplatform/shared/store"
)

// Config builds the web handler. Zero values mean the documented defaults.
type Config struct {
	// Store is the platform database (read only). Required.
	Store *store.Store
	// Engine gives run documents and DAG versions (read only). Required.
	Engine *engine.Engine
	// Dags returns the deployed DAGs (params of the trigger form, schedule).
	// Default Engine.Dags.
	Dags func() *dag.Set
	// S3 reads task logs and presigns links. Nil: logs are not shown.
	S3 *s3.Client
	// LogsBucket is LOGS_BUCKET.
	LogsBucket string
	// CoordinatorURL is the coordinator function's URL (COORDINATOR_URL).
	// Empty: actions answer that they are not configured.
	CoordinatorURL string
	// CoordinatorToken is sent as X-Auth-Token to the coordinator.
	CoordinatorToken string
	// HTTPClient calls the coordinator. Default: a client with a 60s timeout.
	HTTPClient *http.Client
	// Users is WEB_USERS: "user:bcrypthash,user2:hash". Empty: nobody can log in.
	Users string
	// SessionKey is WEB_SESSION_KEY, the HMAC key of session cookies.
	// Default: a random key per instance (sessions then end with it, and
	// do not work across instances: set it when deployed).
	SessionKey string
	// APITokens is API_TOKENS: comma-separated bearer tokens for /api/v1.
	APITokens string
	// BasePath is the path the handler is mounted under, for links
	// ("/functions/web"). The X-Forwarded-Prefix header wins over it.
	// Default "": links are relative to the request's path, which works
	// under any prefix a host strips.
	BasePath string
	// SessionTTL is how long a login lasts. Default 12h.
	SessionTTL time.Duration
	// PresignExpiry is the life of presigned log links. Default 5m.
	PresignExpiry time.Duration
	// LogTail is how many bytes of a log's end are shown. Default 64 KiB.
	LogTail int
	// GridRuns is the grid's default number of runs (?runs=). Default 25.
	GridRuns int
	// RefreshInterval is how often a running task's log refreshes. Default 3s.
	RefreshInterval time.Duration
	// Logger default: discard.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// FromConfig fills the settings that come from the environment.
func FromConfig(c *config.Config, st *store.Store, e *engine.Engine, logger *slog.Logger) Config {
	return Config{
		Store: st, Engine: e, Logger: logger,
		S3:             objectstore.NewClient(objectstore.FromConfig(c)),
		LogsBucket:     c.LogsBucket,
		CoordinatorURL: c.CoordinatorURL, CoordinatorToken: c.CoordinatorToken,
		Users: c.WebUsers, SessionKey: c.WebSessionKey, APITokens: c.APITokens,
	}
}

// Limits of the grid's ?runs=.
const maxGridRuns = 500

// server is the web function.
type server struct {
	cfg     Config
	users   map[string][]byte // user -> bcrypt hash
	tokens  [][32]byte        // sha256 of each API token
	key     []byte            // session HMAC key
	coord   *coordinatorClient
	presign *s3.PresignClient
	pages   *pages
	log     *slog.Logger
}

// New returns the web function's handler. A malformed WEB_USERS entry is
// skipped and logged (by user name only).
func New(cfg Config) http.Handler {
	if cfg.Dags == nil && cfg.Engine != nil {
		cfg.Dags = cfg.Engine.Dags
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.PresignExpiry <= 0 {
		cfg.PresignExpiry = 5 * time.Minute
	}
	if cfg.LogTail <= 0 {
		cfg.LogTail = 64 << 10
	}
	if cfg.GridRuns <= 0 {
		cfg.GridRuns = 25
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = 3 * time.Second
	}
	s := &server{cfg: cfg, log: cfg.Logger, pages: loadPages()}
	s.users = parseUsers(cfg.Users, s.log)
	s.tokens = parseTokens(cfg.APITokens)
	s.key = []byte(cfg.SessionKey)
	if len(s.key) == 0 {
		s.key = make([]byte, 32)
		_, _ = rand.Read(s.key)
		s.log.Warn("WEB_SESSION_KEY is not set: sessions use a random key and end with this instance")
	}
	s.coord = &coordinatorClient{base: cfg.CoordinatorURL, token: cfg.CoordinatorToken, http: cfg.HTTPClient}
	if cfg.S3 != nil {
		s.presign = s3.NewPresignClient(cfg.S3, s3.WithPresignExpires(cfg.PresignExpiry))
	}
	return s.routes()
}

// routes lists every route; each is wrapped by the access it needs.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /static/{version}/{file}", s.static)
	mux.HandleFunc("GET /login", s.open(s.loginPage))
	mux.HandleFunc("POST /login", s.open(s.login))
	mux.HandleFunc("POST /logout", s.action(s.logout))

	mux.HandleFunc("GET /{$}", s.page(s.dagList))
	mux.HandleFunc("GET /dags/{dag_id}", s.page(s.grid))
	mux.HandleFunc("GET /dags/{dag_id}/trigger", s.page(s.triggerForm))
	mux.HandleFunc("POST /dags/{dag_id}/trigger", s.action(s.trigger))
	mux.HandleFunc("POST /dags/{dag_id}/pause", s.action(s.pause))
	mux.HandleFunc("GET /dags/{dag_id}/runs/{run_id}", s.page(s.run))
	mux.HandleFunc("POST /dags/{dag_id}/runs/{run_id}/clear", s.action(s.clear))
	mux.HandleFunc("GET /dags/{dag_id}/runs/{run_id}/log", s.page(s.logDownload))
	mux.HandleFunc("GET /dags/{dag_id}/runs/{run_id}/tasks/{task_id}", s.page(s.attempt))
	mux.HandleFunc("POST /dags/{dag_id}/runs/{run_id}/tasks/{task_id}/mark", s.action(s.mark))

	mux.HandleFunc("GET /api/v1/dags", s.api(s.apiDags))
	mux.HandleFunc("GET /api/v1/dags/{dag_id}/dagRuns", s.api(s.apiGrid))
	mux.HandleFunc("GET /api/v1/dags/{dag_id}/dagRuns/{run_id}", s.api(s.apiRun))
	mux.HandleFunc("GET /api/v1/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}", s.api(s.apiTask))
	mux.HandleFunc("GET /api/v1/dags/{dag_id}/dagRuns/{run_id}/logs", s.api(s.apiLog))
	mux.HandleFunc("/api/", s.api(func(w http.ResponseWriter, r *http.Request, _ *reqCtx) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Airflow's webserver takes POST …/dagRuns; here that is the
			// coordinator's API, which a 404 would not tell.
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method not allowed",
				"the web's JSON API only reads; trigger, clear, mark and pause through the coordinator's API or the pages")
			return
		}
		writeError(w, http.StatusNotFound, "no such endpoint", r.Method+" "+r.URL.Path)
	}))
	mux.HandleFunc("/", s.open(func(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
		s.errorPage(w, r, rc, http.StatusNotFound, "Page not found", "There is nothing at this address.")
	}))
	return s.guard(mux)
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}
