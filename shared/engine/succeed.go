package engine

import (
	"context"
	"encoding/json"

	"github.com/lvao/dataplatform/shared/store"
)

// Successes that arrive together in one process (many task requests in
// flight: the harness, a benchmark) are recorded in one transaction
// instead of one each (package coalesce). That transaction locks the runs
// no other transaction holds and folds their outcomes in (each run's
// step of a chain for all runs in one round trip); the successes of runs
// locked elsewhere are left pending, for the holder of the lock or, after
// commit, for the batch's first caller (propagateMany). A lone success (a
// deployed function instance serves one request at a time, an idle
// harness) takes complete's one-transaction path.

const (
	// successBatches bounds the success batches in flight at once.
	successBatches = 2
	// maxSuccessBatch bounds the successes of one batch.
	maxSuccessBatch = 128
)

type successCall struct {
	ctx    context.Context
	a      AttemptRef
	result json.RawMessage
}

type successAnswer struct {
	recorded bool
	err      error
	// The batch's first caller publishes what the batch queued (ev) and
	// propagates the runs left with pending outcomes (again).
	ev    evaluation
	again []int64
}

// succeed records a success, alone or in a batch, and propagates it.
func (e *Engine) succeed(ctx context.Context, a AttemptRef, result json.RawMessage) (bool, error) {
	r := e.successes.Do(successCall{ctx: ctx, a: a, result: result})
	if r.err != nil {
		return r.recorded, r.err
	}
	return r.recorded, e.afterBatch(context.WithoutCancel(ctx), r.ev, r.again)
}

// afterBatch publishes what a completion (or a batch of them) queued,
// starts the runs waiting for those it ended, and folds the outcomes left
// pending on the runs again.
func (e *Engine) afterBatch(ctx context.Context, ev evaluation, again []int64) error {
	if err := e.afterCommit(ctx, ev); err != nil {
		return err
	}
	if err := e.startQueuedRunsAfter(ctx, ev); err != nil {
		return err
	}
	return e.propagateMany(ctx, again)
}

// succeedBatch records batch's successes (see succeed).
func (e *Engine) succeedBatch(batch []successCall) []successAnswer {
	out := make([]successAnswer, len(batch))
	if len(batch) == 1 {
		c := batch[0]
		out[0].recorded, out[0].err = e.complete(context.WithoutCancel(c.ctx), c.a, Outcome{Result: c.result})
		return out
	}
	ctx := context.WithoutCancel(batch[0].ctx)
	ps := make([]store.TaskFinishParams, len(batch))
	now := e.now()
	for i, c := range batch {
		ps[i] = store.TaskFinishParams{RunPK: c.a.RunPK, TaskID: c.a.TaskID, TryNumber: c.a.TryNumber, Now: now, Result: c.result}
	}
	var recorded []bool
	var runs, again []int64
	var ev evaluation
	var err error
	for try := 0; ; try++ {
		again, err = e.cfg.Store.InTxCheckPendingRuns(ctx, func(tx *store.Tx) error {
			ev, runs = evaluation{}, nil
			var taken []store.TakenRun
			var err error
			if recorded, taken, err = tx.TaskSucceedLockMany(ctx, ps, !e.cfg.SyncCommit); err != nil {
				return err
			}
			seen := map[int64]bool{}
			for i, ok := range recorded {
				if ok && !seen[ps[i].RunPK] {
					seen[ps[i].RunPK] = true
					runs = append(runs, ps[i].RunPK)
				}
			}
			ev, err = e.foldTaken(ctx, tx, taken)
			return err
		}, func() []int64 { return runs })
		if err == nil || !store.IsRetryable(err) || try >= 5 {
			break
		}
	}
	if err != nil {
		// One success must not fail the others: each goes alone.
		for i, c := range batch {
			out[i].recorded, out[i].err = e.complete(context.WithoutCancel(c.ctx), c.a, Outcome{Result: c.result})
		}
		return out
	}
	for i := range batch {
		out[i].recorded = recorded[i]
	}
	out[0].ev, out[0].again = ev, again
	return out
}
