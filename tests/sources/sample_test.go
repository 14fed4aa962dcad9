package sources_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"regexp"
	"testing"
	"time"

	"github.com/lvao/dataplatform/local/cli"
	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/shared/engine"
)

// The README's offline try-out: `local sample-source` serves generated
// data-fair pages and prints the `dag run` command that ingests them; run
// as printed, every generated row becomes a created acteur's suggestion.
func TestSampleSourceCommandIngestsAsPrinted(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, &dataFair{})
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		m := &cli.Main{Env: harness.MapEnv(p.env), Stdout: pw, Stderr: io.Discard}
		exit <- m.Run(ctx, []string{"sample-source", "--addr", "127.0.0.1:0", "--rows", "120", "--page-size", "50"})
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-exit; code != cli.ExitOK {
			t.Errorf("sample-source exit %d after Ctrl-C", code)
		}
	})
	printed := regexp.MustCompile(`dag run eo-ecosystem --conf '(\{.*\})'`)
	var conf string
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if m := printed.FindStringSubmatch(lines.Text()); m != nil {
			conf = m[1]
		}
		if lines.Text() == "Ready. Ctrl-C stops." {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if !json.Valid([]byte(conf)) {
		t.Fatalf("no dag run command with a JSON conf printed (got %q)", conf)
	}

	var out, errb bytes.Buffer
	m := &cli.Main{Env: harness.MapEnv(p.env), Stdout: &out, Stderr: &errb}
	runCtx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	code := m.Run(runCtx, []string{"dag", "run", "eo-ecosystem", "--json", "--s3-dir", p.s3Dir, "--conf", conf})
	var doc engine.RunDoc
	_ = json.Unmarshal(out.Bytes(), &doc)
	if code != cli.ExitOK || doc.State != "success" {
		t.Fatalf("dag run as printed: exit %d, %s %v\n%s", code, doc.State, taskStates(doc), errb.String())
	}
	if got := p.count("data_suggestiongroupe"); got != 120 {
		t.Errorf("%d suggestion groups, want one per generated row (120)", got)
	}
	if got := p.count("data_suggestionlog"); got != 0 {
		t.Errorf("%d suggestion logs, want none: the generated rows are valid", got)
	}
}
