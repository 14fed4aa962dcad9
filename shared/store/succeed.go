package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TaskSucceedLockMany records the successes of ps (RunPK, TaskID,
// TryNumber, Now, Result) in the transaction, in one round trip with its
// BEGIN: it locks the runs no other transaction holds, records each
// success whose attempt still runs under that try (recorded), pending
// unless its run is locked here, and takes the locked runs' pending
// completions. taken lists the runs locked here with those completions
// and this batch's own successes of that run: the caller folds them in
// the same transaction. asyncCommit: see TaskLockForFinish.
func (t *Tx) TaskSucceedLockMany(ctx context.Context, ps []TaskFinishParams, asyncCommit bool) (recorded []bool, taken []TakenRun, err error) {
	n := len(ps)
	runs, tries := make([]int64, n), make([]int32, n)
	tasks, results := make([]string, n), make([]*string, n)
	ends := make([]time.Time, n)
	var distinct []int64
	seen := map[int64]bool{}
	for i, p := range ps {
		runs[i], tasks[i], tries[i], ends[i] = p.RunPK, p.TaskID, int32(p.TryNumber), p.Now
		if len(p.Result) > 0 {
			r := string(p.Result)
			results[i] = &r
		}
		if !seen[p.RunPK] {
			seen[p.RunPK] = true
			distinct = append(distinct, p.RunPK)
		}
	}
	b := &pgx.Batch{}
	b.Queue(q("TaskSucceedLockMany"), runs, tasks, tries, ends, results)
	// The runs locked by the statement above are not skipped here: this
	// transaction holds them.
	b.Queue(q("RunsTryLockTakePending"), distinct)
	br := t.sendBatch(ctx, b, asyncCommit)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, nil, err
	}
	recorded = make([]bool, n)
	own := make([]bool, n) // recorded and folded here (not pending)
	for rows.Next() {
		var idx int64
		var pending bool
		if err := rows.Scan(&idx, &pending); err != nil {
			rows.Close()
			return nil, nil, err
		}
		recorded[idx-1], own[idx-1] = true, !pending
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = br.Query()
	if err != nil {
		return nil, nil, err
	}
	if taken, err = collectTakenRuns(rows); err != nil {
		return nil, nil, err
	}
	byRun := map[int64]*TakenRun{}
	for i := range taken {
		byRun[taken[i].Run.PK] = &taken[i]
	}
	for i, p := range ps {
		if !own[i] {
			continue
		}
		tr := byRun[p.RunPK]
		if tr == nil {
			// Cannot be: this transaction holds that run's lock. Failing
			// rolls the batch back (its requests then go alone).
			return nil, nil, fmt.Errorf("run %d locked for a success but not taken", p.RunPK)
		}
		tr.Pending = append(tr.Pending, Pending{TaskID: p.TaskID, State: "success"})
	}
	return recorded, taken, br.Close()
}
