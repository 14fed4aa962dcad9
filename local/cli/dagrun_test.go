package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lvao/dataplatform/local/harness/harnesstest"
	"github.com/lvao/dataplatform/shared/engine"
)

type result struct {
	code           int
	stdout, stderr string
}

// run runs the command in-process with a schema of the test's own and an
// S3 directory of its own.
func run(t *testing.T, args ...string) result {
	t.Helper()
	env, _ := harnesstest.Env(t, map[string]string{"TASK_LEASE": "2s", "REQUEUE_AFTER": "1s"})
	var out, errb bytes.Buffer
	m := &Main{Env: env, Stdout: &out, Stderr: &errb}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if len(args) > 1 && (args[0] == "dag" && args[1] == "run" || args[0] == "invoke") {
		args = append(args, "--s3-dir", t.TempDir(), "--tick", "200ms")
	}
	code := m.Run(ctx, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// writeDag writes one DAG file into a new directory and returns the directory.
func writeDag(t *testing.T, yml string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dag.yaml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func decodeDoc(t *testing.T, r result) engine.RunDoc {
	t.Helper()
	var doc engine.RunDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("stdout is not the run document: %v\n%s\nstderr: %s", err, r.stdout, r.stderr)
	}
	return doc
}

func TestDagRunSucceedsEvenWhenPaused(t *testing.T) {
	t.Parallel()
	dir := writeDag(t, `
dag_id: cli_ok
paused: true
params:
  who: {type: string, default: world}
tasks:
  - {id: first, function: noop, args: {hello: "{{ params.who }}"}}
  - {id: second, function: noop, depends_on: [first]}
`)
	r := run(t, "dag", "run", "cli_ok", "--dags", dir, "--json", "--conf", `{"who":"you"}`)
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr: %s", r.code, r.stderr)
	}
	doc := decodeDoc(t, r)
	var conf map[string]any
	_ = json.Unmarshal(doc.Conf, &conf)
	if doc.DagID != "cli_ok" || doc.State != "success" || !strings.HasPrefix(doc.RunID, "manual__") || conf["who"] != "you" {
		t.Fatalf("run document %+v", doc)
	}
	if len(doc.Tasks) != 2 || doc.Tasks[0].TaskID != "first" || doc.Tasks[1].State != "success" || doc.Tasks[1].TryNumber != 1 ||
		doc.Tasks[0].StartedAt == nil || doc.Tasks[0].EndedAt == nil || doc.Tasks[0].LogKey == "" {
		t.Fatalf("tasks %+v", doc.Tasks)
	}
}

func TestDagRunFailedTaskExitsOne(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	dir := writeDag(t, `
dag_id: cli_fail
tasks:
  - {id: call, function: http, retries: 0, args: {url: "`+srv.URL+`"}}
  - {id: after, function: noop, depends_on: [call]}
`)
	r := run(t, "dag", "run", "cli_fail", "--dags", dir, "--json")
	if r.code != ExitFailed {
		t.Fatalf("exit %d, want 1; stderr: %s", r.code, r.stderr)
	}
	doc := decodeDoc(t, r)
	if doc.State != "failed" || doc.Tasks[0].State != "failed" || doc.Tasks[1].State != "upstream_failed" || doc.Tasks[0].Error == "" {
		t.Fatalf("run document %+v", doc)
	}
}

// Ctrl-C (the command's context cancelled) while the run goes on: exit
// 130, a message saying the run was left unfinished.
func TestDagRunInterruptedExits130(t *testing.T) {
	t.Parallel()
	called := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case called <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	dir := writeDag(t, `
dag_id: cli_interrupt
tasks:
  - {id: slow, function: http, retries: 0, args: {url: "`+srv.URL+`"}}
`)
	env, _ := harnesstest.Env(t, nil)
	var out, errb bytes.Buffer
	m := &Main{Env: env, Stdout: &out, Stderr: &errb}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-called // the task is running
		cancel()
	}()
	code := m.Run(ctx, []string{"dag", "run", "cli_interrupt", "--dags", dir, "--s3-dir", t.TempDir(), "--grace", "100ms"})
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130; stderr: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "interrupted: run manual__") || !strings.Contains(errb.String(), "serve") {
		t.Errorf("stderr %q", errb.String())
	}
}

// --json with a run that does not end within --timeout: exit 1, and the
// run document as it was when waiting stopped on stdout (scripts read it).
func TestDagRunTimeoutPrintsTheRunDocument(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	dir := writeDag(t, `
dag_id: cli_slow
tasks:
  - {id: slow, function: http, retries: 0, args: {url: "`+srv.URL+`"}}
`)
	r := run(t, "dag", "run", "cli_slow", "--dags", dir, "--json", "--timeout", "1s", "--grace", "100ms")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "did not end within 1s") {
		t.Fatalf("exit %d, want 1; stderr: %s", r.code, r.stderr)
	}
	doc := decodeDoc(t, r)
	if doc.DagID != "cli_slow" || (doc.State != "running" && doc.State != "queued") {
		t.Fatalf("run document %+v", doc)
	}
}

func TestDagRunSummaryWithoutJSON(t *testing.T) {
	t.Parallel()
	dir := writeDag(t, "dag_id: cli_text\ntasks: [{id: only, function: noop}]\n")
	r := run(t, "dag", "run", "cli_text", "--dags", dir)
	if r.code != ExitOK || !strings.Contains(r.stdout, "cli_text") || !strings.Contains(r.stdout, "success") {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	// Not a terminal: no live progress, only the summary.
	if strings.Contains(r.stdout, "+0.") {
		t.Fatalf("live progress printed while stdout is not a terminal:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "task logs: s3://lvao-local-logs/logs/dag_id=cli_text/run_id=manual__") {
		t.Errorf("the summary does not say where the logs are:\n%s", r.stdout)
	}
}

// On a terminal, a failing task's JSON log lines do not interleave with
// the live progress (which shows the error); without a terminal they go
// to stderr as before. The summary shows the end of the failed task's log.
func TestDagRunOnATerminalShowsProgressNotTaskLogs(t *testing.T) {
	t.Parallel()
	dir := writeDag(t, "dag_id: cli_tty\ntasks: [{id: bad, function: http, args: {url: \"http://127.0.0.1:1/\"}}]\n")
	for _, tty := range []bool{true, false} {
		env, _ := harnesstest.Env(t, map[string]string{"TASK_LEASE": "2s", "REQUEUE_AFTER": "1s"})
		var out, errb bytes.Buffer
		m := &Main{Env: env, Stdout: &out, Stderr: &errb, IsTerminal: func(io.Writer) bool { return tty }}
		code := m.Run(t.Context(), []string{"dag", "run", "cli_tty", "--dags", dir, "--s3-dir", t.TempDir(), "--tick", "200ms"})
		if code != ExitFailed {
			t.Fatalf("tty=%v: exit %d, stderr %s", tty, code, errb.String())
		}
		progress := strings.Contains(out.String(), "bad                      failed")
		taskLog := strings.Contains(errb.String(), `"msg":"task failed"`)
		if tty && (!progress || taskLog) {
			t.Errorf("terminal: progress shown %v, task log on stderr %v\nstdout:\n%s\nstderr:\n%s", progress, taskLog, out.String(), errb.String())
		}
		if !tty && !taskLog {
			t.Errorf("no terminal: the task's error line is missing from stderr:\n%s", errb.String())
		}
		// Either way the summary ends with the failed task's log tail.
		if !strings.Contains(out.String(), "log of bad (try 1), last ") || !strings.Contains(out.String(), "  | ") ||
			!strings.Contains(out.String(), "ERROR task failed") {
			t.Errorf("tty=%v: no log tail of the failed task in the summary:\n%s", tty, out.String())
		}
	}
}

func TestDagRunBadInputExitsTwo(t *testing.T) {
	t.Parallel()
	dir := writeDag(t, "dag_id: cli_params\nparams: {n: {type: integer, default: 1}}\ntasks: [{id: t, function: noop}]\n")
	for name, args := range map[string][]string{
		"unknown DAG":          {"dag", "run", "no_such_dag", "--dags", dir},
		"conf not JSON":        {"dag", "run", "cli_params", "--dags", dir, "--conf", "{not json"},
		"conf not an object":   {"dag", "run", "cli_params", "--dags", dir, "--conf", "[1]"},
		"conf unknown param":   {"dag", "run", "cli_params", "--dags", dir, "--conf", `{"m": 2}`},
		"conf wrong type":      {"dag", "run", "cli_params", "--dags", dir, "--conf", `{"n": "two"}`},
		"no DAG id":            {"dag", "run", "--dags", dir},
		"unknown flag":         {"dag", "run", "cli_params", "--nope"},
		"chaos rate too large": {"dag", "run", "cli_params", "--crash-rate", "2"},
		"zero timeout":         {"dag", "run", "cli_params", "--dags", dir, "--timeout", "0s"},
		"negative timeout":     {"dag", "run", "cli_params", "--dags", dir, "--timeout", "-1s"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := run(t, args...)
			if r.code != ExitBadInput {
				t.Fatalf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.TrimSpace(r.stderr) == "" {
				t.Fatalf("stderr should be a clear message: %q", r.stderr)
			}
		})
	}
	r := run(t, "dag", "run", "no_such_dag", "--dags", dir)
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], `unknown DAG "no_such_dag"`) {
		t.Fatalf("stderr %q, want one line naming the DAG", r.stderr)
	}
}

// dagRunIn runs `dag run dagID --dags dir` to success on a fresh schema
// (short lease and requeue) and returns a connection to its database.
func dagRunIn(t *testing.T, dir, dagID string) (context.Context, *pgx.Conn, string) {
	t.Helper()
	env, schema := harnesstest.Env(t, map[string]string{"TASK_LEASE": "2s", "REQUEUE_AFTER": "1s"})
	var out, errb bytes.Buffer
	m := &Main{Env: env, Stdout: &out, Stderr: &errb}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	if code := m.Run(ctx, []string{"dag", "run", dagID, "--dags", dir, "--json", "--s3-dir", t.TempDir(), "--tick", "50ms"}); code != ExitOK {
		t.Fatalf("exit %d, stderr: %s", code, errb.String())
	}
	conn, err := pgx.Connect(ctx, harnesstest.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.WithoutCancel(ctx)) })
	return ctx, conn, schema
}

// TestDagRunSchedulesNothingElse: dag run starts the run asked for and
// no other (as `airflow dags test`): a scheduled DAG beside it, due since
// long ago, gets no run.
func TestDagRunSchedulesNothingElse(t *testing.T) {
	t.Parallel()
	dir := writeDag(t, `
dag_id: cli_only
tasks:
  - {id: a, function: noop}
`)
	if err := os.WriteFile(filepath.Join(dir, "due.yaml"), []byte(`
dag_id: cli_due
schedule: "* * * * *"
start_date: 2025-01-01T00:00:00Z
catchup: true
tasks:
  - {id: a, function: noop}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, conn, schema := dagRunIn(t, dir, "cli_only")
	runs := map[string]int{}
	rows, err := conn.Query(ctx, "SELECT dag_id, count(*) FROM "+schema+".dag_run GROUP BY dag_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		runs[id] = n
	}
	if runs["cli_only"] != 1 || len(runs) != 1 {
		t.Fatalf("runs by DAG %v, want only cli_only's one run", runs)
	}
}

// As `airflow dags test`, dag run executes its own run only: a run one of
// its tasks triggers waits in Postgres for serve (it was started in-process,
// then cut at exit, so a long task of it failed as a zombie).
func TestDagRunLeavesTheRunsItTriggersToServe(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	dir := writeDag(t, `
dag_id: cli_parent
tasks:
  - {id: kick, function: trigger-dag, args: {dag_id: cli_child}}
  - {id: after, function: noop, depends_on: [kick]}
`)
	if err := os.WriteFile(filepath.Join(dir, "child.yaml"), []byte(`
dag_id: cli_child
tasks:
  - {id: call, function: http, args: {url: "`+srv.URL+`"}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, conn, schema := dagRunIn(t, dir, "cli_parent")
	if n := calls.Load(); n != 0 {
		t.Errorf("the triggered run's task ran %d times inside dag run", n)
	}
	var state string
	if err := conn.QueryRow(ctx, "SELECT state FROM "+schema+".task_instance WHERE dag_id = 'cli_child'").Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != "queued" {
		t.Errorf("the triggered run's task is %s, want queued (for serve)", state)
	}
}

// A DAG whose function serverless.yml does not trigger from a queue would
// never run its tasks (their messages sit in a queue no trigger reads):
// dag run says so at once, exit 2, instead of waiting for --timeout.
func TestDagRunRefusesAFunctionWithoutQueueEvent(t *testing.T) {
	t.Parallel()
	real, err := os.ReadFile("../../serverless.yml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(real)
	from, to := strings.Index(s, "\n  noop:\n"), strings.Index(s, "\n  http:\n")
	if from < 0 || to < from {
		t.Fatal("serverless.yml: no noop block before http")
	}
	// Beside the handlers' folders, as the real one is.
	tmp := t.TempDir()
	functions, err := filepath.Abs("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(functions, filepath.Join(tmp, "functions")); err != nil {
		t.Fatal(err)
	}
	sl := filepath.Join(tmp, "serverless.yml")
	if err := os.WriteFile(sl, []byte(s[:from]+s[to:]), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeDag(t, "dag_id: cli_unqueued\ntasks: [{id: t, function: noop}]\n")
	start := time.Now()
	r := run(t, "dag", "run", "cli_unqueued", "--dags", dir, "--serverless", sl, "--timeout", "1m")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "dag cli_unqueued: task t: function: \"noop\" is not declared in") {
		t.Fatalf("exit %d, want 2 naming the task and function; stderr %q", r.code, r.stderr)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("took %s: it waited instead of refusing", d)
	}
}

// --conf keeps an integer's every digit (float64 rounds past 2^53) and, as
// before, refuses what is not one JSON object.
func TestParseConfKeepsIntegerDigits(t *testing.T) {
	t.Parallel()
	conf, err := parseConf(`{"n": 9007199254740993}`)
	if err != nil || conf["n"] != json.Number("9007199254740993") {
		t.Fatalf("conf %#v, %v", conf, err)
	}
	for _, bad := range []string{`{"n": 1} x`, `[1]`, `{`} {
		if _, err := parseConf(bad); err == nil {
			t.Errorf("--conf %s accepted", bad)
		}
	}
}

// A secret's value (here a token of API_TOKENS) is masked in the failed
// task's recorded error (the run document, the summary) and in the
// harness's console log, as it is in the task log.
func TestDagRunMasksSecretsInErrorsAndConsole(t *testing.T) {
	t.Parallel()
	const secret = "tok-0123456789abcdef0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	dir := writeDag(t, `
dag_id: cli_secret
tasks:
  - {id: call, function: http, args: {url: "`+srv.URL+`/?token=`+secret+`"}}
`)
	env, _ := harnesstest.Env(t, map[string]string{"TASK_LEASE": "2s", "REQUEUE_AFTER": "1s", "API_TOKENS": secret})
	for _, asJSON := range []bool{true, false} {
		var out, errb bytes.Buffer
		m := &Main{Env: env, Stdout: &out, Stderr: &errb}
		args := []string{"dag", "run", "cli_secret", "--dags", dir, "--s3-dir", t.TempDir(), "--tick", "200ms"}
		if asJSON {
			args = append(args, "--json")
		}
		if code := m.Run(context.Background(), args); code != ExitFailed {
			t.Fatalf("exit %d, want 1; stderr: %s", code, errb.String())
		}
		if strings.Contains(out.String(), secret) || strings.Contains(errb.String(), secret) || !strings.Contains(out.String(), "token=***") {
			t.Fatalf("json %v: the secret is shown:\nstdout: %s\nstderr: %s", asJSON, out.String(), errb.String())
		}
	}
}
