package web

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/lvao/dataplatform/shared/dag"
)

func TestParseConfTypesEachInput(t *testing.T) {
	t.Parallel()
	spec := &dag.Spec{DagID: "d", Params: dag.Params{
		{Name: "s", Type: "string", Default: "x"},
		{Name: "req", Type: "string"},
		{Name: "i", Type: "integer", Default: int64(1)},
		{Name: "n", Type: "number", Default: 1.5},
		{Name: "b", Type: "boolean", Default: true},
		{Name: "e", Type: "integer", Default: int64(2), Enum: []any{int64(1), int64(2)}},
		{Name: "o", Type: "object", Default: map[string]any{}},
	}}
	form := url.Values{"param.s": {""}, "param.req": {"given"}, "param.i": {" 42 "}, "param.n": {"2.25"},
		"param.e": {"1"}, "param.o": {`{"k": [1, "two"]}`}}
	conf, problems := parseConf(spec, form)
	// Compared as JSON: a JSON input's numbers are json.Number (every
	// digit kept), or int64 once checked.
	want := `{"b":false,"e":1,"i":42,"n":2.25,"o":{"k":[1,"two"]},"req":"given","s":""}`
	if got, _ := json.Marshal(conf); problems != nil || string(got) != want {
		t.Fatalf("conf %#v problems %v", conf, problems)
	}
	cases := []struct {
		field, value, param, words string
	}{
		{"param.i", "4.5", "i", "expected an integer"},
		{"param.n", "NaN", "n", "expected a number"},
		{"param.o", "{", "o", "not valid JSON"},
		{"param.o", "[1]", "o", "expected object"},
		{"param.o", `{"a": 1} {"b": 2}`, "o", "not valid JSON"},
		{"param.e", "3", "e", "not one of the allowed values"},
		{"param.req", "", "req", "required"},
	}
	for _, c := range cases {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set(c.field, c.value)
		if _, problems := parseConf(spec, f); !strings.Contains(problems[c.param], c.words) {
			t.Errorf("%s=%q: problems %v, want %q on %s", c.field, c.value, problems, c.words, c.param)
		}
	}
	fields := paramFields(spec, nil)
	if fields[4].Input != "checkbox" || !fields[4].Checked || fields[5].Input != "select" || fields[5].Options[1].Selected != true ||
		fields[6].Value != "{}" || !fields[1].Required || fields[2].Value != "1" {
		t.Fatalf("fields %+v", fields)
	}
}

// A long wrong value is cut on a character, not inside one: the message
// shows "é…", not "\xc3…".
func TestParseConfClipsLongValuesOnACharacter(t *testing.T) {
	t.Parallel()
	spec := &dag.Spec{DagID: "d", Params: dag.Params{{Name: "i", Type: "integer", Default: int64(1)}}}
	_, problems := parseConf(spec, url.Values{"param.i": {"x" + strings.Repeat("é", 40)}})
	if p := problems["i"]; !strings.Contains(p, `got "x`+strings.Repeat("é", 19)+`…"`) || strings.Contains(p, `\x`) {
		t.Fatalf("problem %q", p)
	}
}

// JSON shown in the form is as the DAG wrote it: "&", "<" and ">" are not
// turned into \u0026, \u003c and \u003e (an object default holding a URL
// with a query string was unreadable, and an edited value kept the escapes).
func TestParamFieldsShowJSONUnescaped(t *testing.T) {
	t.Parallel()
	spec := &dag.Spec{DagID: "d", Params: dag.Params{
		{Name: "o", Type: "object", Default: map[string]any{"url": "https://x.test/?a=1&b=2", "tag": "<b>"}},
		{Name: "a", Type: "array", Default: []any{"x > y"}},
		{Name: "e", Type: "array", Default: []any{"<a>"}, Enum: []any{[]any{"<a>"}, []any{"&"}}},
	}}
	fields := paramFields(spec, nil)
	for _, f := range fields {
		for _, s := range append([]string{f.Value}, optionTexts(f)...) {
			if strings.Contains(s, `\u00`) {
				t.Errorf("field %s shows %q", f.Name, s)
			}
		}
	}
	if !strings.Contains(fields[0].Value, `"https://x.test/?a=1&b=2"`) || !strings.Contains(fields[0].Value, `"<b>"`) {
		t.Fatalf("object default shown as %q", fields[0].Value)
	}
	if !fields[2].Options[0].Selected || fields[2].Options[1].Label != `["&"]` {
		t.Fatalf("enum options %+v", fields[2].Options)
	}
	// The form's value goes back as the same conf.
	conf, problems := parseConf(spec, url.Values{"param.o": {fields[0].Value}, "param.a": {fields[1].Value},
		"param.e": {fields[2].Options[1].Value}})
	if problems != nil || conf["o"].(map[string]any)["url"] != "https://x.test/?a=1&b=2" || conf["e"].([]any)[0] != "&" {
		t.Fatalf("conf %v problems %v", conf, problems)
	}
}

func optionTexts(f paramField) []string {
	var out []string
	for _, o := range f.Options {
		out = append(out, o.Value, o.Label)
	}
	return out
}

// Every invalid param is named at once: an unreadable input no longer
// hides the others' problems, and keeps its own problem only.
func TestParseConfNamesEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	spec := &dag.Spec{DagID: "d", Params: dag.Params{
		{Name: "i", Type: "integer"},
		{Name: "o", Type: "object", Default: map[string]any{}},
		{Name: "req", Type: "string"},
	}}
	_, problems := parseConf(spec, url.Values{"param.i": {"x"}, "param.o": {"[1]"}})
	if len(problems) != 3 || !strings.HasPrefix(problems["i"], "expected an integer") || strings.Contains(problems["i"], "required") ||
		!strings.Contains(problems["o"], "expected object") || !strings.Contains(problems["req"], "required") {
		t.Fatalf("problems %q", problems)
	}
}

// A JSON input keeps an integer's every digit (it was decoded as float64:
// [9007199254740993] became [9007199254740992]).
func TestParseConfKeepsIntegerDigits(t *testing.T) {
	t.Parallel()
	spec := &dag.Spec{DagID: "d", Params: dag.Params{{Name: "ids", Type: "array", Default: []any{}}}}
	conf, problems := parseConf(spec, url.Values{"param.ids": {"[9007199254740993]"}})
	b, _ := json.Marshal(conf)
	if problems != nil || string(b) != `{"ids":[9007199254740993]}` {
		t.Fatalf("conf %s problems %v", b, problems)
	}
}
