package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lvao/dataplatform/shared/dag"
)

// paramField is one input of the trigger form, typed after the DAG's param.
type paramField struct {
	Name        string
	Type        string
	Description string
	// Input is "text", "integer", "number", "checkbox", "select" or "json".
	Input    string
	Value    string
	Checked  bool
	Options  []paramOption
	Required bool
	Error    string
}

type paramOption struct {
	Value, Label string
	Selected     bool
}

// fieldName is the form name of a param (apart from csrf and the like).
func fieldName(param string) string { return "param." + param }

func inputOf(p dag.Param) string {
	if len(p.Enum) > 0 {
		return "select"
	}
	switch p.Type {
	case "string":
		return "text"
	case "integer", "number":
		return p.Type
	case "boolean":
		return "checkbox"
	}
	return "json"
}

// paramFields builds the form from the params' defaults, or from a
// submitted form (shown again with its errors).
func paramFields(spec *dag.Spec, submitted url.Values) []paramField {
	out := make([]paramField, 0, len(spec.Params))
	for _, p := range spec.Params {
		f := paramField{Name: p.Name, Type: p.Type, Description: p.Description, Input: inputOf(p), Required: p.Default == nil}
		if f.Type == "" {
			f.Type = "any JSON"
		}
		if submitted != nil {
			f.Value = submitted.Get(fieldName(p.Name))
			f.Checked = submitted.Has(fieldName(p.Name))
		} else {
			f.Value = defaultText(p)
			f.Checked = p.Default == true
		}
		for _, e := range p.Enum {
			b := jsonText(e, "")
			label := b
			if s, ok := e.(string); ok {
				label = s
			}
			f.Options = append(f.Options, paramOption{Value: b, Label: label, Selected: b == f.Value})
		}
		out = append(out, f)
	}
	return out
}

// defaultText is a param's default as its input shows it.
func defaultText(p dag.Param) string {
	if p.Default == nil {
		return ""
	}
	switch inputOf(p) {
	case "text":
		if s, ok := p.Default.(string); ok {
			return s
		}
	case "json":
		return jsonText(p.Default, "  ")
	}
	return jsonText(p.Default, "")
}

// jsonText is v as JSON for a person to read and edit: without
// json.Marshal's HTML escaping ("&" stays "&", not \u0026; the template
// escapes what the page needs), indented by indent when not "".
func jsonText(v any, indent string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if enc.Encode(v) != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// parseConf reads the submitted form into a conf and checks it with the
// DAG's own rules (dag.Spec.ResolveParams, as the coordinator will).
// problems is keyed by param name; "" holds those of no single param.
func parseConf(spec *dag.Spec, form url.Values) (map[string]any, map[string]string) {
	conf := map[string]any{}
	problems := map[string]string{}
	for _, p := range spec.Params {
		raw := form.Get(fieldName(p.Name))
		v, set, err := parseValue(p, raw, form.Has(fieldName(p.Name)))
		if err != nil {
			problems[p.Name] = err.Error()
			continue
		}
		if set {
			conf[p.Name] = v
		}
	}
	// The DAG's rules check the values that could be read, so one bad
	// submission names every invalid param at once; a param whose input
	// could not be read keeps that problem only (not "required" too).
	if _, err := spec.ResolveParams(conf); err != nil {
		var ce *dag.ConfError
		if !errors.As(err, &ce) {
			if len(problems) == 0 {
				problems[""] = err.Error()
			}
			return nil, problems
		}
		more := map[string]string{}
		addProblems(more, ce.Problems)
		for name, msg := range more {
			if _, unreadable := problems[name]; !unreadable || name == "" {
				problems[name] = msg
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return conf, nil
}

// parseValue types one input; set is false when the input was left empty
// (the param's default then applies).
func parseValue(p dag.Param, raw string, present bool) (any, bool, error) {
	trimmed := strings.TrimSpace(raw)
	switch inputOf(p) {
	case "checkbox":
		return present, true, nil
	case "text":
		if raw == "" && p.Default == nil {
			return nil, false, nil
		}
		return raw, true, nil
	case "integer":
		if trimmed == "" {
			return nil, false, nil
		}
		n, err := strconv.ParseInt(trimmed, 10, 64)
		if err != nil {
			return nil, false, fmt.Errorf("expected an integer, got %q", clip(trimmed))
		}
		return n, true, nil
	case "number":
		if trimmed == "" {
			return nil, false, nil
		}
		f, err := strconv.ParseFloat(trimmed, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, false, fmt.Errorf("expected a number, got %q", clip(trimmed))
		}
		return f, true, nil
	}
	// select (enum values are JSON) and json inputs.
	if trimmed == "" {
		return nil, false, nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.UseNumber() // an integer keeps every digit (float64 rounds past 2^53)
	if err := dec.Decode(&v); err != nil {
		return nil, false, fmt.Errorf("not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false, fmt.Errorf("not valid JSON: data after the value")
	}
	return v, true, nil
}

// addProblems files "conf.<name>: message" problems under their param.
func addProblems(into map[string]string, list []string) {
	for _, pr := range list {
		name, msg, ok := strings.Cut(strings.TrimPrefix(pr, "conf."), ": ")
		if !ok || !strings.HasPrefix(pr, "conf.") {
			name, msg = "", pr
		}
		if into[name] != "" {
			msg = into[name] + "; " + msg
		}
		into[name] = msg
	}
}

func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut-- // never split a character (%q would show its bytes as \xNN)
	}
	return s[:cut] + "…"
}
