package deploy_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/lvao/dataplatform/shared/bundle"
	"github.com/lvao/dataplatform/triggers/topology"
)

// builtinFunctions are deployed functions that are not task functions: no DAG task runs on
// them and they have no queue.
var builtinFunctions = map[string]bool{"coordinator": true, "web": true}

// Scaleway's memory tiers (MB) and maximum timeout (DESIGN §3).
var (
	memoryTiers = map[int]bool{128: true, 256: true, 512: true, 1024: true, 2048: true, 3072: true, 4096: true}
	maxTimeout  = 15 * time.Minute
	handlerRe   = regexp.MustCompile(`^(functions/[a-z0-9_/-]+)/Handle$`)
)

// Every function serverless.yml declares points at a package of the bundle that exports
// `func Handle(w http.ResponseWriter, r *http.Request)` and is not `package main`
// (Scaleway generates the main package and refuses a module that has one).
func TestFunctionsHaveHandlers(t *testing.T) {
	t.Parallel()
	raw := rawServerless(t)
	for _, name := range sortedKeys(raw.Functions) {
		fn := raw.Functions[name]
		field := fmt.Sprintf("serverless.yml: functions.%s.handler", name)
		m := handlerRe.FindStringSubmatch(fn.Handler)
		if m == nil {
			t.Errorf("%s = %q, want functions/<package>/Handle", field, fn.Handler)
			continue
		}
		if err := checkHandlerPackage(filepath.Join(repoRoot, filepath.FromSlash(m[1]))); err != nil {
			t.Errorf("%s = %q: %v", field, fn.Handler, err)
		}
	}
}

// checkHandlerPackage parses a package directory (without building it) and looks for Handle.
func checkHandlerPackage(dir string) error {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		return fmt.Errorf("package not readable: %w", err)
	}
	if len(pkgs) == 0 {
		return fmt.Errorf("no Go package in %s", dir)
	}
	for pkgName, pkg := range pkgs {
		if pkgName == "main" {
			return fmt.Errorf("package main is reserved by Scaleway's Go runtime")
		}
		for path, f := range pkg.Files {
			httpName := importName(f, "net/http", "http")
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Recv != nil || fd.Name.Name != "Handle" {
					continue
				}
				var params []string
				for _, p := range fd.Type.Params.List {
					n := max(len(p.Names), 1)
					for range n {
						params = append(params, types(p.Type))
					}
				}
				want := []string{httpName + ".ResponseWriter", "*" + httpName + ".Request"}
				if strings.Join(params, ",") != strings.Join(want, ",") || fd.Type.Results != nil {
					return fmt.Errorf("%s: Handle(%s) must be func Handle(w http.ResponseWriter, r *http.Request)", filepath.Base(path), strings.Join(params, ", "))
				}
				return nil
			}
		}
	}
	return fmt.Errorf("no func Handle(w http.ResponseWriter, r *http.Request) in %s", dir)
}

func importName(f *ast.File, path, def string) string {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == path && imp.Name != nil {
			return imp.Name.Name
		}
	}
	return def
}

func types(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return "*" + types(e.X)
	case *ast.SelectorExpr:
		return types(e.X) + "." + e.Sel.Name
	case *ast.Ident:
		return e.Name
	}
	return fmt.Sprintf("%T", e)
}

// Memory tier, timeout and privacy fit the platform: functions fired by a trigger are private
// (the platform authenticates its own triggers).
func TestFunctionLimits(t *testing.T) {
	t.Parallel()
	raw := rawServerless(t)
	for _, name := range sortedKeys(raw.Functions) {
		fn := raw.Functions[name]
		field := "serverless.yml: functions." + name
		if !memoryTiers[fn.MemoryLimit] {
			t.Errorf("%s.memoryLimit = %d, want a Scaleway tier (128…4096)", field, fn.MemoryLimit)
		}
		if d, err := time.ParseDuration(fn.Timeout); err != nil || d <= 0 || d > maxTimeout {
			t.Errorf("%s.timeout = %q, want a duration up to 900s", field, fn.Timeout)
		}
		if len(fn.Events) > 0 && fn.Privacy != "private" {
			t.Errorf("%s.privacy = %q: a function fired by a trigger must be private", field, fn.Privacy)
		}
		// A task function's runtime ends an attempt cleanly at FUNCTION_TIMEOUT, before the
		// platform kills it at `timeout`. YAML merges (<<: *task) are shallow: a function that
		// sets its own `env` must repeat FUNCTION_TIMEOUT, or it falls back to 15m.
		// The Go runtime's soft memory limit is 90% of the function's tier (the GC works
		// harder near it instead of the platform killing the instance).
		if want := fmt.Sprintf("%dMiB", fn.MemoryLimit*9/10); fn.Env["GOMEMLIMIT"] != want {
			t.Errorf("%s.env.GOMEMLIMIT = %q, want %s (90%% of memoryLimit %d)", field, fn.Env["GOMEMLIMIT"], want, fn.MemoryLimit)
		}
		if bundle.TaskFunctions()[name] {
			ft, err := time.ParseDuration(fn.Env["FUNCTION_TIMEOUT"])
			if d, _ := time.ParseDuration(fn.Timeout); err != nil || ft != d {
				t.Errorf("%s.env.FUNCTION_TIMEOUT = %q, want the function's timeout %s", field, fn.Env["FUNCTION_TIMEOUT"], fn.Timeout)
			}
		}
	}
}

// Every function a DAG uses is a declared task function, with a queue event.
func TestDAGFunctionsHaveQueues(t *testing.T) {
	t.Parallel()
	raw := rawServerless(t)
	var files []string
	for _, ext := range []string{"yaml", "yml", "json"} {
		m, _ := filepath.Glob(filepath.Join(repoRoot, "shared", "dags", "*."+ext))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Log("shared/dags has no DAG file yet: only the declared functions are checked")
	}
	for _, path := range files {
		rel, _ := filepath.Rel(repoRoot, path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var dag struct {
			DagID string `yaml:"dag_id"`
			Tasks []struct {
				ID       string `yaml:"id"`
				Function string `yaml:"function"`
			} `yaml:"tasks"`
		}
		if err := yaml.Unmarshal(data, &dag); err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		for i, task := range dag.Tasks {
			where := fmt.Sprintf("%s: dag %s: tasks[%d] (%s).function %q", rel, dag.DagID, i, task.ID, task.Function)
			fn, ok := raw.Functions[task.Function]
			switch {
			case builtinFunctions[task.Function]:
				t.Errorf("%s: %s is a built-in function, not a task function", where, task.Function)
			case !ok:
				t.Errorf("%s is not declared in serverless.yml functions", where)
			case countEvents(fn, "sqs") != 1:
				t.Errorf("%s: serverless.yml functions.%s needs exactly one sqs event (its queue)", where, task.Function)
			}
		}
	}
	// The declared task functions themselves have one queue each.
	for _, name := range sortedKeys(raw.Functions) {
		if n := countEvents(raw.Functions[name], "sqs"); !builtinFunctions[name] && n != 1 {
			t.Errorf("serverless.yml: functions.%s is a task function with %d sqs events, want 1", name, n)
		}
	}
}

func countEvents(fn rawFunction, kind string) int {
	n := 0
	for _, e := range fn.Events {
		if _, ok := e[kind]; ok {
			n++
		}
	}
	return n
}

// For every stage, the queues and crons of serverless.yml (as the framework resolves it) are
// exactly those of triggers/topology.yaml, queue names follow QUEUE_PREFIX + function, and a
// queue hides a message at least as long as its function may run.
func TestQueuesMatchTopology(t *testing.T) {
	t.Parallel()
	topo, err := topology.Load(filepath.Join(repoRoot, "triggers", "topology.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := topo.StageNames(); strings.Join(got, ",") != strings.Join(stages, ",") {
		t.Errorf("triggers/topology.yaml: stages = %v, want %v", got, stages)
	}
	for _, stageName := range stages {
		t.Run(stageName, func(t *testing.T) {
			_, cfg := serverlessPrint(t, stageName)
			stage, err := topo.Stage(stageName)
			if err != nil {
				t.Fatal(err)
			}
			where := "triggers/topology.yaml: stages." + stageName
			if stage.Namespace != cfg.Service {
				t.Errorf("%s.namespace = %q, serverless.yml service = %q", where, stage.Namespace, cfg.Service)
			}
			if stage.Region != cfg.Provider.ScwRegion {
				t.Errorf("triggers/topology.yaml: region = %q, serverless.yml provider.scwRegion = %q", stage.Region, cfg.Provider.ScwRegion)
			}
			prefix := cfg.Provider.Env["QUEUE_PREFIX"]
			declared := map[string]bool{}
			var crons []string
			for _, name := range sortedKeys(cfg.Functions) {
				fn := cfg.Functions[name]
				timeout, _ := time.ParseDuration(fn.Timeout)
				for i, ev := range fn.Events {
					field := fmt.Sprintf("serverless.yml (stage %s): functions.%s.events[%d]", stageName, name, i)
					if ev.Schedule != nil {
						crons = append(crons, cronKey(name, ev.Schedule.Rate, ev.Schedule.Input))
					}
					if ev.SQS == nil {
						continue
					}
					declared[name] = true
					if want := prefix + name; ev.SQS.Queue != want {
						t.Errorf("%s.sqs.queue = %q, want %q (QUEUE_PREFIX + function: where the runtime publishes)", field, ev.SQS.Queue, want)
					}
					q, ok := stage.QueueFor(name)
					switch {
					case !ok:
						t.Errorf("%s.sqs.queue %q: no queue for function %s in %s.queues", field, ev.SQS.Queue, name, where)
					case q.Name != ev.SQS.Queue:
						t.Errorf("%s.sqs.queue = %q, but %s.queues has %q for %s", field, ev.SQS.Queue, where, q.Name, name)
					case time.Duration(q.VisibilityTimeout) < timeout:
						t.Errorf("%s.queues (%s).visibility_timeout %s < functions.%s.timeout %s: a running task's message would be delivered again",
							where, q.Name, q.VisibilityTimeout, name, timeout)
					}
				}
			}
			for _, q := range stage.Queues {
				if !declared[q.Function] {
					t.Errorf("%s.queues (%s): function %s has no sqs event in serverless.yml", where, q.Name, q.Function)
				}
			}
			var want []string
			for _, c := range stage.Crons {
				want = append(want, cronKey(c.Function, c.Schedule, c.Args))
			}
			sort.Strings(crons)
			sort.Strings(want)
			if strings.Join(crons, "\n") != strings.Join(want, "\n") {
				t.Errorf("schedule events of serverless.yml:\n  %s\ndiffer from %s.crons:\n  %s",
					strings.Join(crons, "\n  "), where, strings.Join(want, "\n  "))
			}
		})
	}
}

func cronKey(function, rate string, args map[string]any) string {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, args[k])
	}
	return fmt.Sprintf("%s %q {%s}", function, rate, strings.Join(parts, ","))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Every function serverless.yml declares is one of shared/bundle's, and its handler's folder
// serves that one (bundle.FromEnv("<name>")): the harness mounts the bundle's function of
// that name, Scaleway builds the folder, so both run the same code; a name the bundle lacks
// deploys a function that cannot start.
func TestFunctionsAreInTheBundle(t *testing.T) {
	t.Parallel()
	raw := rawServerless(t)
	fromEnv := regexp.MustCompile(`bundle\.FromEnv\("([^"]*)"\)`)
	for _, name := range sortedKeys(raw.Functions) {
		fn := raw.Functions[name]
		if _, ok := bundle.Lookup(name); !ok {
			t.Errorf("serverless.yml: functions.%s: no function %q in shared/bundle (Functions)", name, name)
		}
		m := handlerRe.FindStringSubmatch(fn.Handler)
		if m == nil {
			continue // TestFunctionsHaveHandlers reports it
		}
		files, _ := filepath.Glob(filepath.Join(repoRoot, filepath.FromSlash(m[1]), "*.go"))
		served := ""
		for _, f := range files {
			if src, err := os.ReadFile(f); err == nil && !strings.HasSuffix(f, "_test.go") {
				if sm := fromEnv.FindSubmatch(src); sm != nil {
					served = string(sm[1])
				}
			}
		}
		if served != name {
			t.Errorf("serverless.yml: functions.%s.handler %s: its folder serves bundle.FromEnv(%q), want %q", name, fn.Handler, served, name)
		}
	}
}
