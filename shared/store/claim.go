package store

import (
	"context"
	"errors"
	"time"

	"github.com/lvao/dataplatform/shared/coalesce"
)

// Claims that arrive together in one process (the harness, a benchmark:
// many task requests in flight) share one statement instead of one each
// (package coalesce). A lone claim (a deployed function instance serves
// one request at a time) is one statement, as before. Each claim is still
// a conditional update of its own attempt, so exactly-once is unchanged.

const (
	// claimBatches bounds the claim statements in flight at once: few, so
	// that the claims arriving meanwhile go together.
	claimBatches = 2
	// maxClaimBatch bounds the claims of one statement.
	maxClaimBatch = 128
)

type claimRequest struct {
	ctx context.Context
	p   *TaskClaimParams
}

type claimResult struct {
	run Run
	ok  bool
	err error
}

func (s *Store) newClaims() *coalesce.Group[claimRequest, claimResult] {
	return coalesce.New(claimBatches, maxClaimBatch, s.claimBatch)
}

// TaskClaim claims an attempt and returns its run; ok is false when the
// message is a duplicate or stale.
func (s *Store) TaskClaim(ctx context.Context, p *TaskClaimParams) (run Run, ok bool, err error) {
	r := s.claims.Do(claimRequest{ctx: ctx, p: p})
	return r.run, r.ok, r.err
}

// claimBatch claims every request of batch, in one statement (run by the
// first request's caller, whatever the others' contexts).
func (s *Store) claimBatch(batch []claimRequest) []claimResult {
	ctx := context.WithoutCancel(batch[0].ctx)
	out := make([]claimResult, len(batch))
	if len(batch) == 1 {
		out[0] = s.claimOne(ctx, batch[0].p)
		return out
	}
	n := len(batch)
	dags, runs, tasks, requests, logs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	tries := make([]int32, n)
	nows, leases := make([]time.Time, n), make([]time.Time, n)
	for i, r := range batch {
		p := r.p
		dags[i], runs[i], tasks[i], tries[i] = p.DagID, p.RunID, p.TaskID, int32(p.TryNumber)
		nows[i], leases[i], requests[i], logs[i] = p.Now, p.LeaseUntil, p.RequestID, p.LogKey
	}
	var err error
	for try := 0; ; try++ {
		clear(out)
		err = s.claimRows(ctx, out, dags, runs, tasks, tries, nows, leases, requests, logs)
		// Two batches holding duplicates of the same attempts may
		// deadlock: the statement is atomic, run it again.
		if err == nil || !IsRetryable(err) || try >= 5 {
			break
		}
	}
	if err != nil {
		// One claim must not fail the others (a fault that is not the
		// database's): each goes alone.
		for i, r := range batch {
			out[i] = s.claimOne(ctx, r.p)
		}
	}
	return out
}

// claimOne claims one attempt in one statement.
func (s *Store) claimOne(ctx context.Context, p *TaskClaimParams) claimResult {
	run, err := scanRun(s.Pool.QueryRow(ctx, q("TaskClaimRun"), p.DagID, p.RunID, p.TaskID, p.TryNumber,
		p.Now, p.LeaseUntil, p.RequestID, p.LogKey))
	if errors.Is(err, ErrNotFound) {
		return claimResult{}
	}
	return claimResult{run: run, ok: err == nil, err: err}
}

func (s *Store) claimRows(ctx context.Context, out []claimResult, args ...any) error {
	rows, err := s.Pool.Query(ctx, q("TaskClaimRuns"), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		r, err := scanRunWith(rows, []any{&idx}, nil)
		if err != nil {
			return err
		}
		out[idx-1] = claimResult{run: r, ok: true}
	}
	return rows.Err()
}
