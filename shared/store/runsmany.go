package store

import (
	"context"
	"time"
)

// The statements of this file do for several runs at once what their
// one-run counterparts do (starting the runs a DAG had queued, ending the
// runs a batch of completions finished): one statement instead of one per
// run.

// RunNewState is a run's new state.
type RunNewState struct {
	PK    int64
	State string
}

// RunSetStateMany sets several runs' states (see RunSetState).
func (t *Tx) RunSetStateMany(ctx context.Context, runs []RunNewState, now time.Time) error {
	if len(runs) == 0 {
		return nil
	}
	pks := make([]int64, len(runs))
	states := make([]string, len(runs))
	for i, r := range runs {
		pks[i], states[i] = r.PK, r.State
	}
	_, err := t.tx.Exec(ctx, q("RunSetStateMany"), pks, states, now)
	return err
}

// RunUnfinished is a run's count of unfinished tasks.
type RunUnfinished struct {
	PK int64
	N  int
}

// RunSetUnfinishedMany sets several runs' counts of unfinished tasks.
func (t *Tx) RunSetUnfinishedMany(ctx context.Context, runs []RunUnfinished) error {
	if len(runs) == 0 {
		return nil
	}
	pks := make([]int64, len(runs))
	ns := make([]int32, len(runs))
	for i, r := range runs {
		pks[i], ns[i] = r.PK, int32(r.N)
	}
	_, err := t.tx.Exec(ctx, q("RunSetUnfinishedMany"), pks, ns)
	return err
}

// TaskInstanceListByRuns returns every task instance of the runs, by run.
func (t *Tx) TaskInstanceListByRuns(ctx context.Context, runPKs []int64) (map[int64][]TaskInstance, error) {
	tis, err := t.tis(ctx, "TaskInstanceListByRuns", runPKs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]TaskInstance, len(runPKs))
	for _, ti := range tis {
		out[ti.RunPK] = append(out[ti.RunPK], ti)
	}
	return out, nil
}

// RunTasks are tasks of one run.
type RunTasks struct {
	Run     *Run
	TaskIDs []string
}

// TaskInstanceQueueRuns queues tasks of several runs (see
// TaskInstanceQueueMany) and returns their messages.
func (t *Tx) TaskInstanceQueueRuns(ctx context.Context, sets []RunTasks, now time.Time) ([]Queued, error) {
	var pks []int64
	var ids []string
	byPK := make(map[int64]*Run, len(sets))
	for _, s := range sets {
		byPK[s.Run.PK] = s.Run
		for _, id := range s.TaskIDs {
			pks = append(pks, s.Run.PK)
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, q("TaskInstanceQueueRuns"), pks, ids, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Queued
	for rows.Next() {
		var pk int64
		var m Queued
		if err := rows.Scan(&pk, &m.TaskID, &m.Function, &m.TryNumber); err != nil {
			return nil, err
		}
		r := byPK[pk]
		m.DagID, m.RunID = r.DagID, r.RunID
		out = append(out, m)
	}
	return out, rows.Err()
}
