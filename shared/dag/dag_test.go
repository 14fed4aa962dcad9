package dag

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

var fns = ValidateOptions{Functions: map[string]bool{"noop": true, "http": true}}

func load(t *testing.T, files map[string]string) error {
	t.Helper()
	fs := fstest.MapFS{}
	for n, c := range files {
		fs[n] = &fstest.MapFile{Data: []byte(c)}
	}
	_, err := Load(fns, Source{FS: fs, Dir: ".", Name: "dags"})
	return err
}

func TestBadDagFilesGivePreciseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml, want string
	}{
		{"cycle", "dag_id: c\ntasks:\n - {id: a, function: noop, depends_on: [c]}\n - {id: b, function: noop, depends_on: [a]}\n - {id: c, function: noop, depends_on: [b]}\n",
			"dags/x.yaml: dag c: task a: depends_on: cycle: a -> b -> c -> a"},
		{"unknown function", "dag_id: u\ntasks: [{id: a, function: nope}]\n",
			`dags/x.yaml: dag u: task a: function: unknown function "nope" (declared: http, noop)`},
		{"bad cron", "dag_id: b\nschedule: \"61 * * * *\"\nstart_date: 2025-01-01T00:00:00Z\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag b: schedule: "61 * * * *": not a valid cron expression`},
		{"star step", "dag_id: b\nschedule: \"*/10 * * * *\"\nstart_date: 2025-01-01T00:00:00Z\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag b: schedule: "*/10 * * * *": minute field "*/10": the serverless plugin rejects */n steps, write 0/10`},
		{"star step in day-of-month", "dag_id: b\nschedule: \"0 0 */2 * *\"\nstart_date: 2025-01-01T00:00:00Z\ntasks: [{id: a, function: noop}]\n",
			`day-of-month field "*/2": the serverless plugin rejects */n steps, write 1/2`},
		{"star step in month", "dag_id: b\nschedule: \"0 0 1 */3 *\"\nstart_date: 2025-01-01T00:00:00Z\ntasks: [{id: a, function: noop}]\n",
			`month field "*/3": the serverless plugin rejects */n steps, write 1/3`},
		{"Airflow preset", "dag_id: b\nschedule: \"@daily\"\nstart_date: 2025-01-01T00:00:00Z\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag b: schedule: "@daily": presets (Airflow's @daily…) are not accepted, a cron needs 5 fields (minute hour day-of-month month day-of-week, UTC): write "0 0 * * *"`},
		{"day name", "dag_id: b\nschedule: \"0 1 * * MON\"\nstart_date: 2025-01-01T00:00:00Z\ntasks: [{id: a, function: noop}]\n",
			`day-of-week field "MON": only digits`},
		{"never fires", "dag_id: b\nschedule: \"0 0 31 2 *\"\nstart_date: 2025-01-01T00:00:00Z\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag b: schedule: "0 0 31 2 *": never fires`},
		{"never fires in April", "dag_id: b\nschedule: \"0 0 31 4 *\"\nstart_date: 2025-01-01T00:00:00Z\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag b: schedule: "0 0 31 4 *": never fires`},
		{"four fields", "dag_id: b\nschedule: \"0 1 * *\"\nstart_date: 2025-01-01T00:00:00Z\ntasks: [{id: a, function: noop}]\n",
			`cron needs 5 fields`},
		{"schedule without start", "dag_id: b\nschedule: \"0 1 * * *\"\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag b: start_date: required when a schedule is set`},
		{"unknown trigger rule", "dag_id: t\ntasks:\n - {id: a, function: noop}\n - {id: b, function: noop, depends_on: [a], trigger_rule: all_good}\n",
			`dags/x.yaml: dag t: task b: trigger_rule: unknown trigger rule "all_good"`},
		{"duplicate task id", "dag_id: d\ntasks:\n - {id: a, function: noop}\n - {id: a, function: noop}\n",
			`dags/x.yaml: dag d: task a: id: duplicate task id`},
		{"bad duration", "dag_id: d\ndefault_args: {retry_delay: 5 minutes}\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag d: default_args.retry_delay: line 2: "5 minutes" is not a duration`},
		{"unknown upstream", "dag_id: d\ntasks: [{id: a, function: noop, depends_on: [zz]}]\n",
			`dags/x.yaml: dag d: task a: depends_on: unknown task "zz"`},
		{"unknown field", "dag_id: d\ntasks: [{id: a, function: noop, depends_om: [zz]}]\n",
			`field depends_om not found`},
		{"bad dag id", "dag_id: Bad ID\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag Bad ID: dag_id: "Bad ID" must match [a-z0-9_-]+`},
		{"param default type", "dag_id: p\nparams: {n: {type: integer, default: x}}\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag p: params.n.default: does not match type: expected integer, got string "x"`},
		{"param default outside enum", "dag_id: p\nparams: {e: {type: string, enum: [x, y], default: z}}\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag p: params.e.default: string "z" is not one of the enum values`},
		{"unknown param in args", "dag_id: p\ntasks: [{id: a, function: noop, args: {u: \"{{ params.url }}\"}}]\n",
			`dags/x.yaml: dag p: task a: args: {{ params.url }}: unknown param "url"`},
		{"two documents", "dag_id: p\ntasks: [{id: a, function: noop}]\n---\ndag_id: q\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag p: line 4: a second YAML document; a file holds one DAG`},
		{"dag id too long", "dag_id: " + strings.Repeat("d", 251) + "\ntasks: [{id: a, function: noop}]\n",
			`: dag_id: 251 characters, at most 250`},
		{"task id too long", "dag_id: p\ntasks: [{id: " + strings.Repeat("t", 300) + ", function: noop}]\n",
			`dags/x.yaml: dag p: task tttttttttttttttttttttttttttttttt…: id: 300 characters, at most 250`},
		{"string for a list", "dag_id: p\ntasks:\n - {id: a, function: noop}\n - {id: b, function: noop, depends_on: a, args: [1]}\n",
			"dags/x.yaml: dag p: task b: depends_on: line 4: cannot unmarshal !!str `a` into a list of strings"},
		{"list for a mapping", "dag_id: p\ntasks:\n - {id: a, function: noop}\n - {id: b, function: noop, depends_on: a, args: [1]}\n",
			"dags/x.yaml: dag p: task b: args: line 4: cannot unmarshal !!seq into a mapping"},
		{"string for an integer", "dag_id: p\ndefault_args:\n  retries: \"3\"\ntasks: [{id: a, function: noop}]\n",
			"dags/x.yaml: dag p: default_args.retries: line 3: cannot unmarshal !!str `3` into an integer"},
		{"not a mapping", "- dag_id: p\n", "dags/x.yaml: line 1: cannot unmarshal !!seq into a DAG (a mapping with dag_id and tasks)"},
		{"param declared twice", "dag_id: p\nparams:\n  a: 1\n  a: x\ntasks: [{id: a, function: noop}]\n",
			"dags/x.yaml: dag p: params.a: line 4: param a declared twice (first at line 3)"},
		{"param declared twice in JSON", `{"dag_id": "p", "params": {"a": 1, "a": "x"}, "tasks": [{"id": "a", "function": "noop"}]}`,
			"dags/x.yaml: dag p: line 1: param a declared twice (first at line 1)"},
		{"scheduled DAG with a required param", "dag_id: p\nschedule: \"0 1 * * *\"\nstart_date: 2025-01-01T00:00:00Z\nparams: {url: {type: string}}\ntasks: [{id: a, function: noop}]\n",
			"dags/x.yaml: dag p: params.url.default: required: the DAG has a schedule"},
		{"task id ..", "dag_id: p\ntasks: [{id: \"..\", function: noop}]\n",
			`dags/x.yaml: dag p: task ..: id: ".." cannot be a task id (it is a relative path in URLs)`},
		{"task id .", "dag_id: p\ntasks: [{id: \".\", function: noop}]\n",
			`dags/x.yaml: dag p: task .: id: "." cannot be a task id`},
		{"param with a description only", "dag_id: p\nparams: {url: {description: the source's URL}}\ntasks: [{id: a, function: noop}]\n",
			"dags/x.yaml: dag p: params.url.type: missing: a param without a default needs a type"},
		{"param with an enum only", "dag_id: p\nparams: {mode: {enum: [a, b]}}\ntasks: [{id: a, function: noop}]\n",
			"dags/x.yaml: dag p: params.mode.type: missing"},
		{"unknown field of a param", "dag_id: p\nparams:\n  url:\n    type: string\n    requried: true\ntasks: [{id: a, function: noop, retries: x}]\n",
			`dags/x.yaml: dag p: params.url.requried: line 5: param url: unknown field "requried" (expected type, default, description, enum)`},
		{"unknown field of a param and another problem", "dag_id: p\nparams:\n  url:\n    type: string\n    requried: true\ntasks: [{id: a, function: noop, retries: x}]\n",
			"dags/x.yaml: dag p: task a: retries: line 6: cannot unmarshal !!str `x` into an integer"},
		{"param type not a string", "dag_id: p\nparams:\n  url:\n    type: [string]\ntasks: [{id: a, function: noop}]\n",
			"dags/x.yaml: dag p: params.url.type: line 4: cannot unmarshal !!seq into string"},
		{"params not a mapping", "dag_id: p\nparams: [url]\ntasks: [{id: a, function: nope}]\n",
			"dags/x.yaml: dag p: params: line 2: params must be a mapping of name to {type, default}"},
		{"params not a mapping and another problem", "dag_id: p\nparams: [url]\ntasks: [{id: a, function: nope}]\n",
			`dags/x.yaml: dag p: task a: function: unknown function "nope"`},
		{"quoted date-only start_date", "dag_id: p\nschedule: \"0 1 * * *\"\nstart_date: \"2025-08-01\"\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag p: start_date: line 3: "2025-08-01" is not an RFC 3339 date-time such as 2025-08-01T00:00:00Z`},
		{"bad start_date in JSON", `{"dag_id": "j", "schedule": "0 1 * * *", "start_date": "yesterday", "tasks": [{"id": "a", "function": "noop"}]}`,
			`dags/x.yaml: dag j: start_date: line 1: "yesterday" is not an RFC 3339 date-time`},
		{"no tasks", "dag_id: p\n", `dags/x.yaml: dag p: tasks: at least one task is required`},
		{"missing function", "dag_id: p\ntasks: [{id: a}]\n", `dags/x.yaml: dag p: task a: function: missing (required)`},
		{"max_active_runs 0", "dag_id: p\nmax_active_runs: 0\ntasks: [{id: a, function: noop}]\n",
			`dags/x.yaml: dag p: max_active_runs: line 2: must be >= 1`},
		{"max_active_runs 0 in JSON", `{"dag_id": "p", "max_active_runs": 0, "tasks": [{"id": "a", "function": "noop"}]}`,
			`dags/x.yaml: dag p: max_active_runs: line 1: must be >= 1`},
		{"jinja filter in args", "dag_id: p\nparams: {x: {type: string, default: v}}\ntasks: [{id: a, function: noop, args: {u: \"{{ params.x | upper }}\"}}]\n",
			`dags/x.yaml: dag p: task a: args: "{{ params.x | upper }}": unsupported template`},
		{"jinja expression in args", "dag_id: p\ntasks: [{id: a, function: noop, args: {u: [\"x{{ macros.ds_add(ds, 1) }}\"]}}]\n",
			`task a: args: "x{{ macros.ds_add(ds, 1) }}": unsupported template`},
		{"unclosed placeholder in args", "dag_id: p\ntasks: [{id: a, function: noop, args: {u: \"{{ ds }}/{{ run_id\"}}]\n",
			`task a: args: "{{ ds }}/{{ run_id": unsupported template`},
		{"jinja block in args", "dag_id: p\ntasks: [{id: a, function: noop, args: {u: {v: \"{% if ds %}x{% endif %}\"}}}]\n",
			`unsupported template`},
		{"negative retries", "dag_id: p\ntasks: [{id: a, function: noop, retries: -1}]\n", `task a: retries: must be >= 0`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := load(t, map[string]string{"x.yaml": c.yaml})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestDuplicateDagIDAcrossFiles(t *testing.T) {
	t.Parallel()
	err := load(t, map[string]string{"a.yaml": "dag_id: same\ntasks: [{id: a, function: noop}]\n",
		"b.json": `{"dag_id": "same", "tasks": [{"id": "a", "function": "noop"}]}`})
	if err == nil || !strings.Contains(err.Error(), "dags/b.json: dag same: dag_id: duplicate DAG id, already defined in dags/a.yaml") {
		t.Fatalf("got %v", err)
	}
}

func TestDefaultsAndPolicy(t *testing.T) {
	t.Parallel()
	s, err := Parse("x.yaml", []byte(`
dag_id: x
default_args: {retries: 3, retry_delay: 2m, execution_timeout: 10m}
tasks:
  - {id: a, function: noop}
  - {id: b, function: noop, retries: 0, retry_exponential_backoff: true, max_retry_delay: 5m}
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.EffectiveMaxActiveRuns() != 16 || s.Catchup || s.Paused {
		t.Errorf("defaults: %+v", s)
	}
	a, b := s.Policy(s.Task("a")), s.Policy(s.Task("b"))
	if a.Retries != 3 || a.RetryDelay != 2*time.Minute || a.ExecutionTimeout != 10*time.Minute || a.MaxRetryDelay != time.Hour {
		t.Errorf("a: %+v", a)
	}
	if b.Retries != 0 || !b.RetryExponentialBackoff || b.MaxRetryDelay != 5*time.Minute {
		t.Errorf("b: %+v", b)
	}
	none, _ := Parse("y.yaml", []byte("dag_id: y\ntasks: [{id: a, function: noop}]\n"))
	if p := none.Policy(none.Task("a")); p.Retries != 0 || p.RetryDelay != 5*time.Minute || p.ExecutionTimeout != 0 {
		t.Errorf("documented defaults: %+v", p)
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	p := Policy{RetryDelay: time.Minute, RetryExponentialBackoff: true, MaxRetryDelay: 5 * time.Minute}
	for failed, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 4: 5 * time.Minute, 40: 5 * time.Minute} {
		if got := p.Delay(failed); got != want {
			t.Errorf("backoff after %d failures: %s, want %s", failed, got, want)
		}
	}
	p.RetryExponentialBackoff = false
	if got := p.Delay(4); got != time.Minute {
		t.Errorf("no backoff: %s", got)
	}
}

func TestRenderArgs(t *testing.T) {
	t.Parallel()
	args := map[string]any{"url": "{{ params.endpoint }}?day={{ ds }}", "dry": "{{ params.dry_run }}", "list": []any{"{{run_id}}"}}
	out, err := Render(args, TemplateContext{RunID: "manual__x", LogicalDate: time.Date(2025, 8, 1, 1, 0, 0, 0, time.UTC),
		Params: map[string]any{"endpoint": "https://e", "dry_run": true}})
	if err != nil {
		t.Fatal(err)
	}
	if out["url"] != "https://e?day=2025-08-01" || out["dry"] != true || out["list"].([]any)[0] != "manual__x" {
		t.Errorf("rendered %v", out)
	}
}

// Dates render as Airflow's ({{ ts }} is Python's isoformat in UTC).
func TestRenderDatesAsAirflow(t *testing.T) {
	t.Parallel()
	args := map[string]any{"ts": "{{ ts }}", "ld": "{{ logical_date }}", "s": "{{ data_interval_start }}", "e": "{{ data_interval_end }}"}
	out, err := Render(args, TemplateContext{LogicalDate: time.Date(2025, 8, 1, 1, 0, 0, 0, time.UTC),
		DataIntervalStart: time.Date(2025, 8, 1, 1, 0, 0, 0, time.UTC),
		DataIntervalEnd:   time.Date(2025, 8, 2, 1, 0, 0, 123456000, time.FixedZone("CEST", 7200))})
	if err != nil {
		t.Fatal(err)
	}
	if out["ts"] != "2025-08-01T01:00:00+00:00" || out["ld"] != out["ts"] || out["s"] != out["ts"] || out["e"] != "2025-08-01T23:00:00.123456+00:00" {
		t.Errorf("rendered %v", out)
	}
}

func TestTimetable(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
	s := &Spec{DagID: "d", Schedule: "0 1 * * *", StartDate: &start, Catchup: true}
	now := time.Date(2025, 8, 3, 12, 0, 0, 0, time.UTC)
	iv, ok, err := s.NextInterval(time.Time{}, now)
	if err != nil || !ok || !iv.Start.Equal(time.Date(2025, 8, 1, 1, 0, 0, 0, time.UTC)) || !iv.End.Equal(time.Date(2025, 8, 2, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("first catchup interval %+v %v %v", iv, ok, err)
	}
	s.Catchup = false
	iv, _, _ = s.NextInterval(time.Time{}, now)
	if !iv.Start.Equal(time.Date(2025, 8, 2, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("no-catchup interval %+v", iv)
	}
	ticks, err := s.TicksBetween(time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 8, 3, 1, 0, 0, 0, time.UTC), 10)
	if err != nil || len(ticks) != 3 {
		t.Fatalf("ticks %v %v", ticks, err)
	}
}

func TestConfValidation(t *testing.T) {
	t.Parallel()
	s, err := Parse("p.yaml", []byte(`
dag_id: p
params:
  endpoint: {type: string, default: "https://x"}
  n: 3
  tags: {type: array, default: []}
  required: {type: string, description: no default}
tasks: [{id: a, function: noop}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if errs := Validate(s, fns); len(errs) > 0 {
		t.Fatal(errs)
	}
	_, err = s.ResolveParams(map[string]any{"n": "x", "zzz": 1})
	want := []string{"conf.n: expected integer, got string \"x\"", "conf.required: required", "conf.zzz: unknown param"}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
	_, err = s.ResolveParams(map[string]any{"required": nil, "endpoint": nil})
	for _, w := range []string{"conf.required: expected string, got null", "conf.endpoint: expected string, got null"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
	got, err := s.ResolveParams(map[string]any{"required": "r", "n": 4.0})
	if err != nil || got["endpoint"] != "https://x" || got["n"] != 4.0 || got["required"] != "r" {
		t.Errorf("resolved %v %v", got, err)
	}
}

// A file with several problems reports them all at once, decoding problems
// (a bad duration, an unknown field) as well as validation ones, each with
// the DAG's id, JSON files included.
func TestEveryProblemOfAFileIsReported(t *testing.T) {
	t.Parallel()
	err := load(t, map[string]string{
		"a.yaml": "dag_id: many\ndefault_args: {retry_delay: 5 minutes}\ntasks:\n - {id: a, function: nope, colour: red}\n - {id: b, function: noop, depends_on: [a], trigger_rule: all_good, execution_timeout: soon}\n - {id: c, function: noop, depends_on: [d]}\n - {id: d, function: noop, depends_on: [c, d]}\n",
		"b.json": `{"dag_id": "j1", "tasks": [{"id": "x", "function": "noop", "execution_timeout": "abc"}], "unknown_field": 1}`,
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`dags/a.yaml: dag many: default_args.retry_delay: line 2: "5 minutes" is not a duration`,
		`dags/a.yaml: dag many: task a: colour: line 4: field colour not found in a task`,
		`dags/a.yaml: dag many: task b: execution_timeout: line 5: "soon" is not a duration`,
		`dags/a.yaml: dag many: task a: function: unknown function "nope"`,
		`dags/a.yaml: dag many: task b: trigger_rule: unknown trigger rule "all_good"`,
		`dags/a.yaml: dag many: task d: depends_on: a task cannot depend on itself`,
		`dags/a.yaml: dag many: task c: depends_on: cycle: c -> d -> c`,
		`dags/b.json: dag j1: task x: execution_timeout: line 1: "abc" is not a duration`,
		`dags/b.json: dag j1: unknown_field: line 1: field unknown_field not found in a DAG`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestRareButRealCronsAreValid(t *testing.T) {
	t.Parallel()
	// February 29 fires every four years; a day-of-week makes any date fire.
	for _, expr := range []string{"0 0 29 2 *", "0 0 31 2 1", "59 23 31 12 *", "0/10 * * * *"} {
		if err := CheckCron(expr); err != nil {
			t.Errorf("CheckCron(%q) = %v, want nil", expr, err)
		}
	}
}

func TestEmptyDocumentsAroundADagAreAccepted(t *testing.T) {
	t.Parallel()
	for _, y := range []string{
		"---\ndag_id: p\ntasks: [{id: a, function: noop}]\n---\n",
		"dag_id: p\ntasks: [{id: a, function: noop}]\n---\n# nothing else\n",
	} {
		if err := load(t, map[string]string{"x.yaml": y}); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
}

func TestMissingDagDirectoryIsNamed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() + "/nope"
	_, err := Load(fns, DirSource(dir))
	want := dir + ": cannot read DAG directory: no such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// A field that did not decode gets one message, not a second one from
// validation about the zero value it was left with.
func TestAFieldThatDidNotDecodeIsReportedOnce(t *testing.T) {
	t.Parallel()
	err := load(t, map[string]string{"x.yaml": "dag_id: p\ntasks:\n  - id: a\n    function: noop\n    execution_timeout: 1 hour\n"})
	if err == nil {
		t.Fatal("no error")
	}
	want := `dags/x.yaml: dag p: task a: execution_timeout: line 5: "1 hour" is not a duration (use Go durations such as 90s, 2m, 1h30m)`
	if err.Error() != want {
		t.Fatalf("error:\n%v\nwant only:\n%s", err, want)
	}
}

// A trigger's conf as written is checked against the target DAG's params
// at load (every try of the task would fail); a templated one is not.
func TestTriggerConfIsCheckedAgainstTheTargetParams(t *testing.T) {
	t.Parallel()
	fs := fstest.MapFS{
		"target.yaml": {Data: []byte("dag_id: target\nparams:\n  n: {type: integer, default: 1}\n  need: {type: string}\ntasks: [{id: a, function: noop}]\n")},
		"caller.yaml": {Data: []byte("dag_id: caller\nparams: {x: {type: string, default: v}}\ntasks:\n" +
			"  - {id: bad, function: trig, args: {dag_id: target, conf: {n: abc, zzz: 1, need: x}}}\n" +
			"  - {id: none, function: trig, args: {dag_id: target}}\n" +
			"  - {id: good, function: trig, args: {dag_id: target, conf: {n: 2, need: y}}}\n" +
			"  - {id: tpl, function: trig, args: {dag_id: target, conf: {need: \"{{ params.x }}\"}}}\n")},
	}
	opts := ValidateOptions{Functions: map[string]bool{"noop": true, "trig": true},
		DagRefs: map[string]string{"trig": "dag_id"}, ConfRefs: map[string]string{"trig": "conf"}}
	_, err := Load(opts, Source{FS: fs, Dir: ".", Name: "dags"})
	if err == nil {
		t.Fatal("a conf that does not match the target's params was accepted")
	}
	got := err.Error()
	for _, want := range []string{
		`dags/caller.yaml: dag caller: task bad: args: conf: does not match the params of DAG target: conf.n: expected integer, got string "abc"; conf.zzz: unknown param`,
		`dags/caller.yaml: dag caller: task none: args: conf: does not match the params of DAG target: conf.need: required`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "task good") || strings.Contains(got, "task tpl") {
		t.Errorf("a valid or templated conf was refused:\n%s", got)
	}
}
