package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/shared/bundle"
)

// invoke sends one request to a function through the emulation, in-process,
// and prints the status and the body. Exit 0 for a 2xx answer, 1 otherwise.
func (m *Main) invoke(ctx context.Context, args []string) int {
	var pf platformFlags
	var data string
	c := newCommand("invoke", "invoke FUNCTION [--data JSON|@file]", m.Stderr)
	pf.register(c.FlagSet)
	c.StringVar(&data, "data", "", "request body: JSON, or @FILE to read it from a file (@- for stdin)")
	pos, code, done := c.parse(args, m.Stdout)
	if done {
		return code
	}
	if len(pos) != 1 {
		return m.badInput("invoke needs exactly one FUNCTION (got %d arguments)", len(pos))
	}
	body, err := readData(data)
	if err != nil {
		return m.badInput("--data: %s", oneLine(err.Error()))
	}
	// The function first: an unknown one is bad input, whatever the
	// state of the database the harness would connect to.
	if names, err := mountable(pf.serverless, m.Env); err == nil && !slices.Contains(names, pos[0]) {
		return m.badInput("unknown function %q (mounted: %s)", pos[0], strings.Join(names, ", "))
	}
	cfg := pf.config(m)
	cfg.Tick = -1 // one request: no background work of the harness's own
	cfg.Logger = m.logger(pf.verbose)
	p, err := harness.Start(ctx, cfg)
	if err != nil {
		return m.failed("the harness could not start: %s", oneLine(harness.RedactURL(err.Error())))
	}
	defer p.Close()
	known := false
	var names []string
	for _, f := range p.Functions {
		names = append(names, f.Name)
		known = known || f.Name == pos[0]
	}
	if !known {
		return m.badInput("unknown function %q (mounted: %s)", pos[0], strings.Join(names, ", "))
	}
	status, _, out := p.Invoke(ctx, pos[0], body)
	fmt.Fprintf(m.Stdout, "%d %s\n%s", status, http.StatusText(status), out)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		fmt.Fprintln(m.Stdout)
	}
	if status < 200 || status >= 300 {
		return ExitFailed
	}
	return ExitOK
}

// mountable lists the functions the harness would mount: those of
// serverless.yml the bundle knows, sorted.
func mountable(serverless string, env harness.Env) ([]string, error) {
	if serverless == "" {
		p, err := harness.FindServerless(".")
		if err != nil {
			return nil, err
		}
		serverless = p
	}
	specs, _, err := harness.LoadServerless(serverless, env)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range specs {
		if _, ok := bundle.Lookup(s.Name); ok {
			names = append(names, s.Name)
		}
	}
	sort.Strings(names)
	return names, nil
}

func readData(data string) ([]byte, error) {
	switch {
	case data == "@-":
		return io.ReadAll(os.Stdin)
	case strings.HasPrefix(data, "@"):
		return os.ReadFile(data[1:])
	}
	return []byte(data), nil
}
