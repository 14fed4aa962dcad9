package engine

import (
	"context"
	"encoding/json"

	"github.com/lvao/dataplatform/shared/store"
)

// Successes that arrive together in one process (many task requests in
// flight: the harness, a benchmark) are recorded in one transaction
// instead of one each (package coalesce), all as pending outcomes; then
// the batch's first caller propagates them, folding the batch's outcomes
// of every run in one transaction under the runs' locks. A lone success (a
// deployed function instance serves one request at a time, an idle
// harness) takes the one-transaction path of complete, which records it
// and queues the next task at once.

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
	// propagate: the runs whose pending outcomes this caller folds (the
	// batch's first caller: every run with a success recorded).
	propagate []int64
}

// succeed records a success, alone or in a batch, and propagates it.
func (e *Engine) succeed(ctx context.Context, a AttemptRef, result json.RawMessage) (bool, error) {
	r := e.successes.Do(successCall{ctx: ctx, a: a, result: result})
	if r.err != nil || len(r.propagate) == 0 {
		return r.recorded, r.err
	}
	return r.recorded, e.propagateMany(context.WithoutCancel(ctx), r.propagate)
}

// succeedBatch records batch's successes (see succeed).
func (e *Engine) succeedBatch(batch []successCall) []successAnswer {
	out := make([]successAnswer, len(batch))
	if len(batch) == 1 {
		c := batch[0]
		out[0].recorded, out[0].err = e.complete(context.WithoutCancel(c.ctx), c.a, Outcome{Result: c.result})
		return out
	}
	ps := make([]store.TaskFinishParams, len(batch))
	now := e.now()
	for i, c := range batch {
		ps[i] = store.TaskFinishParams{RunPK: c.a.RunPK, TaskID: c.a.TaskID, TryNumber: c.a.TryNumber, Now: now, Result: c.result}
	}
	recorded, err := e.cfg.Store.TaskSucceedPendingMany(context.WithoutCancel(batch[0].ctx), ps, !e.cfg.SyncCommit)
	if err != nil {
		// One success must not fail the others: each goes alone.
		for i, c := range batch {
			out[i].recorded, out[i].err = e.complete(c.ctx, c.a, Outcome{Result: c.result})
		}
		return out
	}
	seen := map[int64]bool{}
	for i, c := range batch {
		out[i].recorded = recorded[i]
		if recorded[i] && !seen[c.a.RunPK] {
			seen[c.a.RunPK] = true
			out[0].propagate = append(out[0].propagate, c.a.RunPK)
		}
	}
	return out
}
