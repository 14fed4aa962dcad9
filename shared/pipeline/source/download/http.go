package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
)

// errNetworkTimeout cancels a request whose network wait exceeded
// Config.RequestTimeout.
var errNetworkTimeout = errors.New("network timeout")

// fetcher does GET requests with a network timeout and retries.
type fetcher struct {
	cfg   *Config
	log   *slog.Logger
	stats *Stats
}

// get fetches url and hands the body to consume. A transient failure
// (network error or timeout, before or while reading the body; HTTP 429 or
// 5xx) is retried with a growing wait, calling consume again on a new body:
// consume must cope with a restart (the page readers skip the rows they
// already sent). An error of consume itself (invalid JSON, sink error) is
// not retried.
func (f *fetcher) get(ctx context.Context, url string, consume func(io.Reader) error) error {
	tries := f.cfg.MaxRetries + 1
	for attempt := 1; ; attempt++ {
		transient, retryAfter, err := f.try(ctx, url, consume)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("error downloading %s: %w", url, context.Cause(ctx))
		}
		if !transient {
			return err
		}
		if attempt >= tries {
			return fmt.Errorf("error downloading %s, gave up after %d tries: %w", url, attempt, err)
		}
		wait := f.backoff(attempt, retryAfter)
		f.stats.Retries++
		f.log.Warn("download: transient failure, retrying", "url", url, "try", attempt,
			"wait", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("error downloading %s: %w", url, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// backoff is RetryBackoff doubled per try, at least Retry-After, at most
// MaxBackoff.
func (f *fetcher) backoff(attempt int, retryAfter time.Duration) time.Duration {
	wait := f.cfg.RetryBackoff
	for i := 1; i < attempt && wait < f.cfg.MaxBackoff; i++ {
		wait *= 2
	}
	wait = max(wait, retryAfter)
	return min(wait, f.cfg.MaxBackoff)
}

// try is one attempt: whether its failure is transient, the server's
// Retry-After, and the error.
func (f *fetcher) try(ctx context.Context, url string, consume func(io.Reader) error) (bool, time.Duration, error) {
	reqCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(f.cfg.RequestTimeout, func() { cancel(errNetworkTimeout) })
	defer timer.Stop()
	timedOut := func() bool { return errors.Is(context.Cause(reqCtx), errNetworkTimeout) }

	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, url, nil)
	if err != nil {
		return false, 0, fmt.Errorf("error building the request for %s: %w", url, err)
	}
	req.Header.Set("User-Agent", "lvao-dataplatform-download")
	resp, err := f.cfg.HTTPClient.Do(req)
	if err != nil {
		if timedOut() {
			return true, 0, fmt.Errorf("error downloading %s: no response within %s", url, f.cfg.RequestTimeout)
		}
		return true, 0, fmt.Errorf("error downloading %s: %w", url, err)
	}
	defer resp.Body.Close()
	timer.Stop()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		se := &HTTPStatusError{URL: url, StatusCode: resp.StatusCode, Status: resp.Status}
		return se.transient(), retryAfter(resp.Header.Get("Retry-After")), se
	}
	body := &watchedBody{r: resp.Body, timer: timer, timeout: f.cfg.RequestTimeout}
	var text io.Reader = body
	if dec := charsetDecoder(resp.Header.Get("Content-Type")); dec != nil {
		text = dec.Reader(body)
	}
	err = consume(text)
	if err == nil {
		return false, 0, nil
	}
	if rerr := body.readErr(); rerr != nil {
		if timedOut() {
			return true, 0, fmt.Errorf("error reading the response of %s: no data within %s", url, f.cfg.RequestTimeout)
		}
		return true, 0, fmt.Errorf("error reading the response of %s: %w", url, rerr)
	}
	return false, 0, err
}

// charsetDecoder is the decoder of a JSON or text response whose
// Content-Type names a charset other than UTF-8 (e.g. "application/json;
// charset=iso-8859-1"), as Python's requests decodes response.json() with
// the charset the server names; nil for UTF-8, no charset, an unknown one
// (requests then falls back to UTF-8) or another media type (a ZIP).
func charsetDecoder(contentType string) *encoding.Decoder {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil
	}
	cs := strings.ToLower(strings.TrimSpace(params["charset"]))
	if cs == "" || cs == "utf-8" || cs == "utf8" {
		return nil
	}
	if mediaType != "application/json" && !strings.HasSuffix(mediaType, "+json") && !strings.HasPrefix(mediaType, "text/") {
		return nil
	}
	enc, err := htmlindex.Get(cs)
	if err != nil || enc == nil {
		return nil
	}
	return enc.NewDecoder()
}

// retryAfter reads a Retry-After header given in seconds (an HTTP date is
// ignored: the backoff applies).
func retryAfter(h string) time.Duration {
	if s, err := strconv.Atoi(h); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// watchedBody arms the network timeout during each read only, so that a
// slow sink does not count as a slow server, and remembers a read error so
// that get can tell a broken connection (retried) from a bad body.
type watchedBody struct {
	r       io.Reader
	timer   *time.Timer
	timeout time.Duration

	mu  sync.Mutex
	err error
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.timeout)
	n, err := b.r.Read(p)
	b.timer.Stop()
	if err != nil && err != io.EOF {
		b.mu.Lock()
		if b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
	return n, err
}

func (b *watchedBody) readErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}
