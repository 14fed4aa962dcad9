package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/shared/dag"
)

// serve runs the whole platform until ctx ends (Ctrl-C, SIGTERM), then
// stops cleanly: no new requests, cron and tick stopped, queue closed,
// requests in flight finished (within a grace), pool closed.
func (m *Main) serve(ctx context.Context, args []string) int {
	var pf platformFlags
	var addr string
	c := newCommand("serve", "serve [--addr 127.0.0.1:8080] [--dags DIR]...", m.Stderr)
	pf.register(c.FlagSet)
	c.StringVar(&addr, "addr", "127.0.0.1:8080", "`HOST:PORT` to listen on (functions, S3, harness pages)")
	pos, code, done := c.parse(args, m.Stdout)
	if done {
		return code
	}
	if len(pos) > 0 {
		return m.badInput("serve takes no argument (got %q)", pos[0])
	}
	cfg := pf.config(m)
	cfg.Addr = addr
	cfg.Cron = true
	cfg.Logger = m.Logger
	if cfg.Logger == nil {
		level := slog.LevelInfo
		if !pf.verbose {
			level = slog.LevelWarn
		}
		// JSON lines, as the deployed functions write them for Cockpit.
		cfg.Logger = slog.New(slog.NewJSONHandler(m.Stdout, &slog.HandlerOptions{Level: level}))
	}
	p, err := harness.Start(ctx, cfg)
	if err != nil {
		var es dag.Errors
		if errors.As(err, &es) {
			fmt.Fprintf(m.Stderr, "invalid DAG files:\n%s\n", es)
			return ExitBadInput
		}
		return m.failed("the harness could not start: %s", oneLine(harness.RedactURL(err.Error())))
	}
	fmt.Fprint(m.Stdout, p.Summary())
	fmt.Fprintf(m.Stdout, "Auth token:    X-Auth-Token: %s\n", p.Token)
	if p.WebLogin != nil {
		fmt.Fprintf(m.Stdout, "Web login:     %s / %s (generated; set WEB_USERS to choose)\n", p.WebLogin.User, p.WebLogin.Password)
	}
	fmt.Fprintf(m.Stdout, "Tick:          in-process every %s, lease %s, requeue after %s (local values)\n",
		pf.tick, p.Config.TaskLease, p.Config.RequeueAfter)
	if _, ok := p.Deps.Dags.Get("eo-ecosystem"); ok {
		fmt.Fprintln(m.Stdout, "Try a source:  go run ./local sample-source (offline data-fair pages; it prints the run to start)")
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(m.Stdout, "warning: %s\n", w)
	}
	// Their tasks would stay queued: no queue trigger delivers them.
	for _, w := range checkFunctions(p.Deps.Dags, pf.serverless, m.Env, "") {
		fmt.Fprintf(m.Stdout, "warning: %s: its tasks will stay queued\n", w)
	}
	fmt.Fprintln(m.Stdout, "Ready. Ctrl-C stops.")
	<-ctx.Done()
	fmt.Fprintln(m.Stdout, "Stopping…")
	p.Close()
	fmt.Fprintln(m.Stdout, "Stopped.")
	return ExitOK
}
