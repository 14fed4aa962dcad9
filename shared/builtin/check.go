package builtin

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The checks below run at `dag validate` (and whenever DAGs load) on a
// built-in's args as written in the DAG file, so that a missing url or a
// bad timeout is reported with the file, DAG and task instead of failing
// the task at run time. A value holding a {{ template }} is only known at
// run time and is not checked.

// ArgChecks are the built-ins' checks, by function name.
func ArgChecks() map[string]func(args map[string]any) []string {
	return map[string]func(args map[string]any) []string{
		"http":        CheckHTTPArgs,
		"trigger-dag": CheckTriggerDagArgs,
	}
}

// CheckHTTPArgs checks the http built-in's args.
func CheckHTTPArgs(args map[string]any) []string {
	var out []string
	out = append(out, requiredString(args, "url")...)
	out = append(out, optionalString(args, "method")...)
	if v, ok := args["timeout"]; ok && !templated(v) {
		s, isString := v.(string)
		if !isString {
			out = append(out, fmt.Sprintf("timeout: a Go duration such as \"30s\", got %v", v))
		} else if d, err := time.ParseDuration(s); err != nil || d <= 0 {
			out = append(out, fmt.Sprintf("timeout: %q is not a positive Go duration (\"30s\", \"2m\")", s))
		}
	}
	if v, ok := args["expect_status"]; ok && !templated(v) {
		list, isList := v.([]any)
		if !isList {
			out = append(out, fmt.Sprintf("expect_status: a list of HTTP statuses such as [200, 201], got %v", v))
		}
		for _, e := range list {
			if n, isInt := whole(e); (!isInt || n < 100 || n > 599) && !templated(e) {
				out = append(out, fmt.Sprintf("expect_status: %v is not an HTTP status (100 to 599)", e))
			}
		}
	}
	if v, ok := args["headers"]; ok && !templated(v) {
		m, isMap := v.(map[string]any)
		if !isMap {
			out = append(out, fmt.Sprintf("headers: a mapping of header names to values, got %v", v))
		}
		for _, k := range sortedKeys(m) {
			switch e := m[k]; e.(type) {
			case string, bool, int, int64, float64:
			default:
				out = append(out, fmt.Sprintf("headers: %s: a string, number or boolean, got %v", k, e))
			}
		}
	}
	return out
}

// CheckTriggerDagArgs checks the trigger-dag built-in's args.
func CheckTriggerDagArgs(args map[string]any) []string {
	out := requiredString(args, "dag_id")
	if v, ok := args["conf"]; ok && !templated(v) {
		if _, isMap := v.(map[string]any); !isMap {
			out = append(out, fmt.Sprintf("conf: a mapping of the target DAG's params, got %v", v))
		}
	}
	if v, ok := args["skip_if_queued"]; ok && !templated(v) {
		if _, isBool := v.(bool); !isBool {
			out = append(out, fmt.Sprintf("skip_if_queued: true or false, got %v", v))
		}
	}
	return out
}

func requiredString(args map[string]any, name string) []string {
	v, ok := args[name]
	if !ok || v == nil || v == "" {
		return []string{name + ": required"}
	}
	return optionalString(args, name)
}

func optionalString(args map[string]any, name string) []string {
	if v, ok := args[name]; ok && v != nil {
		if _, isString := v.(string); !isString {
			return []string{fmt.Sprintf("%s: a string, got %v", name, v)}
		}
	}
	return nil
}

// whole is a YAML or JSON number without a fraction (JSON files decode
// numbers as float64).
func whole(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), n == float64(int(n))
	}
	return 0, false
}

// templated reports a value holding a {{ template }} (a string, or a
// list or mapping holding one): known at run time only.
func templated(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, "{{")
	case []any:
		for _, e := range x {
			if templated(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if templated(e) {
				return true
			}
		}
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
