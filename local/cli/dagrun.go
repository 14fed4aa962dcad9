package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
)

// pollEvery is how often dag run reads the run's state.
const pollEvery = 100 * time.Millisecond

// dagRun triggers one run in-process, even if the DAG is paused (as
// `airflow dags test`), and waits for its end: exit 0 success, 1 failed
// (or not ended in time), 2 bad input, 130 interrupted (Ctrl-C).
func (m *Main) dagRun(ctx context.Context, args []string) int {
	var pf platformFlags
	var confText string
	var asJSON bool
	var timeout time.Duration
	c := newCommand("dag run", "dag run DAG_ID [--conf JSON] [--dags DIR]... [--json] [--timeout 10m]", m.Stderr)
	pf.register(c.FlagSet)
	c.StringVar(&confText, "conf", "", "the run's conf, a JSON `object` overriding the DAG's params")
	c.BoolVar(&asJSON, "json", false, "print the run document as JSON on stdout")
	c.DurationVar(&timeout, "timeout", 10*time.Minute, "stop waiting after this long (exit 1; the run goes on under serve)")
	pos, code, done := c.parse(args, m.Stdout)
	if done {
		return code
	}
	if len(pos) != 1 {
		return m.badInput("dag run needs exactly one DAG_ID (got %d arguments); see dag list", len(pos))
	}
	if timeout <= 0 {
		// The run would be created, then given up at once.
		return m.badInput("--timeout must be positive (got %s)", timeout)
	}
	dagID := pos[0]
	conf, err := parseConf(confText)
	if err != nil {
		return m.badInput("invalid --conf: %s", oneLine(err.Error()))
	}
	set, err := loadDags(pf.dags)
	if err != nil {
		fmt.Fprintln(m.Stderr, err)
		return ExitBadInput
	}
	spec, ok := set.Get(dagID)
	if !ok {
		return m.badInput("unknown DAG %q (known: %s)", dagID, knownDags(set))
	}
	if _, err := spec.ResolveParams(conf); err != nil {
		return m.badInput("%s", oneLine(err.Error()))
	}
	// A task whose function no queue triggers would wait for --timeout.
	if problems := checkFunctions(set, pf.serverless, m.Env, dagID); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(m.Stderr, "local: %s\n", p)
		}
		return ExitBadInput
	}

	live := m.progressWriter(asJSON)
	cfg := pf.config(m)
	cfg.Logger = m.logger(pf.verbose)
	if live != nil && !pf.verbose && m.Logger == nil {
		cfg.Logger = slog.New(&taskLogFilter{h: cfg.Logger.Handler()})
	}
	cfg.NoSchedule = true // only this run: other DAGs' schedules wait for serve
	cfg.OnlyDag = dagID   // and other runs' tasks (e.g. one it triggers) too
	p, err := harness.Start(ctx, cfg)
	if err != nil {
		return m.failed("the harness could not start: %s", oneLine(harness.RedactURL(err.Error())))
	}
	defer p.Close()
	for _, w := range p.Deps.Warnings {
		fmt.Fprintf(m.Stderr, "warning: %s\n", w)
	}

	started := time.Now()
	run, _, err := p.Deps.Engine.Trigger(ctx, engine.TriggerParams{DagID: dagID, Conf: conf, IgnorePause: true})
	if err != nil {
		return m.triggerError(err)
	}
	p.OnlyRun(run.RunID)
	var prog *progress
	if live != nil {
		prog = newProgress(live, started)
		fmt.Fprintf(live, "dag %s: run %s\n", dagID, run.RunID)
	}
	doc, err := waitRun(ctx, p.Deps.Engine, dagID, run.RunID, timeout, prog)
	if err != nil && ctx.Err() != nil {
		fmt.Fprintf(m.Stderr, "interrupted: run %s of DAG %s did not end (%s); it stays in the database, `go run ./local serve` carries it on\n",
			run.RunID, dagID, orUnknown(doc.State))
		return ExitInterrupted
	}
	if err != nil {
		if asJSON && doc.RunID != "" { // the run's state when waiting stopped, for scripts
			b, _ := json.MarshalIndent(doc, "", "  ")
			fmt.Fprintf(m.Stdout, "%s\n", b)
		}
		return m.failed("run %s of DAG %s: %s", run.RunID, dagID, oneLine(err.Error()))
	}
	if asJSON {
		b, _ := json.MarshalIndent(doc, "", "  ")
		fmt.Fprintf(m.Stdout, "%s\n", b)
	} else {
		printSummary(m.Stdout, doc, time.Since(started), prog == nil)
		where := "in the embedded S3 under " + p.S3Dir
		if !p.EmbeddedS3 {
			where = "at " + p.S3Endpoint
		}
		printFailedLogs(ctx, m.Stdout, p.Deps.S3, p.Config.LogsBucket, doc)
		fmt.Fprintf(m.Stdout, "task logs: s3://%s/logs/dag_id=%s/run_id=%s/ (%s; `go run ./local serve` shows them in the web)\n",
			p.Config.LogsBucket, doc.DagID, doc.RunID, where)
	}
	if doc.State != "success" {
		return ExitFailed
	}
	return ExitOK
}

// progressWriter is where live progress goes: stdout on a terminal, or
// stderr on a terminal when stdout carries --json; nowhere otherwise.
func (m *Main) progressWriter(asJSON bool) interface{ Write([]byte) (int, error) } {
	if asJSON {
		if m.IsTerminal(m.Stderr) {
			return m.Stderr
		}
		return nil
	}
	if m.IsTerminal(m.Stdout) {
		return m.Stdout
	}
	return nil
}

// triggerError maps the engine's errors to exit codes.
func (m *Main) triggerError(err error) int {
	var ce *dag.ConfError
	var ie *engine.InputError
	switch {
	case errors.As(err, &ce), errors.As(err, &ie), errors.Is(err, engine.ErrNotFound):
		return m.badInput("%s", oneLine(err.Error()))
	}
	return m.failed("error triggering the run: %s", oneLine(harness.RedactURL(err.Error())))
}

func parseConf(text string) (map[string]any, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber() // integers keep every digit (float64 rounds past 2^53)
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the JSON object")
	}
	conf, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a JSON object is expected, e.g. '{\"dry_run\": true}'")
	}
	return conf, nil
}

func knownDags(set *dag.Set) string {
	var ids []string
	for _, s := range set.All() {
		ids = append(ids, s.DagID)
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// waitRun reads the run until it ends or timeout passes.
func waitRun(ctx context.Context, e *engine.Engine, dagID, runID string, timeout time.Duration, prog *progress) (engine.RunDoc, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	var last engine.RunDoc
	var lastErr error
	for {
		doc, err := e.GetRun(ctx, dagID, runID)
		if err == nil {
			last, lastErr = doc, nil
			if prog != nil {
				prog.update(doc)
			}
			if doc.State == "success" || doc.State == "failed" {
				return doc, nil
			}
		} else if ctx.Err() == nil {
			lastErr = err // a database hiccup: try again until the timeout
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				msg := fmt.Sprintf("did not end within %s (state %s)", timeout, orUnknown(last.State))
				if lastErr != nil {
					msg += "; last error: " + lastErr.Error()
				}
				return last, errors.New(msg)
			}
			return last, fmt.Errorf("interrupted while %s", orUnknown(last.State))
		case <-t.C:
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
