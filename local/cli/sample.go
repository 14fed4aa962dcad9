package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/lvao/dataplatform/local/sample"
)

// sampleSource serves generated rows of the eo-ecosystem dataset as
// data-fair pages, so that a source DAG can be tried without the
// internet; it prints the `dag run` command that ingests them.
func (m *Main) sampleSource(ctx context.Context, args []string) int {
	var addr string
	var rows, pageSize int
	c := newCommand("sample-source", "sample-source [--addr 127.0.0.1:8090] [--rows 1000] [--page-size 500]", m.Stderr)
	c.StringVar(&addr, "addr", "127.0.0.1:8090", "`HOST:PORT` to listen on")
	c.IntVar(&rows, "rows", 1000, "number of rows of the dataset (`N` acteurs)")
	c.IntVar(&pageSize, "page-size", 500, "rows per data-fair page (`N`; pages link to the next one)")
	pos, code, done := c.parse(args, m.Stdout)
	if done {
		return code
	}
	switch {
	case len(pos) > 0:
		return m.badInput("sample-source takes no arguments (got %q)", pos[0])
	case rows < 1:
		return m.badInput("--rows must be at least 1 (got %d)", rows)
	case pageSize < 1:
		return m.badInput("--page-size must be at least 1 (got %d)", pageSize)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return m.failed("cannot listen on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: &sample.DataFair{Rows: rows, PageSize: pageSize}, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String() + "/data-fair/api/v1/datasets/sample-eo-ecosystem"
	fmt.Fprintf(m.Stdout, "Serving %d generated rows of the eo-ecosystem dataset (its real columns), in data-fair pages of %d:\n", rows, pageSize)
	fmt.Fprintf(m.Stdout, "  %s/lines?size=%d\n", base, pageSize)
	fmt.Fprintln(m.Stdout, "Ingest them (in another terminal; they become suggestions in the local webapp schema):")
	fmt.Fprintf(m.Stdout, "  go run ./local dag run eo-ecosystem --conf '{\"endpoint\": \"%s/lines?size=%d\", \"metadata_endpoint\": \"%s/schema\"}'\n",
		base, pageSize, base)
	fmt.Fprintln(m.Stdout, "Ready. Ctrl-C stops.")
	select {
	case err := <-served:
		return m.failed("the sample server stopped: %v", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return m.failed("stopping the sample server: %v", err)
	}
	return ExitOK
}
