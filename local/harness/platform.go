package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lvao/dataplatform/shared/bundle"
	"github.com/lvao/dataplatform/shared/config"
	"github.com/lvao/dataplatform/shared/objectstore"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/tasklog"
)

// Config builds a Platform. Zero values mean the documented defaults.
type Config struct {
	// Env is the real environment (os.LookupEnv); the harness's defaults
	// are layered under it. Tests pass a MapEnv instead (a DATABASE_SCHEMA
	// of their own), never mutating the process environment.
	Env Env
	// Addr is where to listen. Default "127.0.0.1:0" (a free port).
	Addr string
	// Serverless is the path of serverless.yml. Default: searched from the
	// working directory up.
	Serverless string
	// DagDirs are extra DAG directories (--dags).
	DagDirs []string
	// S3Dir keeps the embedded S3's data. Default DefaultS3Dir.
	S3Dir string
	// S3Addr is where the embedded S3 listens: its own listener, so that
	// task logs still upload while the functions drain at shutdown.
	// Default: the port after Addr's (8081 for 8080), a free port when
	// Addr's is 0.
	S3Addr string
	// Tick is how often the coordinator's tick runs in-process, on top of
	// serverless.yml's cron (every minute): retries, zombies and lost
	// messages then resolve in seconds locally. Default 2s; negative: never.
	Tick time.Duration
	// Cron fires serverless.yml's schedule triggers (serve does; dag run
	// and invoke do not).
	Cron bool
	// NoSchedule: the tick creates no scheduled runs (dag run starts only
	// the run asked for, as `airflow dags test`; serve schedules).
	NoSchedule bool
	// OnlyDag: task messages of other DAGs are not delivered (dag run
	// executes its own run only; a run its tasks trigger, or another
	// run's queued task, waits in Postgres for serve, whose tick
	// republishes it). OnlyRun narrows it to one run once known.
	OnlyDag string
	// Clock drives the cron. Default: the system clock.
	Clock Clock
	// VisibilityTimeout is the queue's redelivery delay. Default DefaultVisibilityTimeout.
	VisibilityTimeout time.Duration
	// Chaos switches (reliability tests).
	Chaos Chaos
	// Token is the X-Auth-Token of private functions. Default: random.
	Token string
	// Logger receives the functions' and harness's logs. Default: discard.
	Logger *slog.Logger
	// ShutdownGrace bounds how long Close waits for requests in flight
	// (a task may run for minutes; past the grace it is cut, as a platform
	// kill would, and its lease expires). Default 10s.
	ShutdownGrace time.Duration
}

// Chaos are the harness's fault injections (DESIGN §10).
type Chaos struct {
	// DuplicateRate delivers a message twice with this probability.
	DuplicateRate float64
	// DropRate loses a publish with this probability.
	DropRate float64
	// CrashRate kills a task attempt with this probability once its code
	// has run (its side effects done) and before its outcome is recorded:
	// no completion is recorded, the lease expires.
	CrashRate float64
	// Seed makes the chaos repeatable; 0 picks one at random.
	Seed uint64
}

// Platform is the running emulation: functions, queue, cron, S3, database.
type Platform struct {
	// Deps are the bundle's dependencies (engine, store…) shared by every
	// mounted function.
	Deps *bundle.Deps
	// Config is the configuration the functions run with.
	Config *config.Config
	// Queue is the in-process queue.
	Queue *queue.Memory
	// Emulator serves the functions.
	Emulator *Emulator
	// Functions are the mounted functions of serverless.yml, by name.
	Functions []FunctionSpec
	// Warnings are serverless.yml entries the harness could not honour.
	Warnings []string
	// URL is the harness's root, e.g. http://127.0.0.1:8080.
	URL string
	// Token is the X-Auth-Token of private functions.
	Token string
	// S3Endpoint is the S3 the functions use; EmbeddedS3 tells whether it
	// is the harness's own (under S3Dir).
	S3Endpoint string
	EmbeddedS3 bool
	S3Dir      string
	// WebLogin is the generated web login when WEB_USERS was not set.
	WebLogin *Login

	cfg      Config
	log      *slog.Logger
	handler  http.Handler
	server   *http.Server
	s3server *http.Server
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	crashes  atomic.Int64
	stopping atomic.Bool
	closeOne sync.Once
	onlyRun  atomic.Pointer[string]
}

// OnlyRun restricts deliveries to the messages of one run of Config's
// OnlyDag (dag run calls it once it has triggered its run).
func (p *Platform) OnlyRun(runID string) { p.onlyRun.Store(&runID) }

// accepts tells whether a task message is for this harness to run.
func (p *Platform) accepts(m queue.Message) bool {
	if p.cfg.OnlyDag == "" {
		return true
	}
	if m.DagID != p.cfg.OnlyDag {
		return false
	}
	r := p.onlyRun.Load()
	return r == nil || m.RunID == *r
}

// Start builds and starts the platform; Close stops it.
func Start(ctx context.Context, cfg Config) (_ *Platform, err error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.S3Dir == "" {
		cfg.S3Dir = DefaultS3Dir
	}
	if cfg.Tick == 0 {
		cfg.Tick = 2 * time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 10 * time.Second
	}
	if cfg.Token == "" {
		cfg.Token = NewToken()
	}
	if cfg.Env == nil {
		cfg.Env = MapEnv(nil)
	}
	p := &Platform{cfg: cfg, Token: cfg.Token, log: cfg.Logger}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	masker := newMaskHandler(p.log.Handler())
	p.log = slog.New(masker)
	if cfg.Serverless == "" {
		if cfg.Serverless, err = FindServerless("."); err != nil {
			return nil, err
		}
	}
	specs, warnings, err := LoadServerless(cfg.Serverless, cfg.Env)
	if err != nil {
		return nil, err
	}
	p.Warnings = warnings
	set, err := bundle.LoadDags(cfg.DagDirs...)
	if err != nil {
		return nil, err // dag.Errors: the CLI shows every problem
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("error listening on %s: %w", cfg.Addr, err)
	}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	p.URL = listenURL(ln.Addr())
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	mux := http.NewServeMux()
	p.handler = functionsAsSent(mux, func() http.Handler {
		if p.Emulator == nil {
			return nil // not mounted yet
		}
		return p.Emulator
	})
	p.server = &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := p.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("harness server stopped", "error", err.Error())
		}
	}()

	if v, ok := cfg.Env("S3_ENDPOINT"); !ok || v == "" {
		if err := p.startS3(ln.Addr().(*net.TCPAddr)); err != nil {
			return nil, err
		}
	}
	env, login, err := p.environment(cfg.Env)
	if err != nil {
		return nil, err
	}
	p.WebLogin = login
	if p.Config, err = config.Load(env); err != nil {
		return nil, err
	}
	masker.setSecrets(tasklog.Masker(config.SecretValues(env)))
	p.S3Endpoint = p.Config.S3Endpoint
	if err := EnsureDatabase(ctx, p.Config.DatabaseURL); err != nil {
		return nil, err
	}

	triggered := map[string]bool{}
	for _, s := range specs {
		triggered[s.Name] = len(s.Queues) > 0
	}
	p.Queue = NewQueue(QueueConfig{
		Caller:            &Caller{BaseURL: p.URL, Token: p.Token},
		Triggered:         func(fn string) bool { return triggered[fn] },
		VisibilityTimeout: cfg.VisibilityTimeout,
		DuplicateRate:     cfg.Chaos.DuplicateRate, DropRate: cfg.Chaos.DropRate, Seed: cfg.Chaos.Seed,
		Logger: p.log, Stopping: p.stopping.Load, Accept: p.accepts,
	})
	if p.Deps, err = bundle.Build(ctx, p.Config, bundle.Options{Publisher: p.Queue, Dags: set, Logger: p.log,
		Secrets: config.SecretValues(env), PrepareWebapp: true, NoSchedule: cfg.NoSchedule}); err != nil {
		return nil, err
	}
	p.Deps.Crash = p.crashFunc(cfg.Chaos)
	p.Warnings = append(p.Warnings, p.Deps.Warnings...)

	p.Emulator = NewEmulator(p.Token, p.log)
	p.mount(specs)
	p.routes(mux)
	if err := EnsureBuckets(ctx, objectstore.NewClient(objectstore.FromConfig(p.Config)),
		p.Config.LogsBucket, p.Config.DataBucket); err != nil {
		return nil, err
	}
	if cfg.Cron {
		if err := p.startCron(runCtx, cfg.Clock); err != nil {
			return nil, err
		}
	}
	if cfg.Tick > 0 {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.tickLoop(runCtx, cfg.Tick)
		}()
	}
	return p, nil
}

// mount serves every function of serverless.yml the bundle knows, each
// with its own timeout as the task runtime's default execution timeout.
func (p *Platform) mount(specs []FunctionSpec) {
	declared := map[string]bool{}
	for _, s := range specs {
		declared[s.Name] = true
		f, ok := bundle.Lookup(s.Name)
		if !ok {
			p.Warnings = append(p.Warnings, fmt.Sprintf("function %s of serverless.yml is not in the bundle (shared/bundle): not mounted", s.Name))
			continue
		}
		d := *p.Deps
		d.FunctionTimeout = s.Timeout
		p.Emulator.Mount(s, d.Handler(f))
		p.Functions = append(p.Functions, s)
	}
	for _, f := range bundle.Functions {
		if !declared[f.Name] {
			p.Warnings = append(p.Warnings, fmt.Sprintf("function %s of the bundle is not in serverless.yml: not mounted", f.Name))
		}
	}
	sort.Slice(p.Functions, func(i, j int) bool { return p.Functions[i].Name < p.Functions[j].Name })
}

func (p *Platform) crashFunc(c Chaos) func(queue.Message) bool {
	if c.CrashRate <= 0 {
		return nil
	}
	seed := c.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	var mu sync.Mutex
	rnd := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	return func(queue.Message) bool {
		mu.Lock()
		crash := rnd.Float64() < c.CrashRate
		mu.Unlock()
		if crash {
			p.crashes.Add(1)
		}
		return crash
	}
}

func (p *Platform) startCron(ctx context.Context, clock Clock) error {
	var events []CronEvent
	for _, s := range p.Functions {
		for _, sch := range s.Schedules {
			events = append(events, CronEvent{Function: s.Name, Schedule: sch})
		}
	}
	caller := &Caller{BaseURL: p.URL, Token: p.Token}
	cron, err := NewCron(CronConfig{Events: events, Clock: clock, Logger: p.log,
		Fire: func(ctx context.Context, ev CronEvent, _ time.Time) {
			status, err := caller.Post(ctx, ev.Function, ev.Input, "")
			if err != nil && ctx.Err() == nil {
				p.log.Warn("cron trigger failed", "function", ev.Function, "error", err.Error())
			} else if status >= 300 {
				p.log.Warn("cron trigger answered an error", "function", ev.Function, "status", status)
			}
		}})
	if err != nil {
		return err
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		cron.Run(ctx)
	}()
	return nil
}

// tickLoop runs the coordinator's tick in-process, at once and then every
// interval, so retries, zombies and lost messages resolve in seconds.
func (p *Platform) tickLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := p.Deps.Engine.Tick(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("harness tick failed", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// listenURL is the URL of a listener; one on every interface (--addr :8080)
// is reached through the loopback.
func listenURL(addr net.Addr) string {
	if a, ok := addr.(*net.TCPAddr); ok && a.IP.IsUnspecified() {
		return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(a.Port))
	}
	return "http://" + addr.String()
}

// Crashes counts the attempts the crash chaos aborted.
func (p *Platform) Crashes() int64 { return p.crashes.Load() }

// Invoke sends one request to a function in-process, through the same
// emulation as HTTP requests (token, limits, timeout, headers).
func (p *Platform) Invoke(ctx context.Context, function string, body []byte) (int, http.Header, []byte) {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, FunctionPath(function), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", p.Token)
	req.RemoteAddr = "127.0.0.1:0" // the developer's own machine
	rec := httptest.NewRecorder()
	p.handler.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

// Close stops the platform: cron and tick stopped, no new connections,
// requests in flight given ShutdownGrace to finish (an attempt already
// claimed completes instead of turning into a zombie), then the queue
// closed (pending redeliveries dropped: the tick republishes those tasks on
// the next start) and the database pool closed. Safe to call twice.
func (p *Platform) Close() {
	p.closeOne.Do(func() {
		p.stopping.Store(true)
		if p.cancel != nil {
			p.cancel()
		}
		// One grace for everything in flight: the HTTP requests and the
		// function invocations behind them are the same work.
		deadline := time.Now().Add(p.cfg.ShutdownGrace)
		if p.server != nil {
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			if err := p.server.Shutdown(ctx); err != nil {
				p.log.Warn("requests still running at shutdown were cut", "error", err.Error())
				_ = p.server.Close()
			}
			cancel()
		}
		if p.Queue != nil {
			p.Queue.Close()
		}
		if p.Emulator != nil {
			waitTimeout(p.Emulator.Wait, time.Until(deadline))
		}
		if p.s3server != nil { // last: the drained attempts have uploaded their logs
			// At least a moment: an attempt that ended at the deadline
			// is still uploading its log.
			ctx, cancel := context.WithTimeout(context.Background(), max(time.Until(deadline), time.Second))
			if err := p.s3server.Shutdown(ctx); err != nil {
				_ = p.s3server.Close()
			}
			cancel()
		}
		p.wg.Wait()
		if p.Deps != nil && p.Deps.Store != nil {
			p.Deps.Close()
		}
	})
}

// waitTimeout calls wait, giving up after d (a task stuck past the grace
// must not hang the harness: its lease expires and the next start retries).
func waitTimeout(wait func(), d time.Duration) {
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}
