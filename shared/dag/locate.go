package dag

import (
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// A decoding problem's message names only a line ("line 5: cannot
// unmarshal !!str `b` into []string"); locate finds the task and the field
// it is about, so the message names them as validation messages do.

// spot is one key of a DAG file: where it is and what it is.
type spot struct {
	lines []int // the key's line, and its value's when different
	task  string
	field string // e.g. "depends_on", "default_args.retry_delay", "params.n"
	key   string // the key itself
	value string // a scalar value, as written
}

// spots lists every key of the file that a decoding problem may be about:
// the DAG's keys, default_args', each param's and each task's.
func spots(data []byte) []spot {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var out []spot
	each := func(m *yaml.Node, task, prefix string) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			s := spot{lines: []int{k.Line}, task: task, field: prefix + k.Value, key: k.Value}
			if v.Line != k.Line {
				s.lines = append(s.lines, v.Line)
			}
			if v.Kind == yaml.ScalarNode {
				s.value = v.Value
			}
			out = append(out, s)
		}
	}
	root := doc.Content[0]
	each(root, "", "")
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i].Value, root.Content[i+1]
		switch {
		case k == "default_args" && v.Kind == yaml.MappingNode:
			each(v, "", "default_args.")
		case k == "params" && v.Kind == yaml.MappingNode:
			each(v, "", "params.")
			for j := 0; j+1 < len(v.Content); j += 2 {
				if p := v.Content[j+1]; p.Kind == yaml.MappingNode {
					each(p, "", "params."+v.Content[j].Value+".")
				}
			}
		case k == "tasks" && v.Kind == yaml.SequenceNode:
			for n, t := range v.Content {
				if t.Kind != yaml.MappingNode {
					continue
				}
				name := fmt.Sprintf("#%d", n+1)
				for j := 0; j+1 < len(t.Content); j += 2 {
					if t.Content[j].Value == "id" && t.Content[j+1].Value != "" {
						name = t.Content[j+1].Value
					}
				}
				each(t, name, "")
			}
		}
	}
	return out
}

var (
	lineRe     = regexp.MustCompile(`^line (\d+): `)
	unknownRe  = regexp.MustCompile(`field (\S+) not found in type`)
	intoRe     = regexp.MustCompile(`into (.+)$`)
	durationRe = regexp.MustCompile(`^line \d+: "(.*)" is (not a duration|negative)`)
)

// goTypeOf is the Go type a key decodes into, as yaml's messages name it.
var goTypeOf = map[string]string{
	"depends_on": "[]string", "tags": "[]string", "args": "map[string]interface {}",
	"retries": "int", "max_active_runs": "int", "tasks": "[]dag.Task",
	"catchup": "bool", "paused": "bool", "retry_exponential_backoff": "bool",
	"start_date": "time.Time", "default_args": "dag.TaskArgs",
	"dag_id": "string", "description": "string", "schedule": "string",
	"id": "string", "function": "string", "trigger_rule": "string",
	"type": "string", "enum": "[]interface {}", // a param's
}

// locate returns the task and field a decoding message is about, or
// empty strings when the line holds no key or several that fit.
func locate(all []spot, msg string) (task, field string) {
	m := lineRe.FindStringSubmatch(msg)
	if m == nil {
		return "", ""
	}
	line, _ := strconv.Atoi(m[1])
	fits := func(s spot) bool {
		if u := unknownRe.FindStringSubmatch(msg); u != nil {
			return s.key == u[1]
		}
		if d := durationRe.FindStringSubmatch(msg); d != nil {
			return s.value == d[1]
		}
		if in := intoRe.FindStringSubmatch(msg); in != nil {
			if t, ok := goTypeOf[s.key]; ok {
				return t == in[1]
			}
			return false
		}
		return true
	}
	var on, fit []spot
	for _, s := range all {
		for _, l := range s.lines {
			if l == line {
				on = append(on, s)
				if fits(s) {
					fit = append(fit, s)
				}
				break
			}
		}
	}
	switch {
	case len(fit) == 1:
		return fit[0].task, fit[0].field
	case len(on) == 1:
		return on[0].task, on[0].field
	}
	return "", ""
}

// goTypeWords names Go types in the author's words.
var goTypeWords = map[string]string{
	"[]string":                "a list of strings",
	"map[string]interface {}": "a mapping",
	"[]interface {}":          "a list",
	"[]dag.Task":              "a list of tasks",
	"dag.Spec":                "a DAG (a mapping with dag_id and tasks)",
	"dag.Task":                "a task (a mapping with id and function)",
	"dag.TaskArgs":            "default_args (a mapping)",
	"time.Time":               "a date-time (2025-08-01T00:00:00Z)",
	"bool":                    "true or false",
	"int":                     "an integer",
}

// inWords rewrites the Go type a yaml message ends with.
func inWords(msg string) string {
	if m := intoRe.FindStringSubmatchIndex(msg); m != nil {
		if w, ok := goTypeWords[msg[m[2]:m[3]]]; ok {
			return msg[:m[2]] + w
		}
	}
	return msg
}
