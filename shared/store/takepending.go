package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// TakenRun is a run locked by RunsTryLockTakePending, with the pending
// completions it took.
type TakenRun struct {
	Run     Run
	Pending []Pending
}

// RunsTryLockTakePending locks those of the runs that no other
// transaction holds (never waiting) and takes their pending completions;
// the runs it could not lock are left out. asyncCommit: see
// TaskLockForFinish.
func (t *Tx) RunsTryLockTakePending(ctx context.Context, runPKs []int64, asyncCommit bool) ([]TakenRun, error) {
	b := &pgx.Batch{}
	b.Queue(q("RunsTryLockTakePending"), runPKs)
	br := t.sendBatch(ctx, b, asyncCommit)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	out, err := collectTakenRuns(rows)
	if err != nil {
		return nil, err
	}
	return out, br.Close()
}

// collectTakenRuns reads RunsTryLockTakePending's rows (ordered by run).
func collectTakenRuns(rows pgx.Rows) ([]TakenRun, error) {
	defer rows.Close()
	var out []TakenRun
	for rows.Next() {
		var taskID, state *string
		run, err := scanRunWith(rows, nil, []any{&taskID, &state})
		if err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Run.PK != run.PK {
			out = append(out, TakenRun{Run: run})
		}
		if taskID != nil {
			last := &out[len(out)-1]
			last.Pending = append(last.Pending, Pending{TaskID: *taskID, State: *state})
		}
	}
	return out, rows.Err()
}
