package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lvao/dataplatform/shared/planner"
	"github.com/lvao/dataplatform/shared/store"
)

// MaxResultSize bounds a task's JSON result (XCom-like): large outputs go
// to S3 artifacts.
const MaxResultSize = 64 << 10

// errNotRunning rolls back a completion whose attempt no longer runs.
var errNotRunning = errors.New("attempt no longer running under that try")

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
// false. Completions of one run proceed in parallel (the conditional
// update of the attempt's task keeps them exactly-once). The one that gets
// the run's lock (SKIP LOCKED, never waiting) folds its outcome, and those
// left pending by the others, into the downstream tasks' counts and the
// run's unfinished count, in the same transaction, and queues the tasks
// made ready; the others record their outcome as pending and leave. So a
// wide fan-in's counts are updated once per batch of completions instead
// of once per completion serialised on the run. After its commit (in the
// same round trip) the lock's holder checks for outcomes left pending
// meanwhile, and a completion that left its outcome pending probes the
// lock; either then runs propagate (see there why none is left behind).
// Messages are published after commit; a deadlock is retried.
// Successes that arrive together in one process are recorded in one
// transaction, all pending, then propagated (succeed.go).
func (e *Engine) Complete(ctx context.Context, a AttemptRef, out Outcome) (recorded bool, err error) {
	if out.Err == nil && len(out.Result) > MaxResultSize {
		out = Outcome{Err: fmt.Errorf("task result is %d bytes, over the %d bytes limit: write large outputs as artifacts", len(out.Result), MaxResultSize)}
	}
	if out.Err == nil && !out.SkipDownstream {
		recorded, err = e.succeed(ctx, a, out.Result)
	} else {
		recorded, err = e.complete(ctx, a, out)
	}
	if err == nil && !recorded {
		// The attempt no longer ran: if it was cleared while running,
		// its new try waited for it to stop, which it has.
		err = e.releaseCleared(context.WithoutCancel(ctx), a)
	}
	return recorded, err
}

// releaseCleared queues the new try of a task cleared while attempt a ran
// (Clear made it wait, up_for_retry, until a stopped); nothing otherwise.
func (e *Engine) releaseCleared(ctx context.Context, a AttemptRef) error {
	now := e.now()
	ok, err := e.cfg.Store.TaskInstanceReleaseCleared(ctx, a.RunPK, a.TaskID, a.TryNumber, now)
	if err != nil || !ok {
		return err
	}
	_, err = e.queueRetriesOf(ctx, a.RunPK, now)
	return err
}

// complete records one outcome in its own transaction (see Complete).
func (e *Engine) complete(ctx context.Context, a AttemptRef, out Outcome) (recorded bool, err error) {
	var ev evaluation
	var pending bool
	for try := 0; ; try++ {
		pending, err = e.cfg.Store.InTxCheckPending(ctx, a.RunPK, func(tx *store.Tx) error {
			ev, recorded = evaluation{}, false
			var target store.FinishTarget
			var ok bool
			var err error
			// A success needs nothing of the task's row to be decided: it
			// is recorded by a conditional update without locking the row
			// first (a failure reads max_tries under the lock to decide on
			// a retry; a short-circuit skips the downstream tasks first).
			succeed := out.Err == nil && !out.SkipDownstream
			if succeed {
				target, ok, err = tx.TaskSucceed(ctx, &store.TaskFinishParams{RunPK: a.RunPK, TaskID: a.TaskID,
					TryNumber: a.TryNumber, Now: e.now(), Result: out.Result}, !e.cfg.SyncCommit)
			} else {
				target, ok, err = tx.TaskLockForFinish(ctx, a.RunPK, a.TaskID, a.TryNumber, !e.cfg.SyncCommit)
			}
			if err != nil {
				return err
			}
			if !ok {
				// Roll back: TaskSucceed may have taken pending outcomes.
				return errNotRunning
			}
			if ev, err = e.finishAttempt(ctx, tx, &target, a, out, succeed); err != nil {
				return err
			}
			recorded = true
			return nil
		})
		if errors.Is(err, errNotRunning) {
			return false, nil
		}
		if err == nil || !store.IsRetryable(err) || try >= 5 {
			break
		}
	}
	if err != nil {
		return false, err
	}
	var again []int64
	if pending {
		again = []int64{a.RunPK}
	}
	return recorded, e.afterBatch(ctx, ev, again)
}

// finishAttempt writes the outcome of a running attempt (locked by the
// caller) and, when the caller holds the run's lock, propagates it to the
// downstream tasks; otherwise the outcome is left pending.
// recorded: TaskSucceed wrote the outcome already.
func (e *Engine) finishAttempt(ctx context.Context, tx *store.Tx, target *store.FinishTarget, a AttemptRef, out Outcome, recorded bool) (evaluation, error) {
	run := &target.Run
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
	var prop propagation
	if out.Err == nil {
		p.State, p.AttemptOK, p.Result = string(planner.StateSuccess), true, out.Result
	} else {
		p.Error = out.Err.Error()
		policy := c.spec.Policy(task)
		if a.TryNumber < target.MaxTries && !out.NoRetry {
			// Failures since the last clear: the first retry waits retry_delay.
			failed := a.TryNumber - (target.MaxTries - policy.Retries - 1)
			delay := policy.Delay(failed)
			p.State, p.NextRetryAt = string(planner.StateUpForRetry), now.Add(delay)
			if delay == 0 {
				prop.toQueue = append(prop.toQueue, a.TaskID)
			}
		} else {
			p.State = string(planner.StateFailed)
		}
	}
	p.Pending = !target.Locked && planner.State(p.State).Finished()
	p.Recorded = recorded
	changes := []stateChange{{taskID: a.TaskID, old: planner.StateRunning, new: planner.State(p.State)}}
	if out.Err == nil && out.SkipDownstream {
		skipped, err := tx.TaskInstanceSetStateMany(ctx, run.PK, c.graph.Downstream(a.TaskID), string(planner.StateSkipped), now, !target.Locked)
		if err != nil {
			return evaluation{}, err
		}
		for _, id := range skipped {
			changes = append(changes, stateChange{taskID: id, old: planner.StateNone, new: planner.StateSkipped})
		}
	}
	if !target.Locked && len(changes) == 1 && len(prop.toQueue) == 0 {
		// Only the attempt's own rows, committed at once: the holder of
		// the run's lock, or propagate after commit, folds the outcome in.
		if err := tx.TaskFinishPendingCommit(ctx, p); err != nil {
			return evaluation{}, fmt.Errorf("error recording outcome of %s: %w", a.TaskID, err)
		}
		return evaluation{}, nil
	}
	if !target.Locked {
		if _, err := tx.TaskFinishAndCount(ctx, p, nil); err != nil {
			return evaluation{}, fmt.Errorf("error recording outcome of %s: %w", a.TaskID, err)
		}
		var ev evaluation
		if len(prop.toQueue) > 0 && run.State == string(planner.RunRunning) {
			// A run does not end while one of its tasks runs: still running.
			ev.msgs, err = tx.TaskInstanceQueueMany(ctx, run, prop.toQueue, now)
		}
		return ev, err
	}
	changes = append(changes, pendingChanges(target.Pending)...)
	w := waveOf(c, changes)
	prop.unfinished += w.unfinished
	if ready, waiting, ok := readyFromOutcome(c, changes, w); ok && len(prop.toQueue) == 0 && run.State == string(planner.RunRunning) {
		// A chain's step: one round trip records the outcome and queues
		// the next task.
		msgs, notQueued, left, err := tx.TaskFinishCountQueue(ctx, p, waiting, ready, run, prop.unfinished)
		if err != nil {
			return evaluation{}, fmt.Errorf("error recording outcome of %s: %w", a.TaskID, err)
		}
		// Ready tasks that were not waiting (cleared or marked before
		// their upstream finished) still count the outcome.
		if _, err := tx.TaskInstanceAddUpstreamCountsReturning(ctx, run.PK, notQueued); err != nil {
			return evaluation{}, err
		}
		return e.endIfDone(ctx, tx, run, c, evaluation{msgs: msgs}, left, prop.unfinished, changes, nil)
	}
	cands, err := tx.TaskFinishAndCount(ctx, p, w.deltas)
	if err != nil {
		return evaluation{}, fmt.Errorf("error recording outcome of %s: %w", a.TaskID, err)
	}
	prop.changes = append(prop.changes, changes...)
	next, err := e.decide(ctx, tx, run, c, cands, &prop)
	if err != nil {
		return evaluation{}, err
	}
	if err := e.cascade(ctx, tx, run, c, next, &prop); err != nil {
		return evaluation{}, err
	}
	return e.settle(ctx, tx, run, c, &prop)
}
