package harness_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/local/harness/harnesstest"
)

// buildLocal builds the harness binary once into a temporary directory.
func buildLocal(t *testing.T) string {
	t.Helper()
	sl, err := harness.FindServerless(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "local")
	cmd := exec.Command("go", "build", "-o", bin, "./local")
	cmd.Dir = filepath.Dir(sl)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./local: %v\n%s", err, out)
	}
	return bin
}

// server is one `local serve` process.
type server struct {
	cmd    *exec.Cmd
	url    string
	token  string
	stderr *bytes.Buffer
	done   chan error
}

func startServe(t *testing.T, bin string, env []string, args ...string) *server {
	t.Helper()
	s := &server{stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	s.cmd.Env = env
	s.cmd.Stderr = s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "LVAO local harness on "); ok {
				s.url = strings.TrimSpace(u)
			}
			if _, tok, ok := strings.Cut(line, "X-Auth-Token: "); ok && strings.HasPrefix(line, "Auth token:") {
				s.token = strings.TrimSpace(tok)
			}
			if strings.HasPrefix(line, "Ready.") {
				once.Do(func() { close(ready) })
			}
		}
		s.done <- s.cmd.Wait()
	}()
	t.Cleanup(func() { _ = s.cmd.Process.Kill() })
	select {
	case <-ready:
	case err := <-s.done:
		t.Fatalf("serve exited before it was ready: %v\n%s", err, s.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("serve not ready after 60s\n%s", s.stderr)
	}
	return s
}

func (s *server) trigger(t *testing.T, dagID string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url+harness.FunctionPath("coordinator")+"api/v1/dags/"+dagID+"/dagRuns", strings.NewReader(`{"conf":{}}`))
	req.Header.Set("X-Auth-Token", s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		RunID string `json:"run_id"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(b, &doc) != nil {
		t.Fatalf("trigger: %d %s", resp.StatusCode, b)
	}
	return doc.RunID
}

// TestRestartAfterSIGKILL kills `serve` with SIGKILL in the middle of 50
// runs and starts it again on the same schema: every run finishes, each
// attempt completed at most once. The second serve stops cleanly on SIGTERM.
func TestRestartAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the harness binary")
	}
	t.Parallel()
	const runs = 50
	const beforeKill = 15 // http calls answered before the kill
	var calls atomic.Int32
	reached := make(chan struct{})
	unblock := make(chan struct{})
	var reachedOnce sync.Once
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > beforeKill {
			reachedOnce.Do(func() { close(reached) })
			select { // hang until the process is killed, or the restart
			case <-r.Context().Done():
				return
			case <-unblock:
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(target.Close)
	dir := writeDag(t, "restart", fmt.Sprintf(`
dag_id: restart_dag
max_active_runs: 10
default_args: {retries: 3, retry_delay: 200ms}
tasks:
  - {id: call, function: http, args: {url: %q}}
  - {id: next, function: noop, depends_on: [call]}
  - {id: last, function: noop, depends_on: [next]}
`, target.URL))
	schema := harnesstest.Schema(t)
	sl, _ := harness.FindServerless(".")
	env := append(os.Environ(), "DATABASE_URL="+harnesstest.DatabaseURL(), "DATABASE_SCHEMA="+schema,
		"TASK_LEASE=2s", "REQUEUE_AFTER=1s", "S3_ENDPOINT=", "WEB_USERS=")
	args := []string{"--dags", dir, "--s3-dir", t.TempDir(), "--serverless", sl, "--tick", "200ms", "--visibility-timeout", "200ms"}
	bin := buildLocal(t)

	first := startServe(t, bin, env, args...)
	for i := 0; i < runs; i++ {
		first.trigger(t, "restart_dag")
	}
	select {
	case <-reached:
	case <-time.After(2 * time.Minute):
		t.Fatalf("only %d http calls before the kill", calls.Load())
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	pool := openSchema(t, schema)
	ended, _, err := runCounts(context.Background(), pool, "restart_dag")
	if err != nil || ended >= runs {
		t.Fatalf("killed after %d runs ended (error %v): not in the middle", ended, err)
	}
	t.Logf("SIGKILL with %d of %d runs ended", ended, runs)

	close(unblock)
	second := startServe(t, bin, env, args...)
	start := time.Now()
	success := waitRunsEnded(t, pool, "restart_dag", runs, 3*time.Minute)
	t.Logf("after restart, all %d runs ended in %s (%d success)", runs, time.Since(start).Round(time.Millisecond), success)
	if success != runs {
		t.Errorf("%d runs failed", runs-success)
	}
	checkExactlyOnce(t, pool, "restart_dag")

	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-second.done:
		if err != nil {
			t.Fatalf("serve did not exit cleanly on SIGTERM: %v\n%s", err, second.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve still running 30s after SIGTERM")
	}
}
