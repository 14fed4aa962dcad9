// Package bundle lists the functions of the bundle and builds their
// dependencies (store, engine, queue, DAG specs) once per instance, either
// from the environment (deployed) or from the harness.
package bundle

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/lvao/dataplatform/shared/artifact"
	"github.com/lvao/dataplatform/shared/builtin"
	"github.com/lvao/dataplatform/shared/config"
	"github.com/lvao/dataplatform/shared/coordinator"
	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/dags"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/objectstore"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/runtime"
	"github.com/lvao/dataplatform/shared/store"
	"github.com/lvao/dataplatform/shared/tasklog"
	"github.com/lvao/dataplatform/shared/web"
)

// Function is one deployed function.
type Function struct {
	// Name as in serverless.yml (and in DAG files for task functions).
	Name string
	// Private functions require X-Auth-Token.
	Private bool
	// Task is the task code of a task function (fired by its queue).
	Task func(d *Deps) runtime.TaskFunc
	// Handler serves a non-task function (coordinator, web).
	Handler func(d *Deps) http.Handler
}

// Functions is every function of the bundle.
var Functions = []Function{
	{Name: "coordinator", Private: true, Handler: func(d *Deps) http.Handler { return coordinator.NewHandler(d.Engine, d.Logger) }},
	{Name: "noop", Private: true, Task: func(*Deps) runtime.TaskFunc { return builtin.Noop }},
	{Name: "http", Private: true, Task: func(*Deps) runtime.TaskFunc { return builtin.HTTP(http.DefaultClient) }},
	{Name: "trigger-dag", Private: true, Task: func(d *Deps) runtime.TaskFunc { return builtin.TriggerDag(d.Engine) }},
	{Name: "web", Handler: func(d *Deps) http.Handler { return web.New(web.FromConfig(d.Config, d.Store, d.Engine, d.Logger)) }},
}

// Lookup returns the function named name.
func Lookup(name string) (Function, bool) {
	for _, f := range Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// TaskFunctions is the set of functions a DAG task may name.
func TaskFunctions() map[string]bool {
	out := map[string]bool{}
	for _, f := range Functions {
		if f.Task != nil {
			out[f.Name] = true
		}
	}
	return out
}

// TaskFunctionNames lists them sorted.
func TaskFunctionNames() []string {
	var out []string
	for n := range TaskFunctions() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LoadDags reads the embedded DAGs and extra directories, validated
// against the bundle's task functions.
func LoadDags(extraDirs ...string) (*dag.Set, error) {
	return dags.Load(dag.ValidateOptions{Functions: TaskFunctions()}, extraDirs...)
}

// Deps are what functions share within one instance.
type Deps struct {
	Config    *config.Config
	Store     *store.Store
	Engine    *engine.Engine
	Publisher queue.Publisher
	Dags      *dag.Set
	Logger    *slog.Logger
	// Runtime overrides for task handlers (harness and tests).
	Lease           time.Duration
	FunctionTimeout time.Duration
	Crash           func(queue.Message) bool
	Logs            func(ctx context.Context, key string) runtime.LogWriter
	Artifacts       *artifact.Store
	Now             func() time.Time
}

// Options build Deps outside the deployed environment.
type Options struct {
	// Publisher overrides the queue from the configuration (harness).
	Publisher queue.Publisher
	// Dags overrides the DAG set (harness with --dags).
	Dags *dag.Set
	// Logger default: JSON to stdout.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Secrets are masked in task logs and stdout (values of secret
	// variables; FromEnv passes config.SecretValues(os.LookupEnv)).
	Secrets []string
	// NoTaskLogs keeps task logs on stdout only (no S3 upload).
	NoTaskLogs bool
}

// Build connects to the database (migrating it), the queue, and loads DAGs.
func Build(ctx context.Context, cfg *config.Config, opts Options) (*Deps, error) {
	d := &Deps{Config: cfg, Logger: opts.Logger, Dags: opts.Dags, Publisher: opts.Publisher, Lease: cfg.TaskLease,
		FunctionTimeout: cfg.FunctionTimeout, Now: opts.Now}
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewJSONHandler(maskWriter{w: stdout, r: tasklog.Masker(opts.Secrets)}, nil))
	}
	s3c := objectstore.NewClient(objectstore.FromConfig(cfg))
	d.Artifacts = &artifact.Store{Client: s3c, Bucket: cfg.DataBucket}
	if !opts.NoTaskLogs {
		logger := d.Logger
		d.Logs = func(ctx context.Context, key string) runtime.LogWriter {
			return tasklog.Open(tasklog.Config{Client: s3c, Bucket: cfg.LogsBucket, FlushInterval: cfg.LogFlushInterval,
				Secrets: opts.Secrets, Logger: logger}, key)
		}
	}
	if d.Dags == nil {
		set, err := LoadDags()
		if err != nil {
			return nil, fmt.Errorf("invalid embedded DAGs:\n%w", err)
		}
		d.Dags = set
	}
	if d.Publisher == nil {
		p, err := publisherFromConfig(cfg)
		if err != nil {
			return nil, err
		}
		d.Publisher = p
	}
	st, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL, Schema: cfg.DatabaseSchema, Logger: d.Logger})
	if err != nil {
		return nil, err
	}
	d.Store = st
	set := d.Dags
	d.Engine = engine.New(engine.Config{Store: st, Publisher: d.Publisher, Dags: func() *dag.Set { return set },
		Logger: d.Logger, RequeueAfter: cfg.RequeueAfter, Now: opts.Now})
	if err := d.Engine.SyncDags(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return d, nil
}

func publisherFromConfig(cfg *config.Config) (queue.Publisher, error) {
	switch cfg.QueueBackend {
	case "sqs":
		return queue.NewSQS(queue.SQSConfig{Endpoint: cfg.SQSEndpoint, Region: cfg.SQSRegion,
			AccessKey: cfg.SQSAccessKey, SecretKey: cfg.SQSSecretKey, Prefix: cfg.QueuePrefix})
	case "nats":
		return queue.NewNATS(queue.NATSConfig{URL: cfg.NATSURL, Creds: cfg.NATSCreds, Prefix: cfg.QueuePrefix})
	}
	return nil, fmt.Errorf("QUEUE_BACKEND=%s needs the harness (go run ./local serve)", cfg.QueueBackend)
}

// Handler returns the HTTP handler of a function.
func (d *Deps) Handler(f Function) http.Handler {
	if f.Task == nil {
		return f.Handler(d)
	}
	return runtime.NewHandler(runtime.Config{Engine: d.Engine, Function: f.Name, Task: f.Task(d), Lease: d.Lease,
		FunctionTimeout: d.FunctionTimeout, Logger: d.Logger, Crash: d.Crash, Logs: d.Logs, Artifacts: d.Artifacts, Now: d.Now})
}

// maskWriter masks secret values in JSON log lines written to stdout.
type maskWriter struct {
	w io.Writer
	r *strings.Replacer
}

func (m maskWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(m.w, m.r.Replace(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
