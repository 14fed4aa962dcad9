package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestQuick runs the quick benchmark: every scenario must finish and the
// report must hold their rows. It needs the local Postgres.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Postgres; not a short test")
	}
	o := defaultOptions()
	o.quick()
	rep, err := Run(context.Background(), o, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	md := rep.Markdown()
	for _, want := range []string{"wide DAG", "chain", "backfill", "River", "## Goals", "p50", "the engine's part", "like-for-like peer", "InsertMany calls"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if len(rep.Results) != 8 { // wide, chain (2 rows), backfill, seq, River ×3
		t.Errorf("got %d results, want 8", len(rep.Results))
	}
	if os.Getenv("BENCH_VERBOSE") != "" {
		t.Log("\n" + md)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
