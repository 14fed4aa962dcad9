package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/lvao/dataplatform/shared/planner"
	"github.com/lvao/dataplatform/shared/store"
)

// MaxResultSize bounds a task's JSON result (XCom-like): large outputs go
// to S3 artifacts.
const MaxResultSize = 64 << 10

// Outcome is how an attempt ended.
type Outcome struct {
	// Err is the failure, nil on success.
	Err error
	// Result is the task's JSON result on success (≤ MaxResultSize).
	Result json.RawMessage
	// SkipDownstream short-circuits: direct downstream tasks are skipped.
	SkipDownstream bool
	// NoRetry fails the task for good, whatever its retries (e.g. bad args).
	NoRetry bool
}

// AttemptRef names an attempt.
type AttemptRef struct {
	RunPK     int64
	DagID     string
	RunID     string
	TaskID    string
	TryNumber int
}

// Complete records an attempt's outcome exactly once: if the attempt is no
// longer running under that try (a duplicate, or it was failed as a
// zombie, cleared or marked meanwhile) nothing changes and recorded is
// false. In the same transaction downstream tasks become ready; their
// messages are published after commit.
func (e *Engine) Complete(ctx context.Context, a AttemptRef, out Outcome) (recorded bool, err error) {
	if out.Err == nil && len(out.Result) > MaxResultSize {
		out = Outcome{Err: fmt.Errorf("task result is %d bytes, over the %d bytes limit: write large outputs as artifacts", len(out.Result), MaxResultSize)}
	}
	var ev evaluation
	var dagID string
	err = e.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		ev, recorded = evaluation{}, false
		run, err := tx.RunLock(ctx, a.RunPK)
		if err != nil {
			return fmt.Errorf("error locking run: %w", err)
		}
		dagID = run.DagID
		ok, err := tx.TaskInstanceLockRunning(ctx, a.RunPK, a.TaskID, a.TryNumber)
		if err != nil || !ok {
			return err
		}
		if ev, err = e.finishAttempt(ctx, tx, &run, a, out); err != nil {
			return err
		}
		recorded = true
		return nil
	})
	if err != nil {
		return false, err
	}
	e.afterCommit(ctx, ev)
	if ev.finished {
		err = e.startQueuedRuns(ctx, dagID)
	}
	return recorded, err
}

// finishAttempt writes the outcome of a running attempt (locked by the
// caller with its run) and re-evaluates the run.
func (e *Engine) finishAttempt(ctx context.Context, tx *store.Tx, run *store.Run, a AttemptRef, out Outcome) (evaluation, error) {
	now := e.now()
	c, err := e.version(ctx, tx, run.DagID, run.VersionHash)
	if err != nil {
		return evaluation{}, err
	}
	task := c.spec.Task(a.TaskID)
	if task == nil {
		return evaluation{}, fmt.Errorf("task %s is not in DAG %s version %s", a.TaskID, run.DagID, run.VersionHash)
	}
	p := &store.TaskFinishParams{RunPK: a.RunPK, TaskID: a.TaskID, TryNumber: a.TryNumber, Now: now}
	retryNow := false
	if out.Err == nil {
		p.State, p.AttemptOK, p.Result = string(planner.StateSuccess), true, out.Result
	} else {
		p.Error = out.Err.Error()
		ti, err := tx.TaskInstanceGet(ctx, run.DagID, run.RunID, a.TaskID)
		if err != nil {
			return evaluation{}, err
		}
		policy := c.spec.Policy(task)
		if a.TryNumber < ti.MaxTries && !out.NoRetry {
			// Failures since the last clear: the first retry waits retry_delay.
			failed := a.TryNumber - (ti.MaxTries - policy.Retries - 1)
			delay := policy.Delay(failed)
			p.State, p.NextRetryAt = string(planner.StateUpForRetry), now.Add(delay)
			retryNow = delay == 0
		} else {
			p.State = string(planner.StateFailed)
		}
	}
	if err := tx.TaskFinish(ctx, p); err != nil {
		return evaluation{}, fmt.Errorf("error recording outcome of %s: %w", a.TaskID, err)
	}
	changes := []stateChange{{taskID: a.TaskID, old: planner.StateRunning, new: planner.State(p.State)}}
	if out.Err == nil && out.SkipDownstream {
		skipped, err := tx.TaskInstanceSetStateMany(ctx, run.PK, c.graph.Downstream(a.TaskID), string(planner.StateSkipped), now)
		if err != nil {
			return evaluation{}, err
		}
		for _, id := range skipped {
			changes = append(changes, stateChange{taskID: id, old: planner.StateNone, new: planner.StateSkipped})
		}
	}
	ev, err := e.propagate(ctx, tx, run, c, changes)
	if err != nil {
		return ev, err
	}
	if retryNow && run.State == string(planner.RunRunning) {
		msgs, err := tx.TaskInstanceQueueMany(ctx, run, []string{a.TaskID}, now)
		if err != nil {
			return ev, err
		}
		ev.msgs = append(ev.msgs, msgs...)
	}
	return ev, nil
}
