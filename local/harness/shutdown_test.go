package harness_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/local/harness/harnesstest"
	"github.com/lvao/dataplatform/shared/engine"
)

// Close gives what runs at shutdown one ShutdownGrace in all: a task stuck
// past it no longer holds the harness for the grace twice over (the HTTP
// server's, then the function emulator's) before Ctrl-C returns.
func TestCloseWaitsOneGraceForAStuckTask(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	}))
	defer slow.Close() // after release (defers run last first)
	defer close(release)
	dir := t.TempDir()
	yml := "dag_id: stuck\ntasks:\n  - {id: call, function: http, args: {url: \"" + slow.URL + "\", timeout: 1h}}\n"
	if err := os.WriteFile(filepath.Join(dir, "stuck.yaml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	env, _ := harnesstest.Env(t, nil)
	const grace = 1500 * time.Millisecond
	p, err := harness.Start(context.Background(), harness.Config{Env: env, DagDirs: []string{dir}, S3Dir: t.TempDir(),
		Serverless: "../../serverless.yml", ShutdownGrace: grace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if _, _, err := p.Deps.Engine.Trigger(context.Background(), engine.TriggerParams{DagID: "stuck"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived: // the attempt runs, stuck in its HTTP call
	case <-time.After(30 * time.Second):
		t.Fatal("the task never called the server")
	}
	start := time.Now()
	p.Close()
	if took := time.Since(start); took > grace+time.Second {
		t.Errorf("Close took %s with a %s grace", took.Round(time.Millisecond), grace)
	}
}
