// Package cli is the `local` command (go run ./local …): the harness's
// subcommands as one function, Run, that tests call in-process.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/lvao/dataplatform/local/harness"
)

// Exit codes of every subcommand.
const (
	ExitOK       = 0 // success
	ExitFailed   = 1 // the run failed, or the harness could not work
	ExitBadInput = 2 // unknown DAG or function, bad flags, --conf, DAG files
	// ExitInterrupted is a shell's code for a command ended by Ctrl-C
	// (128 + SIGINT): dag run was interrupted before its run ended.
	ExitInterrupted = 130
)

// Main holds what a command reads and writes.
type Main struct {
	// Env is the environment (os.LookupEnv); tests pass their own.
	Env            harness.Env
	Stdout, Stderr io.Writer
	// IsTerminal tells whether w is a terminal (live progress). Default:
	// true for an *os.File that is a terminal.
	IsTerminal func(w io.Writer) bool
	// Logger overrides the functions' logger (tests). Default: JSON, to
	// stdout for serve (Cockpit's shape) and to stderr, warnings only, for
	// the one-shot commands.
	Logger *slog.Logger
}

// Run runs the command line args (without the program name) with the
// process environment over the working directory's .env file (if any),
// and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	dotenv, err := harness.LoadDotEnv(".env")
	if err != nil {
		fmt.Fprintf(stderr, "local: %v\n", err)
		return ExitBadInput
	}
	env := harness.Layer(nil, os.LookupEnv, dotenv)
	m := &Main{Env: env, Stdout: stdout, Stderr: stderr}
	return m.Run(ctx, args)
}

const usage = `Usage: go run ./local COMMAND [flags]

The local harness: every function of serverless.yml on one machine, with
Scaleway's request shape, cron and queue triggers, an embedded S3 and the
local Postgres (DATABASE_URL, default ` + harness.DefaultDatabaseURL + `).

Commands:
  serve [--addr 127.0.0.1:8080] [--dags DIR]...     run everything; prints URLs and login
  dag run DAG_ID [--conf JSON] [--dags DIR]... [--json] [--timeout 10m]
                                                     one run to its end, even if the DAG is paused
                                                     (exit 0 success, 1 failed, 2 bad input, 130 Ctrl-C)
  dag validate [--dags DIR]...                       check every DAG file
  dag list [--dags DIR]...                           list the DAGs
  invoke FUNCTION [--data JSON|@file]                one request; prints status and body
  sample-source [--addr 127.0.0.1:8090] [--rows 1000]
                                                     generated data-fair pages of a source, to try
                                                     a source DAG without the internet

Run any command with --help for its flags.
`

// Run dispatches to the subcommand.
func (m *Main) Run(ctx context.Context, args []string) int {
	if m.Env == nil {
		m.Env = harness.MapEnv(nil)
	}
	if m.IsTerminal == nil {
		m.IsTerminal = isTerminal
	}
	// A task still running when the command returns (dag run's --timeout,
	// past --grace) logs nothing more: its lines would come after the
	// command's own last word.
	stderr := &closableWriter{w: m.Stderr}
	m.Stderr = stderr
	defer func() { stderr.close(); m.Stderr = stderr.w }()
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return ExitBadInput
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(m.Stdout, usage)
		return ExitOK
	case "serve":
		return m.serve(ctx, args[1:])
	case "invoke":
		return m.invoke(ctx, args[1:])
	case "sample-source":
		return m.sampleSource(ctx, args[1:])
	case "dag":
		if len(args) < 2 {
			fmt.Fprint(m.Stderr, usage)
			return ExitBadInput
		}
		switch args[1] {
		case "run":
			return m.dagRun(ctx, args[2:])
		case "validate":
			return m.dagValidate(args[2:])
		case "list":
			return m.dagList(args[2:])
		case "-h", "-help", "--help":
			fmt.Fprint(m.Stdout, usage)
			return ExitOK
		}
		return m.badInput("unknown command: dag %s (run, validate, list)", args[1])
	}
	return m.badInput("unknown command: %s (serve, dag run|validate|list, invoke, sample-source; --help)", args[0])
}

// badInput prints one line on stderr and returns ExitBadInput.
func (m *Main) badInput(format string, a ...any) int {
	fmt.Fprintf(m.Stderr, "local: "+format+"\n", a...)
	return ExitBadInput
}

// failed prints one line on stderr and returns ExitFailed.
func (m *Main) failed(format string, a ...any) int {
	fmt.Fprintf(m.Stderr, "local: "+format+"\n", a...)
	return ExitFailed
}

// logger is the functions' logger of a one-shot command: warnings to
// stderr, so progress and --json output stay readable.
func (m *Main) logger(verbose bool) *slog.Logger {
	if m.Logger != nil {
		return m.Logger
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
}

func isTerminal(w io.Writer) bool {
	if c, ok := w.(*closableWriter); ok {
		w = c.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// closableWriter passes writes on until it is closed, then drops them.
type closableWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (c *closableWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return len(p), nil
	}
	return c.w.Write(p)
}

func (c *closableWriter) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

// oneLine keeps an error on one line for stderr.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
