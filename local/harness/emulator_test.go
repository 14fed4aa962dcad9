package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// echo answers the request's platform headers and body size as JSON.
func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"path": r.URL.Path, "size": len(b),
		"request_id": r.Header.Get("X-Request-ID"), "forwarded_for": r.Header.Get("X-Forwarded-For"),
		"forwarded_proto": r.Header.Get("X-Forwarded-Proto"),
	})
}

type emulatorBundle struct {
	srv   *httptest.Server
	token string
}

type mount struct {
	spec FunctionSpec
	h    http.HandlerFunc
}

func setupEmulator(t *testing.T, mounts ...mount) *emulatorBundle {
	t.Helper()
	token := NewToken()
	em := NewEmulator(token, nil)
	for _, m := range mounts {
		em.Mount(m.spec, m.h)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(func() { srv.Close(); em.Wait() })
	return &emulatorBundle{srv: srv, token: token}
}

func (b *emulatorBundle) post(t *testing.T, fn, token string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+FunctionPath(fn), body)
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func TestEmulatorRejectsBodyOver6MiB(t *testing.T) {
	t.Parallel()
	called := make(chan struct{}, 4)
	b := setupEmulator(t,
		mount{FunctionSpec{Name: "fn", Private: true}, func(w http.ResponseWriter, r *http.Request) { called <- struct{}{} }})
	big := bytes.Repeat([]byte("x"), 7<<20)
	resp, _ := b.post(t, "fn", b.token, bytes.NewReader(big))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("7 MiB with Content-Length: status %d, want 413", resp.StatusCode)
	}
	// Without Content-Length (chunked), the gateway counts what it reads.
	resp, _ = b.post(t, "fn", b.token, io.MultiReader(bytes.NewReader(big)))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("7 MiB chunked: status %d, want 413", resp.StatusCode)
	}
	if len(called) != 0 {
		t.Fatalf("the function ran %d times for a rejected payload", len(called))
	}
	resp, _ = b.post(t, "fn", b.token, bytes.NewReader(big[:MaxBody]))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("exactly 6 MiB: status %d, want 200", resp.StatusCode)
	}
}

func TestEmulatorPrivateFunctionNeedsToken(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t,
		mount{FunctionSpec{Name: "private", Private: true}, echo},
		mount{FunctionSpec{Name: "public"}, echo})
	for _, tc := range []struct {
		fn, token string
		want      int
	}{
		{"private", "", http.StatusForbidden},
		{"private", "wrong", http.StatusForbidden},
		{"private", b.token, http.StatusOK},
		{"public", "", http.StatusOK},
		{"missing", b.token, http.StatusNotFound},
	} {
		resp, body := b.post(t, tc.fn, tc.token, strings.NewReader("{}"))
		if resp.StatusCode != tc.want {
			t.Errorf("%s with token %q: status %d, want %d (%s)", tc.fn, tc.token, resp.StatusCode, tc.want, body)
		}
		if tc.want >= 400 {
			// Refusals have the API's error shape, {"error", "detail"}.
			var e map[string]any
			if err := json.Unmarshal(body, &e); err != nil || e["error"] == nil {
				t.Errorf("%s with token %q: body %s is not {\"error\",\"detail\"}", tc.fn, tc.token, body)
			} else if _, hasDetail := e["detail"]; !hasDetail {
				t.Errorf("%s with token %q: body %s has no detail", tc.fn, tc.token, body)
			}
		}
	}
}

func TestEmulatorInjectsPlatformHeaders(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, mount{FunctionSpec{Name: "fn"}, echo})
	ids := map[string]bool{}
	for i := 0; i < 2; i++ {
		resp, body := b.post(t, "fn", "", strings.NewReader(`{"a":1}`))
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("status %d body %s", resp.StatusCode, body)
		}
		if got["path"] != "/" || got["size"] != float64(7) || got["forwarded_for"] != "127.0.0.1" || got["forwarded_proto"] != "http" {
			t.Fatalf("function saw %v", got)
		}
		id, _ := got["request_id"].(string)
		if len(id) != 36 || ids[id] {
			t.Fatalf("X-Request-ID %q is not a fresh UUID", id)
		}
		ids[id] = true
	}
}

func TestEmulatorTimeoutIsTheRequestDeadline(t *testing.T) {
	t.Parallel()
	sawDeadline := make(chan time.Duration, 1)
	b := setupEmulator(t,
		mount{FunctionSpec{Name: "slow", Timeout: 50 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			d, _ := r.Context().Deadline()
			sawDeadline <- time.Until(d)
			<-r.Context().Done()
		}})
	resp, _ := b.post(t, "slow", "", strings.NewReader("{}"))
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504", resp.StatusCode)
	}
	if d := <-sawDeadline; d <= 0 || d > 50*time.Millisecond {
		t.Fatalf("the function's context deadline was %s away, want within its 50ms timeout", d)
	}
}

func TestEmulatorMaxScaleBoundsConcurrentRequests(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 3)
	release := make(chan struct{})
	b := setupEmulator(t,
		mount{FunctionSpec{Name: "fn", MaxScale: 2}, func(w http.ResponseWriter, r *http.Request) {
			entered <- struct{}{}
			<-release
		}})
	done := make(chan int, 3)
	for i := 0; i < 3; i++ {
		go func() {
			resp, _ := b.post(t, "fn", "", strings.NewReader("{}"))
			done <- resp.StatusCode
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 2; i++ {
		select {
		case <-entered:
		case <-ctx.Done():
			t.Fatal("two requests should run at once")
		}
	}
	select {
	case <-entered:
		t.Fatal("a third request ran while maxScale is 2")
	case <-time.After(100 * time.Millisecond): // a negative check needs some window
	}
	release <- struct{}{} // one instance frees up: the third request gets it
	select {
	case <-entered:
	case <-ctx.Done():
		t.Fatal("the waiting request never got a free instance")
	}
	close(release)
	for i := 0; i < 3; i++ {
		if code := <-done; code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
}
