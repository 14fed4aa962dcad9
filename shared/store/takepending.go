package store

import (
	"context"
	"fmt"
	"time"

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
		var run Run
		var taskID, state *string
		var started, ended *time.Time
		if err := rows.Scan(&run.PK, &run.DagID, &run.RunID, &run.RunType, &run.VersionHash, &run.State,
			&run.LogicalDate, &run.DataIntervalStart, &run.DataIntervalEnd, &run.Conf, &run.Params,
			&run.QueuedAt, &started, &ended, &taskID, &state); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Run.PK != run.PK {
			run.StartedAt, run.EndedAt = ts(started), ts(ended)
			out = append(out, TakenRun{Run: run})
		}
		if taskID != nil {
			last := &out[len(out)-1]
			last.Pending = append(last.Pending, Pending{TaskID: *taskID, State: *state})
		}
	}
	return out, rows.Err()
}

// InTxCheckPendingRuns is InTxCheckPending for several runs: it runs fn
// in a transaction, then commits and, in the same round trip, returns
// those of check()'s runs (called after fn) that have pending completions
// (a fresh snapshot taken after the commit released the locks).
func (s *Store) InTxCheckPendingRuns(ctx context.Context, fn func(*Tx) error, check func() []int64) ([]int64, error) {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("error beginning transaction: %w", err)
	}
	// Release destroys a connection left in a transaction or busy.
	defer conn.Release()
	t := &pipeTx{conn: conn}
	if err := fn(&Tx{tx: t}); err != nil {
		if t.begun {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "rollback")
		}
		return nil, err
	}
	b := &pgx.Batch{}
	if t.begun {
		b.Queue("commit")
	}
	b.Queue(q("RunsWithPending"), check())
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	if t.begun {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("error committing transaction: %w", err)
		}
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	pending, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	return pending, br.Close()
}
