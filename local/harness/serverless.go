package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/lvao/dataplatform/shared/dag"
)

// FunctionSpec is one function of serverless.yml, as the harness needs it.
type FunctionSpec struct {
	// Name is the function's key under `functions:`.
	Name string
	// Handler is `<package dir>/Handle`.
	Handler string
	// Private functions require X-Auth-Token.
	Private bool
	// Timeout bounds a request (the request context's deadline). Default 300s, as Scaleway's.
	Timeout time.Duration
	// MaxScale bounds concurrent requests (one request per instance). Default 20, as Scaleway's.
	MaxScale int
	// Schedules are its cron triggers.
	Schedules []Schedule
	// Queues names the queues that trigger it (its `sqs` / `nats` events).
	Queues []string
}

// Schedule is one cron trigger: POST / with Input as the body, at every
// minute Rate matches (5 fields, UTC).
type Schedule struct {
	Rate  string
	Input json.RawMessage
}

// Scaleway's defaults for a function that does not set them.
const (
	DefaultTimeout  = 300 * time.Second
	DefaultMaxScale = 20
)

// FindServerless looks for serverless.yml in dir and its parents (the
// harness runs from the module root, tests from their package directory).
func FindServerless(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "serverless.yml")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("serverless.yml not found in this directory or its parents (use --serverless FILE)")
		}
		dir = parent
	}
}

// LoadServerless reads the functions of a serverless.yml. Variables
// (${self:…}, ${opt:stage, 'preprod'}, ${env:…}) are resolved the way the
// framework does for the fields the harness reads, options taking their
// fallback (the harness emulates the default stage's sizing). Fields it
// cannot resolve take Scaleway's defaults and are reported as warnings, as
// are handlers Scaleway would not build as the harness serves them. A cron
// rate the serverless plugin rejects (`*/10`, day or month names) is an
// error: `serverless deploy` would fail on it.
func LoadServerless(path string, env Env) ([]FunctionSpec, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var root map[string]any
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	r := &resolver{root: root, env: env}
	fns, _ := root["functions"].(map[string]any)
	if len(fns) == 0 {
		return nil, nil, fmt.Errorf("%s: no functions", path)
	}
	var out []FunctionSpec
	var warnings, problems []string
	warn := func(format string, a ...any) {
		warnings = append(warnings, fmt.Sprintf("%s: ", path)+fmt.Sprintf(format, a...))
	}
	names := make([]string, 0, len(fns))
	for n := range fns {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		raw, _ := r.value(fns[name], 0).(map[string]any)
		f := FunctionSpec{Name: name, Timeout: DefaultTimeout, MaxScale: DefaultMaxScale}
		f.Handler, _ = raw["handler"].(string)
		if w := checkHandler(filepath.Dir(path), name, f.Handler); w != "" {
			warn("functions.%s.handler: %s", name, w)
		}
		f.Private = raw["privacy"] == "private"
		if v, ok := raw["timeout"]; ok {
			d, err := parseTimeout(v)
			if err != nil {
				warn("functions.%s.timeout: %v; using %s", name, err, DefaultTimeout)
			} else {
				f.Timeout = d
			}
		}
		if v, ok := raw["maxScale"]; ok {
			n, err := parseInt(v)
			if err != nil || n < 1 {
				warn("functions.%s.maxScale: %v is not a positive number; using %d", name, v, DefaultMaxScale)
			} else {
				f.MaxScale = n
			}
		}
		events, _ := raw["events"].([]any)
		for i, e := range events {
			ev, _ := e.(map[string]any)
			if s, ok := ev["schedule"].(map[string]any); ok {
				rate, _ := s["rate"].(string)
				input, err := json.Marshal(s["input"])
				if s["input"] == nil {
					input = []byte("{}")
				}
				if rate == "" || err != nil {
					warn("functions.%s.events[%d].schedule: needs a rate and a JSON input", name, i)
					continue
				}
				if err := dag.CheckCron(rate); err != nil {
					problems = append(problems, fmt.Sprintf("%s: functions.%s.events[%d].schedule.rate: %v", path, name, i, err))
					continue
				}
				f.Schedules = append(f.Schedules, Schedule{Rate: rate, Input: input})
			}
			for _, kind := range []string{"sqs", "nats"} {
				if q, ok := ev[kind].(map[string]any); ok {
					qn, _ := q["queue"].(string)
					if qn == "" {
						qn, _ = q["name"].(string)
					}
					f.Queues = append(f.Queues, qn)
				}
			}
		}
		out = append(out, f)
	}
	if len(problems) > 0 {
		return nil, nil, errors.New(strings.Join(problems, "\n"))
	}
	return out, warnings, nil
}

// fromEnvPattern finds the bundle function a handler package serves
// (functions/<folder>/handler.go: bundle.FromEnv("<name>")).
var fromEnvPattern = regexp.MustCompile(`bundle\.FromEnv\("([^"]*)"\)`)

// checkHandler tells what is wrong with a function's handler as Scaleway
// builds it ("" when nothing): the harness serves the bundle's function of
// that name, the platform builds the handler's folder, so both must agree.
func checkHandler(root, name, handler string) string {
	if handler == "" {
		return "missing (want functions/<folder>/Handle)"
	}
	dir, ok := strings.CutSuffix(handler, "/Handle")
	if !ok || dir == "" || strings.Contains(dir, ".") {
		return fmt.Sprintf("%q: not <folder>/Handle", handler)
	}
	files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(dir), "*.go"))
	if err != nil || len(files) == 0 {
		if st, err := os.Stat(filepath.Join(root, filepath.FromSlash(dir))); err != nil || !st.IsDir() {
			return fmt.Sprintf("%q: no folder %s next to serverless.yml: Scaleway would not build it", handler, dir)
		}
		return fmt.Sprintf("%q: no Go file in %s: Scaleway would not build it", handler, dir)
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		if m := fromEnvPattern.FindSubmatch(src); m != nil && string(m[1]) != name {
			return fmt.Sprintf("%q: %s serves function %q (bundle.FromEnv), not %q: deployed, it would run other code than here", handler, dir, m[1], name)
		}
	}
	return ""
}

func parseTimeout(v any) (time.Duration, error) {
	switch x := v.(type) {
	case int:
		return time.Duration(x) * time.Second, nil
	case string:
		if n, err := strconv.Atoi(x); err == nil {
			return time.Duration(n) * time.Second, nil
		}
		d, err := time.ParseDuration(x)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("%q is not a duration", x)
		}
		return d, nil
	}
	return 0, fmt.Errorf("%v is not a duration", v)
}

func parseInt(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case string:
		return strconv.Atoi(x)
	}
	return 0, fmt.Errorf("%v is not a number", v)
}

// varPattern matches an innermost ${…} (no nested ${ inside).
var varPattern = regexp.MustCompile(`\$\{([^${}]*)\}`)

// resolver expands Serverless Framework variables.
type resolver struct {
	root map[string]any
	env  Env
}

const maxDepth = 10

func (r *resolver) value(v any, depth int) any {
	if depth > maxDepth {
		return v
	}
	switch x := v.(type) {
	case string:
		return r.str(x, depth)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = r.value(e, depth)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.value(e, depth)
		}
		return out
	}
	return v
}

// str replaces variables innermost first, so that
// ${self:custom.stages.${self:custom.stage}.x} works. A string that is one
// whole variable takes the referenced value's type (a number stays one).
func (r *resolver) str(s string, depth int) any {
	for i := 0; i < 50; i++ {
		m := varPattern.FindStringSubmatchIndex(s)
		if m == nil {
			return s
		}
		val, ok := r.lookup(strings.TrimSpace(s[m[2]:m[3]]), depth)
		if !ok {
			return s // unresolved: the caller reports the field
		}
		if m[0] == 0 && m[1] == len(s) {
			if _, isStr := val.(string); !isStr {
				return val
			}
		}
		s = s[:m[0]] + fmt.Sprint(val) + s[m[1]:]
	}
	return s
}

func (r *resolver) lookup(expr string, depth int) (any, bool) {
	src, fallback, hasFallback := strings.Cut(expr, ",")
	src = strings.TrimSpace(src)
	var val any
	var ok bool
	switch {
	case strings.HasPrefix(src, "self:"):
		var cur any = r.root
		ok = true
		for _, part := range strings.Split(strings.TrimPrefix(src, "self:"), ".") {
			m, isMap := cur.(map[string]any)
			if !isMap {
				ok = false
				break
			}
			if cur, ok = m[part]; !ok {
				break
			}
		}
		if ok {
			val = r.value(cur, depth+1)
			if s, isStr := val.(string); isStr && varPattern.MatchString(s) {
				ok = false
			}
		}
	case strings.HasPrefix(src, "env:") && r.env != nil:
		val, ok = r.env(strings.TrimPrefix(src, "env:"))
	}
	if !ok && hasFallback {
		f := strings.TrimSpace(fallback)
		if len(f) >= 2 && (f[0] == '\'' || f[0] == '"') && f[len(f)-1] == f[0] {
			return f[1 : len(f)-1], true
		}
		if n, err := strconv.Atoi(f); err == nil {
			return n, true
		}
		return nil, false
	}
	return val, ok
}
