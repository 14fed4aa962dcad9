// Package runtime runs one task attempt per queue message: decode, claim
// (queued → running with a lease), heartbeat, run with execution_timeout
// as the context deadline, record the outcome exactly once, publish the
// downstream messages. Every task function is a TaskFunc behind Handler.
package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/lvao/dataplatform/shared/artifact"
	"github.com/lvao/dataplatform/shared/store"
)

// TaskFunc is a task's code. Its result (any JSON-encodable value, ≤ 64 KB)
// is kept as the task's result, readable by downstream tasks; a result
// {"skip_downstream": true} short-circuits. An error fails the attempt.
type TaskFunc func(ctx context.Context, t *Task) (any, error)

// Task is what a task's code knows about its attempt.
type Task struct {
	DagID, RunID, TaskID string
	TryNumber            int
	LogicalDate          time.Time
	// Args are the task's args from the DAG, placeholders rendered.
	Args map[string]any
	// Params are the run's params (defaults overridden by its conf).
	Params map[string]any
	// Logger writes to the attempt's log (and stdout as JSON).
	Logger *slog.Logger

	runPK     int64
	store     *store.Store
	artifacts *artifact.Store
}

// CreateArtifact starts writing an output of this task
// (artifacts/<dag>/<run>/<task>/<name>; gzip when name ends in .gz).
func (t *Task) CreateArtifact(ctx context.Context, name string) (*artifact.Writer, error) {
	if t.artifacts == nil {
		return nil, fmt.Errorf("artifacts are not configured (DATA_BUCKET / S3)")
	}
	return t.artifacts.Create(ctx, artifact.Ref{DagID: t.DagID, RunID: t.RunID, TaskID: t.TaskID, Name: name})
}

// OpenArtifact reads an output of a task of the same run.
func (t *Task) OpenArtifact(ctx context.Context, taskID, name string) (io.ReadCloser, error) {
	if t.artifacts == nil {
		return nil, fmt.Errorf("artifacts are not configured (DATA_BUCKET / S3)")
	}
	return t.artifacts.Open(ctx, artifact.Ref{DagID: t.DagID, RunID: t.RunID, TaskID: taskID, Name: name})
}

// DecodeArgs decodes the args into v (a struct with json tags); unknown
// fields are errors so a typo in a DAG file is caught on the first run.
func (t *Task) DecodeArgs(v any) error {
	b, err := json.Marshal(t.Args)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &ArgsError{Task: t.TaskID, Err: err}
	}
	return nil
}

// ArgsError is a task's args not matching what its function expects: the
// attempt fails without retry (retrying cannot fix a DAG file).
type ArgsError struct {
	Task string
	Err  error
}

func (e *ArgsError) Error() string { return fmt.Sprintf("task %s: invalid args: %v", e.Task, e.Err) }

// UpstreamResult returns the JSON result of another task of the same run
// (nil when it has none).
func (t *Task) UpstreamResult(ctx context.Context, taskID string) (json.RawMessage, error) {
	var out json.RawMessage
	err := t.store.Read(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.TaskResultGet(ctx, t.runPK, taskID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("error reading result of task %s: %w", taskID, err)
	}
	return out, nil
}
