package harness

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
)

// Caller makes the platform's own requests to functions (cron and queue
// triggers): real HTTP to the function's path, carrying the token as the
// platform does for private functions.
type Caller struct {
	// BaseURL is the harness's root URL, e.g. http://127.0.0.1:8080. Required.
	BaseURL string
	// Token is sent as X-Auth-Token.
	Token string
	// Client default http.DefaultClient (no timeout: the emulator applies
	// the function's own).
	Client *http.Client
}

// Post sends body as POST / to the function and returns the status (0
// when no answer came back: connection refused, context cancelled).
func (c *Caller) Post(ctx context.Context, function string, body []byte, userAgent string) (int, error) {
	url := strings.TrimSuffix(c.BaseURL, "/") + FunctionPath(function)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if userAgent != "" {
		req.Header.Set("User-Agent", userAgent)
	}
	if c.Token != "" {
		req.Header.Set("X-Auth-Token", c.Token)
	}
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
