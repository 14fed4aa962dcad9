package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/lvao/dataplatform/shared/engine"
)

// coordinatorClient performs actions through the coordinator's HTTP API
// (DESIGN §10), with X-Auth-Token.
type coordinatorClient struct {
	base  string
	token string
	http  *http.Client
}

// actionError is a refusal or failure of the coordinator, to show the user.
type actionError struct {
	Status int
	Msg    string
	// Problems are the coordinator's details (e.g. each invalid conf key).
	Problems []string
}

func (e *actionError) Error() string {
	if len(e.Problems) == 0 {
		return e.Msg
	}
	return e.Msg + ": " + strings.Join(e.Problems, "; ")
}

var errNoCoordinator = &actionError{Status: http.StatusServiceUnavailable,
	Msg: "actions are not configured: COORDINATOR_URL is not set for the web function"}

// do sends one request; a non-2xx answer becomes an *actionError with the
// coordinator's message (never its internals: it sends none).
func (c *coordinatorClient) do(ctx context.Context, requestID, method, path string, body, out any) error {
	if c.base == "" {
		return errNoCoordinator
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.base, "/")+path, bytes.NewReader(b))
	if err != nil {
		return &actionError{Status: http.StatusServiceUnavailable, Msg: "COORDINATOR_URL is not a valid URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("X-Auth-Token", c.token)
	}
	if requestID != "" {
		req.Header.Set("X-Request-ID", requestID)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &actionError{Status: http.StatusBadGateway, Msg: "the coordinator cannot be reached; try again in a moment"}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return decodeRefusal(resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return &actionError{Status: http.StatusBadGateway, Msg: "the coordinator's answer could not be read"}
		}
	}
	return nil
}

// decodeRefusal reads the coordinator's {"error","detail"}.
func decodeRefusal(status int, data []byte) *actionError {
	var e struct {
		Error  string          `json:"error"`
		Detail json.RawMessage `json:"detail"`
	}
	ae := &actionError{Status: status}
	if status == http.StatusForbidden || status == http.StatusUnauthorized {
		// The web function's own credentials were refused, not the user.
		ae.Msg = fmt.Sprintf("the coordinator refused the web function's token (%d): check COORDINATOR_TOKEN", status)
		return ae
	}
	if json.Unmarshal(data, &e) != nil || e.Error == "" {
		ae.Msg = fmt.Sprintf("the coordinator answered %d", status)
		return ae
	}
	ae.Msg = e.Error
	var list []string
	var one string
	switch {
	case json.Unmarshal(e.Detail, &list) == nil:
		ae.Problems = list
	case json.Unmarshal(e.Detail, &one) == nil && one != "" && status < 500:
		ae.Problems = []string{one}
	}
	return ae
}

func dagPath(dagID string, rest ...string) string {
	p := "/api/v1/dags/" + url.PathEscape(dagID)
	for _, s := range rest {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// Trigger creates a manual run with conf.
func (c *coordinatorClient) Trigger(ctx context.Context, rid, dagID string, conf map[string]any) (engine.RunDoc, error) {
	var doc engine.RunDoc
	err := c.do(ctx, rid, http.MethodPost, dagPath(dagID, "dagRuns"), map[string]any{"conf": conf}, &doc)
	return doc, err
}

// SetPaused pauses or unpauses a DAG.
func (c *coordinatorClient) SetPaused(ctx context.Context, rid, dagID string, paused bool) error {
	return c.do(ctx, rid, http.MethodPatch, dagPath(dagID), map[string]any{"is_paused": paused}, nil)
}

// Clear re-runs tasks of a run (every task when taskIDs is empty).
func (c *coordinatorClient) Clear(ctx context.Context, rid, dagID, runID string, taskIDs []string, downstream bool) error {
	if taskIDs == nil {
		taskIDs = []string{}
	}
	return c.do(ctx, rid, http.MethodPost, dagPath(dagID, "clearTaskInstances"),
		map[string]any{"run_id": runID, "task_ids": taskIDs, "include_downstream": downstream}, nil)
}

// Mark sets a task's state to success or failed.
func (c *coordinatorClient) Mark(ctx context.Context, rid, dagID, runID, taskID, state string) error {
	return c.do(ctx, rid, http.MethodPatch, dagPath(dagID, "dagRuns", runID, "taskInstances", taskID),
		map[string]any{"new_state": state}, nil)
}

// asActionError unwraps an *actionError.
func asActionError(err error) (*actionError, bool) {
	var ae *actionError
	ok := errors.As(err, &ae)
	return ae, ok
}
