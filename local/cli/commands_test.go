package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvao/dataplatform/local/harness"
)

func TestHelpOfEveryCommand(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--help"}, {"serve", "--help"}, {"dag", "run", "--help"}, {"dag", "validate", "--help"},
		{"dag", "list", "--help"}, {"invoke", "--help"},
	} {
		r := run(t, args...)
		if r.code != ExitOK || !strings.Contains(r.stdout, "Usage") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	r := run(t, "dag", "run", "--help")
	for _, flag := range []string{"--conf", "--dags", "--json", "--timeout", "--duplicate-rate", "--drop-rate", "--crash-rate"} {
		if !strings.Contains(r.stdout, strings.TrimPrefix(flag, "-")) {
			t.Errorf("dag run --help does not mention %s", flag)
		}
	}
	if r := run(t, "nope"); r.code != ExitBadInput {
		t.Errorf("unknown command: exit %d", r.code)
	}
}

func TestDagValidateAndList(t *testing.T) {
	t.Parallel()
	good := writeDag(t, "dag_id: listed_dag\nschedule: \"0 3 * * *\"\nstart_date: 2025-01-01T00:00:00Z\ntasks: [{id: t, function: noop}]\n")
	r := run(t, "dag", "list", "--dags", good)
	if r.code != ExitOK || !strings.Contains(r.stdout, "listed_dag") || !strings.Contains(r.stdout, "0 3 * * *") || !strings.Contains(r.stdout, "example_fanout") {
		t.Fatalf("list: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, "dag", "validate", "--dags", good); r.code != ExitOK {
		t.Fatalf("validate: exit %d stderr %q", r.code, r.stderr)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "bad.yaml"), []byte("dag_id: broken\ntasks: [{id: t, function: nosuch}, {id: t, function: noop}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, "dag", "validate", "--dags", bad)
	if r.code != ExitFailed || !strings.Contains(r.stderr, "bad.yaml") || !strings.Contains(r.stderr, "broken") {
		t.Fatalf("validate bad: exit %d stderr %q", r.code, r.stderr)
	}
	// A built-in's args as written are checked too (not what a template
	// gives at run time).
	args := writeDag(t, "dag_id: bad_args\nparams: {t: {type: string, default: 5s}}\ntasks:\n"+
		"  - {id: call, function: http, args: {timeout: 1 hour}}\n"+
		"  - {id: later, function: http, args: {url: \"{{ params.t }}\", timeout: \"{{ params.t }}\"}}\n"+
		"  - {id: next, function: trigger-dag, args: {conf: {a: 1}}}\n"+
		"  - {id: other, function: trigger-dag, args: {dag_id: nope}}\n"+
		"  - {id: mine, function: trigger-dag, args: {dag_id: bad_args}}\n"+
		"  - {id: any, function: trigger-dag, args: {dag_id: \"{{ params.t }}\"}}\n")
	r = run(t, "dag", "validate", "--dags", args)
	for _, want := range []string{"task call", "url: required", `timeout: "1 hour" is not a positive Go duration`, "task next", "dag_id: required",
		`task other: args: dag_id: unknown DAG "nope"`} {
		if r.code != ExitFailed || !strings.Contains(r.stderr, want) {
			t.Errorf("validate bad args: exit %d, stderr lacks %q:\n%s", r.code, want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "task later") || strings.Contains(r.stderr, "task any") || strings.Contains(r.stderr, "task mine") {
		t.Errorf("templated args were checked:\n%s", r.stderr)
	}
	// A --dags that is no directory is bad usage, for validate as for list.
	missing := filepath.Join(t.TempDir(), "nope")
	for _, cmd := range []string{"validate", "list"} {
		if r := run(t, "dag", cmd, "--dags", missing); r.code != ExitBadInput || !strings.Contains(r.stderr, missing) {
			t.Errorf("dag %s --dags %s: exit %d, stderr %q; want 2 naming it", cmd, missing, r.code, r.stderr)
		}
	}
}

func TestInvokeCoordinatorTick(t *testing.T) {
	t.Parallel()
	r := run(t, "invoke", "coordinator", "--data", `{"action":"tick"}`)
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "200 OK\n") || !strings.Contains(r.stdout, "runs_created") {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, "invoke", "coordinator", "--data", `{"action":"dance"}`)
	if r.code != ExitFailed || !strings.HasPrefix(r.stdout, "400 ") {
		t.Fatalf("bad action: exit %d stdout %q", r.code, r.stdout)
	}
	if r := run(t, "invoke", "no-such-function"); r.code != ExitBadInput {
		t.Fatalf("unknown function: exit %d stderr %q", r.code, r.stderr)
	}
}

// An unknown function is bad input, said at once: before the harness
// starts, so not hidden behind a database that is down (it answered exit 1
// "error connecting to the local database").
func TestInvokeUnknownFunctionNeedsNoDatabase(t *testing.T) {
	t.Parallel()
	var out, errb strings.Builder
	m := &Main{Env: harness.MapEnv(map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"}),
		Stdout: &out, Stderr: &errb}
	code := m.Run(context.Background(), []string{"invoke", "no-such-function", "--s3-dir", t.TempDir()})
	if code != ExitBadInput || !strings.Contains(errb.String(), `unknown function "no-such-function"`) || !strings.Contains(errb.String(), "noop") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

// A chaos rate is a probability: NaN, a trailing word or a value outside
// [0, 1] is refused (fmt.Sscan read "NaN" and the "0.5" of "0.5x").
func TestRateFlagRefusesWhatIsNoProbability(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"NaN", "0.5x", "-0.1", "1.01", "Inf", ""} {
		var r rateFlag
		if err := r.Set(v); err == nil {
			t.Errorf("rate %q accepted as %v", v, float64(r))
		}
	}
	for v, want := range map[string]float64{"0": 0, "1": 1, "0.25": 0.25, " 0.5 ": 0.5} {
		var r rateFlag
		if err := r.Set(v); err != nil || float64(r) != want {
			t.Errorf("rate %q: %v, %v", v, float64(r), err)
		}
	}
}
