package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lvao/dataplatform/local/harness/harnesstest"
)

func TestServePrintsURLsAndStopsOnCancel(t *testing.T) {
	t.Parallel()
	env, _ := harnesstest.Env(t, nil)
	pr, pw := io.Pipe()
	var stderr strings.Builder
	m := &Main{Env: env, Stdout: pw, Stderr: &stderr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int, 1)
	go func() {
		exit <- m.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--s3-dir", t.TempDir()})
		pw.Close()
	}()
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var url, token string
	var printed []string
	timeout := time.After(60 * time.Second)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve ended early (exit %d): %s\n%s", <-exit, stderr.String(), strings.Join(printed, "\n"))
			}
			printed = append(printed, l)
			if u, ok := strings.CutPrefix(l, "LVAO local harness on "); ok {
				url = u
			}
			if _, tok, ok := strings.Cut(l, "X-Auth-Token: "); ok && strings.HasPrefix(l, "Auth token:") {
				token = tok
			}
			if strings.HasPrefix(l, "Ready.") {
				break wait
			}
		case <-timeout:
			t.Fatalf("serve not ready:\n%s", strings.Join(printed, "\n"))
		}
	}
	out := strings.Join(printed, "\n")
	for _, want := range []string{"/functions/coordinator/", "/functions/noop/", "/functions/http/", "S3:", "Dead letters:", "Web login:"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve did not print %q:\n%s", want, out)
		}
	}
	post := func(tok string) int {
		req, _ := http.NewRequest(http.MethodPost, url+"/functions/coordinator/", strings.NewReader(`{"action":"tick"}`))
		if tok != "" {
			req.Header.Set("X-Auth-Token", tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(""); code != http.StatusForbidden {
		t.Errorf("coordinator without token: %d, want 403", code)
	}
	if code := post(token); code != http.StatusOK {
		t.Errorf("coordinator tick with the printed token: %d, want 200", code)
	}
	// A path with an empty segment reaches the coordinator as sent and is
	// its JSON 404 (the harness's ServeMux answered a bodyless 307).
	req, _ := http.NewRequest(http.MethodPost, url+"/functions/coordinator/api/v1/dags//dagRuns", strings.NewReader(`{}`))
	req.Header.Set("X-Auth-Token", token)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noRedirect.Do(req); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), `"error":"no such endpoint"`) {
			t.Errorf("POST …/dags//dagRuns: %d %s, want the coordinator's JSON 404", resp.StatusCode, b)
		}
	}
	resp, err := http.Get(url + "/harness/dead-letters")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("dead letters: %v %v", resp, err)
	}
	resp.Body.Close()

	cancel() // Ctrl-C
	go func() {
		for range lines { // keep draining the shutdown lines
		}
	}()
	select {
	case code := <-exit:
		if code != ExitOK {
			t.Fatalf("exit %d after cancel; stderr %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
}
