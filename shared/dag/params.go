package dag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Param is a typed DAG parameter with its default; a run's conf overrides it.
type Param struct {
	Name        string `json:"-"`
	Type        string `json:"type"`
	Default     any    `json:"default"`
	Description string `json:"description,omitempty"`
	Enum        []any  `json:"enum,omitempty"`
}

// ParamTypes are the accepted param types (JSON Schema names, as Airflow's Param).
var ParamTypes = []string{"string", "integer", "number", "boolean", "array", "object"}

// Params keeps the declaration order (forms show them in that order).
type Params []Param

// Get returns the param named name.
func (ps Params) Get(name string) (Param, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// UnmarshalYAML reads a mapping name → {type, default, description, enum}
// or name → plain default value (type inferred).
func (ps *Params) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: params must be a mapping of name to {type, default}", n.Line)}}
	}
	seen := map[string]int{}
	// Problems are collected (a *yaml.TypeError): decoding goes on and
	// the file's other problems are reported with them.
	var problems []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, val := n.Content[i].Value, n.Content[i+1]
		if first, dup := seen[name]; dup {
			// A mapping's keys are unique (YAML); the second one would
			// otherwise be a second field of the form, shadowed in runs.
			problems = append(problems, fmt.Sprintf("line %d: param %s declared twice (first at line %d)", n.Content[i].Line, name, first))
			continue
		}
		seen[name] = n.Content[i].Line
		p := Param{Name: name}
		// {description, enum} without type nor default declares a param
		// too (one that needs a type): it is not an object default.
		if val.Kind == yaml.MappingNode && (hasKey(val, "type", "default") || onlyKeys(val, "description", "enum")) {
			var raw struct {
				Type        string `yaml:"type"`
				Default     any    `yaml:"default"`
				Description string `yaml:"description"`
				Enum        []any  `yaml:"enum"`
			}
			bad := false
			for j := 0; j+1 < len(val.Content); j += 2 {
				if k := val.Content[j]; !hasName([]string{"type", "default", "description", "enum"}, k.Value) {
					problems = append(problems, fmt.Sprintf("line %d: param %s: unknown field %q (expected type, default, description, enum)", k.Line, name, k.Value))
					bad = true
				}
			}
			if err := val.Decode(&raw); err != nil {
				problems = append(problems, decodeProblems(err)...)
				bad = true
			}
			if bad {
				continue
			}
			p.Type, p.Default, p.Description, p.Enum = raw.Type, normalize(raw.Default), raw.Description, raw.Enum
			if p.Type == "" && p.Default != nil {
				p.Type = typeOf(p.Default)
			}
		} else {
			var v any
			if err := val.Decode(&v); err != nil {
				problems = append(problems, decodeProblems(err)...)
				continue
			}
			p.Default = normalize(v)
			p.Type = typeOf(p.Default)
		}
		*ps = append(*ps, p)
	}
	if len(problems) > 0 {
		return &yaml.TypeError{Errors: problems}
	}
	return nil
}

// decodeProblems are the messages of a decoding error, one per problem.
func decodeProblems(err error) []string {
	var terr *yaml.TypeError
	if errors.As(err, &terr) {
		return terr.Errors
	}
	return []string{err.Error()}
}

// MarshalJSON writes an object in declaration order.
func (ps Params) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.Name)
		v, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads what MarshalJSON wrote (order kept).
func (ps *Params) UnmarshalJSON(data []byte) error {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return err
	}
	if len(n.Content) == 0 {
		return nil
	}
	return ps.UnmarshalYAML(n.Content[0])
}

func hasKey(n *yaml.Node, names ...string) bool {
	for _, k := range keys(n) {
		for _, name := range names {
			if k == name {
				return true
			}
		}
	}
	return false
}

// onlyKeys tells whether n has keys, all of them among names.
func onlyKeys(n *yaml.Node, names ...string) bool {
	ks := keys(n)
	for _, k := range ks {
		if !hasName(names, k) {
			return false
		}
	}
	return len(ks) > 0
}

func hasName(names []string, k string) bool {
	for _, n := range names {
		if n == k {
			return true
		}
	}
	return false
}

func keys(n *yaml.Node) []string {
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i].Value)
	}
	return out
}

// normalize turns YAML-decoded values into their JSON shape
// (map[string]any, []any, float64 or int64 numbers).
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case uint64:
		return int64(x)
	case json.Number:
		// A conf decoded with UseNumber: an integer keeps every digit
		// (float64 rounds past 2^53), 1.0 and 1e2 are integers as in JSON
		// Schema, other numbers are float64.
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, err := x.Float64()
		if err != nil {
			return x
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f)
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := map[string]any{}
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}

func typeOf(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case int64, int:
		return "integer"
	case float64:
		if x == math.Trunc(x) {
			return "number"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return ""
}

// CheckValue reports whether v (as decoded from JSON or YAML) has type typ.
func CheckValue(typ string, v any) error {
	ok := false
	switch typ {
	case "string":
		_, ok = v.(string)
	case "boolean":
		_, ok = v.(bool)
	case "integer":
		switch x := v.(type) {
		case int, int64:
			ok = true
		case float64:
			ok = x == math.Trunc(x) && !math.IsInf(x, 0)
		case json.Number:
			_, err := x.Int64()
			ok = err == nil
		}
	case "number":
		switch v.(type) {
		case int, int64, float64, json.Number:
			ok = true
		}
	case "array":
		_, ok = v.([]any)
	case "object":
		_, ok = v.(map[string]any)
	case "":
		ok = true
	}
	if !ok {
		return fmt.Errorf("expected %s, got %s", typ, describe(v))
	}
	return nil
}

func describe(v any) string {
	if v == nil {
		return "null"
	}
	t := typeOf(normalize(v))
	if t == "" {
		return fmt.Sprintf("%T", v)
	}
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return t + " " + s
}

// ConfError is a run conf that does not match the DAG's params.
type ConfError struct {
	DagID    string
	Problems []string
}

func (e *ConfError) Error() string {
	return fmt.Sprintf("invalid conf for DAG %s: %s", e.DagID, strings.Join(e.Problems, "; "))
}

// ResolveParams merges the run's conf over the params' defaults and checks
// it: an unknown key, a wrong type, a value outside enum or a param with no
// default missing from conf is a *ConfError.
func (s *Spec) ResolveParams(conf map[string]any) (map[string]any, error) {
	out := map[string]any{}
	var problems []string
	for k := range conf {
		if _, ok := s.Params.Get(k); !ok {
			problems = append(problems, fmt.Sprintf("conf.%s: unknown param (known: %s)", k, strings.Join(s.paramNames(), ", ")))
		}
	}
	for _, p := range s.Params {
		v, given := conf[p.Name]
		if !given {
			v = p.Default
		} else {
			v = normalize(v)
		}
		if v == nil && !given {
			problems = append(problems, fmt.Sprintf("conf.%s: required (the param has no default)", p.Name))
			continue
		}
		// A null in conf is a value like another: it must have the
		// param's type (a null for a required param passed unchecked).
		if err := CheckValue(p.Type, v); err != nil {
			problems = append(problems, fmt.Sprintf("conf.%s: %v", p.Name, err))
			continue
		}
		if len(p.Enum) > 0 && !inEnum(p.Enum, v) {
			problems = append(problems, fmt.Sprintf("conf.%s: %s is not one of the allowed values", p.Name, describe(v)))
			continue
		}
		out[p.Name] = v
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, &ConfError{DagID: s.DagID, Problems: problems}
	}
	return out, nil
}

func (s *Spec) paramNames() []string {
	if len(s.Params) == 0 {
		return []string{"none"}
	}
	var out []string
	for _, p := range s.Params {
		out = append(out, p.Name)
	}
	return out
}

func inEnum(enum []any, v any) bool {
	vb, _ := json.Marshal(normalize(v))
	for _, e := range enum {
		eb, _ := json.Marshal(normalize(e))
		if bytes.Equal(vb, eb) {
			return true
		}
	}
	return false
}
