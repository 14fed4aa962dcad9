package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
)

// MaxBody is the platform's request payload limit (6 MiB).
const MaxBody = 6 << 20

// FunctionPath is where a function is mounted: /functions/<name>/.
func FunctionPath(name string) string { return "/functions/" + name + "/" }

// Emulator serves each mounted function behind FunctionPath with
// Scaleway's request shape: injected X-Request-ID, X-Forwarded-For and
// X-Forwarded-Proto; 413 over 6 MiB; the function's timeout as the request
// context's deadline (504 past it); at most MaxScale requests at once (one
// per instance, the others wait for a free instance); X-Auth-Token on
// private functions (403 without the right one).
type Emulator struct {
	token string
	log   *slog.Logger

	mu  sync.RWMutex
	fns map[string]*mounted
	// running counts handlers still busy after their request timed out:
	// the instance stays busy until the code returns, and shutdown waits.
	running sync.WaitGroup
}

type mounted struct {
	spec      FunctionSpec
	handler   http.Handler
	instances chan struct{}
}

// NewEmulator returns an emulator; token is the X-Auth-Token private
// functions require. logger may be nil.
func NewEmulator(token string, logger *slog.Logger) *Emulator {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Emulator{token: token, log: logger, fns: map[string]*mounted{}}
}

// Mount serves h as the function spec.Name.
func (e *Emulator) Mount(spec FunctionSpec, h http.Handler) {
	if spec.MaxScale < 1 {
		spec.MaxScale = DefaultMaxScale
	}
	if spec.Timeout <= 0 {
		spec.Timeout = DefaultTimeout
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fns[spec.Name] = &mounted{spec: spec, handler: h, instances: make(chan struct{}, spec.MaxScale)}
}

// Functions returns the specs of the mounted functions.
func (e *Emulator) Functions() []FunctionSpec {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]FunctionSpec, 0, len(e.fns))
	for _, m := range e.fns {
		out = append(out, m.spec)
	}
	return out
}

// Wait waits for handlers that outlived their request's timeout.
func (e *Emulator) Wait() { e.running.Wait() }

// jsonError answers the platform's refusals in the API's error shape,
// {"error", "detail"} (detail may be null).
func jsonError(w http.ResponseWriter, code int, msg string, detail any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": msg, "detail": detail})
}

// ServeHTTP routes /functions/<name>/… to the function.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/functions/")
	if !ok {
		jsonError(w, http.StatusNotFound, "not a function path: "+r.URL.Path, nil)
		return
	}
	name, sub, _ := strings.Cut(rest, "/")
	e.mu.RLock()
	fn := e.fns[name]
	e.mu.RUnlock()
	if fn == nil {
		jsonError(w, http.StatusNotFound, fmt.Sprintf("no function %q", name), nil)
		return
	}
	if fn.spec.Private && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Auth-Token")), []byte(e.token)) != 1 {
		jsonError(w, http.StatusForbidden, "private function: X-Auth-Token missing or invalid",
			"send the header X-Auth-Token: <the auth token the harness printed at start>")
		return
	}
	if r.ContentLength > MaxBody {
		jsonError(w, http.StatusRequestEntityTooLarge, "request payload over 6 MiB", nil)
		return
	}
	// The gateway reads the whole payload before an instance sees it.
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		jsonError(w, http.StatusBadRequest, "error reading the request body", nil)
		return
	}
	if len(body) > MaxBody {
		jsonError(w, http.StatusRequestEntityTooLarge, "request payload over 6 MiB", nil)
		return
	}
	// One request per instance: wait for a free one (the platform queues
	// requests beyond maxScale rather than refusing them).
	select {
	case fn.instances <- struct{}{}:
	case <-r.Context().Done():
		jsonError(w, http.StatusServiceUnavailable, "no instance became free before the client gave up", nil)
		return
	}
	e.serve(w, r, fn, "/"+sub, body)
}

// serve runs the function with the platform's headers and deadline. The
// answer is buffered so that a function still writing when its timeout
// strikes cannot mix its output with the 504.
func (e *Emulator) serve(w http.ResponseWriter, r *http.Request, fn *mounted, path string, body []byte) {
	ctx, cancel := context.WithTimeout(r.Context(), fn.spec.Timeout)
	defer cancel()
	in := r.Clone(ctx)
	in.URL.Path, in.URL.RawPath, in.RequestURI = path, "", ""
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.ContentLength = int64(len(body))
	in.Header.Set("X-Request-ID", NewRequestID())
	in.Header.Set("X-Forwarded-For", forwardedFor(r))
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	in.Header.Set("X-Forwarded-Proto", proto)

	rec := &bufferedResponse{header: http.Header{}}
	done := make(chan struct{})
	e.running.Add(1)
	go func() {
		defer e.running.Done()
		defer func() { <-fn.instances }()
		defer close(done)
		defer func() {
			// A panic is a crashed instance: 500, as the platform answers.
			if p := recover(); p != nil {
				e.log.Error("function panicked", "function", fn.spec.Name, "panic", fmt.Sprint(p))
				rec.reset(http.StatusInternalServerError, "function crashed")
			}
		}()
		fn.handler.ServeHTTP(rec, in)
	}()
	select {
	case <-done:
		rec.copyTo(w)
	case <-ctx.Done():
		if r.Context().Err() != nil {
			return // the client went away; nobody reads the answer
		}
		e.log.Warn("function timed out", "function", fn.spec.Name, "timeout", fn.spec.Timeout.String())
		jsonError(w, http.StatusGatewayTimeout, fmt.Sprintf("function %s timed out after %s", fn.spec.Name, fn.spec.Timeout), nil)
	}
}

func forwardedFor(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
		return prior + ", " + host
	}
	return host
}

// NewRequestID returns a random UUID (version 4), as the platform's ids.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// NewToken returns a random secret for X-Auth-Token.
func NewToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// bufferedResponse records a function's answer.
type bufferedResponse struct {
	mu     sync.Mutex
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.code == 0 {
		b.code = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedResponse) reset(code int, msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.header = http.Header{"Content-Type": {"application/json"}}
	b.code = code
	b.body.Reset()
	_ = json.NewEncoder(&b.body).Encode(map[string]any{"error": msg})
}

func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, v := range b.header {
		w.Header()[k] = v
	}
	code := b.code
	if code == 0 {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	_, _ = w.Write(b.body.Bytes())
}
