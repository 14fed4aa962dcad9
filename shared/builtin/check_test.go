package builtin

import (
	"strings"
	"testing"
)

func TestArgChecks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		check func(map[string]any) []string
		args  map[string]any
		want  []string // substrings, one per problem; nil: none
	}{
		{"http ok", CheckHTTPArgs, map[string]any{"url": "https://x", "timeout": "10s", "expect_status": []any{200, 204}}, nil},
		{"http from a JSON file", CheckHTTPArgs, map[string]any{"url": "https://x", "expect_status": []any{float64(200)}}, nil},
		{"http templated", CheckHTTPArgs, map[string]any{"url": "{{ params.endpoint }}", "timeout": "{{ params.t }}"}, nil},
		{"http no url", CheckHTTPArgs, map[string]any{"method": "POST"}, []string{"url: required"}},
		{"http empty url", CheckHTTPArgs, map[string]any{"url": ""}, []string{"url: required"}},
		{"http url not a string", CheckHTTPArgs, map[string]any{"url": 3}, []string{"url: a string"}},
		{"http bad timeout", CheckHTTPArgs, map[string]any{"url": "u", "timeout": "1 hour"}, []string{`timeout: "1 hour" is not a positive Go duration`}},
		{"http zero timeout", CheckHTTPArgs, map[string]any{"url": "u", "timeout": "0s"}, []string{"timeout:"}},
		{"http timeout a number", CheckHTTPArgs, map[string]any{"url": "u", "timeout": 30}, []string{"timeout: a Go duration"}},
		{"http bad statuses", CheckHTTPArgs, map[string]any{"url": "u", "expect_status": []any{200, "ok", 42}},
			[]string{"expect_status: ok is not", "expect_status: 42 is not"}},
		{"http statuses not a list", CheckHTTPArgs, map[string]any{"url": "u", "expect_status": 200}, []string{"expect_status: a list"}},
		{"http headers", CheckHTTPArgs, map[string]any{"url": "u", "headers": []any{"a"}}, []string{"headers: a mapping"}},
		{"trigger ok", CheckTriggerDagArgs, map[string]any{"dag_id": "x", "conf": map[string]any{"a": 1}, "skip_if_queued": true}, nil},
		{"trigger no dag", CheckTriggerDagArgs, map[string]any{}, []string{"dag_id: required"}},
		{"trigger bad conf and flag", CheckTriggerDagArgs, map[string]any{"dag_id": "x", "conf": "a=1", "skip_if_queued": "yes"},
			[]string{"conf: a mapping", "skip_if_queued: true or false"}},
	}
	for _, c := range cases {
		got := c.check(c.args)
		if len(got) != len(c.want) {
			t.Errorf("%s: problems %q, want %d", c.name, got, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: problem %q, want it to contain %q", c.name, got[i], w)
			}
		}
	}
}
