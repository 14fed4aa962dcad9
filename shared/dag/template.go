package dag

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// templatePattern matches Airflow-style {{ name }} placeholders.
var templatePattern = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}`)

// Context variables a task's args may reference, besides params.<name>.
var templateVars = []string{"dag_id", "task_id", "run_id", "ds", "ts", "logical_date", "data_interval_start", "data_interval_end", "try_number"}

// TemplateContext is what placeholders resolve to.
type TemplateContext struct {
	DagID, TaskID, RunID string
	LogicalDate          time.Time
	DataIntervalStart    time.Time
	DataIntervalEnd      time.Time
	TryNumber            int
	Params               map[string]any
}

func (c TemplateContext) lookup(ref string) (any, bool) {
	if name, ok := strings.CutPrefix(ref, "params."); ok {
		v, ok := c.Params[name]
		return v, ok
	}
	switch ref {
	case "dag_id":
		return c.DagID, true
	case "task_id":
		return c.TaskID, true
	case "run_id":
		return c.RunID, true
	case "ds":
		return c.LogicalDate.UTC().Format("2006-01-02"), true
	case "ts", "logical_date":
		return isoformat(c.LogicalDate), true
	case "data_interval_start":
		return isoformat(c.DataIntervalStart), true
	case "data_interval_end":
		return isoformat(c.DataIntervalEnd), true
	case "try_number":
		return int64(c.TryNumber), true
	}
	return nil, false
}

// Render replaces placeholders in args. A string that is exactly one
// placeholder takes the value with its type (a boolean param stays a
// boolean); placeholders inside longer strings are formatted as text.
func Render(args map[string]any, c TemplateContext) (map[string]any, error) {
	if args == nil {
		return map[string]any{}, nil
	}
	v, err := render(args, c)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func render(v any, c TemplateContext) (any, error) {
	switch x := v.(type) {
	case string:
		if m := templatePattern.FindStringSubmatch(x); m != nil && m[0] == strings.TrimSpace(x) {
			val, ok := c.lookup(m[1])
			if !ok {
				return nil, fmt.Errorf("unknown placeholder {{ %s }}", m[1])
			}
			return val, nil
		}
		var firstErr error
		out := templatePattern.ReplaceAllStringFunc(x, func(s string) string {
			ref := templatePattern.FindStringSubmatch(s)[1]
			val, ok := c.lookup(ref)
			if !ok {
				firstErr = fmt.Errorf("unknown placeholder {{ %s }}", ref)
				return s
			}
			if str, ok := val.(string); ok {
				return str
			}
			b, _ := json.Marshal(val)
			return string(b)
		})
		return out, firstErr
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := render(e, c)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := render(e, c)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func templateRefs(v any) []string {
	var refs []string
	eachString(v, func(s string) {
		for _, m := range templatePattern.FindAllStringSubmatch(s, -1) {
			refs = append(refs, m[1])
		}
	})
	sort.Strings(refs)
	return refs
}

// unsupportedTemplates lists the strings of v that still hold a template
// marker ({{ or {%) once their placeholders are taken out: a filter
// ({{ params.x | upper }}), an expression ({{ macros.ds_add(ds, 1) }}), a
// block ({% if %}) or an unclosed {{. Jinja would render or refuse them;
// left alone they would reach the function as literal text.
func unsupportedTemplates(v any) []string {
	var out []string
	eachString(v, func(s string) {
		rest := templatePattern.ReplaceAllString(s, "")
		if strings.Contains(rest, "{{") || strings.Contains(rest, "{%") {
			out = append(out, s)
		}
	})
	sort.Strings(out)
	return out
}

// eachString calls f with every string of a decoded JSON/YAML value.
func eachString(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case map[string]any:
		for _, e := range x {
			eachString(e, f)
		}
	case []any:
		for _, e := range x {
			eachString(e, f)
		}
	}
}

func checkTemplateRef(s *Spec, ref string) error {
	if name, ok := strings.CutPrefix(ref, "params."); ok {
		if _, ok := s.Params.Get(name); !ok {
			return fmt.Errorf("{{ %s }}: unknown param %q", ref, name)
		}
		return nil
	}
	for _, v := range templateVars {
		if ref == v {
			return nil
		}
	}
	return fmt.Errorf("{{ %s }}: unknown placeholder (use params.<name> or one of %s)", ref, strings.Join(templateVars, ", "))
}

func sortStrings(s []string) { sort.Strings(s) }

// isoformat writes a time as Airflow renders {{ ts }} and its dates
// (Python's isoformat in UTC): 2025-08-01T00:00:00+00:00, with
// microseconds only when there are some (a manual run's).
func isoformat(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000") + "+00:00"
	}
	return t.Format("2006-01-02T15:04:05") + "+00:00"
}
