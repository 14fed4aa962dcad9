package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RunInsertParams creates a run.
type RunInsertParams struct {
	DagID, RunID, RunType, VersionHash string
	LogicalDate                        time.Time
	DataIntervalStart, DataIntervalEnd time.Time
	Conf, Params                       json.RawMessage
	Now                                time.Time
	// Tasks are the run's task instances, created in state none.
	Tasks []TaskSeed
	// IgnorePause: the run's tasks go on while its DAG is paused (`local
	// dag run`, as `airflow dags test`).
	IgnorePause bool
	// TriggeredBy is the key of the trigger-dag task instance that asks
	// for the run (TaskTriggerKey), or empty.
	TriggeredBy string
}

// TaskSeed is a task instance to create with a run.
type TaskSeed struct {
	TaskID, Function string
	MaxTries         int
}

// RunInsert creates a queued run and its task instances and returns the
// run, and whether its DAG is paused (the DAG's row is share-locked until
// commit: no unpause in between). created is false (and nothing is
// written) when a run with that id exists already.
func (t *Tx) RunInsert(ctx context.Context, p *RunInsertParams) (run Run, created, dagPaused bool, err error) {
	return insertOne(ctx, t.tx, p)
}

// RunInsert is Tx.RunInsert as a transaction of its own: one statement,
// one round trip (a trigger with nothing else to do in its transaction).
func (s *Store) RunInsert(ctx context.Context, p *RunInsertParams) (run Run, created, dagPaused bool, err error) {
	return insertOne(ctx, s.Pool, p)
}

// RunInsertMany creates several runs of one DAG version with the same
// tasks (a backfill) in one statement, and returns those created (a run
// whose id exists already is skipped), in logical date order.
func (t *Tx) RunInsertMany(ctx context.Context, ps []*RunInsertParams) ([]Run, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	runs, _, err := insertRuns(ctx, t.tx, ps)
	return runs, err
}

// querier is what RunInsert runs its statement on: a transaction or the pool.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func insertOne(ctx context.Context, on querier, p *RunInsertParams) (run Run, created, dagPaused bool, err error) {
	runs, dagPaused, err := insertRuns(ctx, on, []*RunInsertParams{p})
	if err != nil || len(runs) == 0 {
		return Run{}, false, false, err
	}
	return runs[0], true, dagPaused, nil
}

// insertRuns runs the RunInsert statement for runs of one DAG version
// with the same tasks.
func insertRuns(ctx context.Context, on querier, ps []*RunInsertParams) (runs []Run, dagPaused bool, err error) {
	first := ps[0]
	n := len(ps)
	runIDs, types := make([]string, n), make([]string, n)
	logical, start, end := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	conf, params := make([]json.RawMessage, n), make([]json.RawMessage, n)
	for i, p := range ps {
		if p.DagID != first.DagID || p.VersionHash != first.VersionHash || len(p.Tasks) != len(first.Tasks) || p.IgnorePause != first.IgnorePause ||
			(n > 1 && p.TriggeredBy != "") {
			return nil, false, fmt.Errorf("RunInsert: run %s is not of %s@%s like the first", p.RunID, first.DagID, first.VersionHash)
		}
		runIDs[i], types[i] = p.RunID, p.RunType
		logical[i], start[i], end[i] = p.LogicalDate, p.DataIntervalStart, p.DataIntervalEnd
		conf[i], params[i] = p.Conf, p.Params
	}
	ids := make([]string, len(first.Tasks))
	fns := make([]string, len(first.Tasks))
	tries := make([]int32, len(first.Tasks))
	for i, s := range first.Tasks {
		ids[i], fns[i], tries[i] = s.TaskID, s.Function, int32(s.MaxTries)
	}
	rows, err := on.Query(ctx, q("RunInsert"), first.DagID, runIDs, types, logical, start, end, conf, params,
		first.VersionHash, first.Now, ids, fns, tries, first.IgnorePause, first.TriggeredBy)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRunWith(rows, nil, []any{&dagPaused})
		if err != nil {
			return nil, false, err
		}
		runs = append(runs, r)
	}
	return runs, dagPaused, rows.Err()
}

func scanRun(row pgx.Row) (Run, error) {
	r, err := scanRunWith(row, nil, nil)
	return r, notFound(err)
}

// scanRunWith scans a row holding pre's columns, a run's columns (in
// dag_run's order, as scanRun) and post's columns.
func scanRunWith(row pgx.Row, pre, post []any) (Run, error) {
	var r Run
	var started, ended *time.Time
	dest := append(pre[:len(pre):len(pre)], &r.PK, &r.DagID, &r.RunID, &r.RunType, &r.VersionHash, &r.State, &r.LogicalDate,
		&r.DataIntervalStart, &r.DataIntervalEnd, &r.Conf, &r.Params, &r.QueuedAt, &started, &ended)
	err := row.Scan(append(dest, post...)...)
	r.StartedAt, r.EndedAt = ts(started), ts(ended)
	return r, err
}

func (t *Tx) runs(ctx context.Context, query string, args ...any) ([]Run, error) {
	rows, err := t.tx.Query(ctx, q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RunGet returns a run by its ids.
func (t *Tx) RunGet(ctx context.Context, dagID, runID string) (Run, error) {
	return scanRun(t.tx.QueryRow(ctx, q("RunGet"), dagID, runID))
}

// RunLock returns a run locked until the transaction ends: every change
// to a run's task states happens under this lock, so two tasks completing
// at once both see each other's outcome.
func (t *Tx) RunLock(ctx context.Context, pk int64) (Run, error) {
	return scanRun(t.tx.QueryRow(ctx, q("RunLock"), pk))
}

// RunLockActiveMany locks up to limit running runs that nobody holds.
func (t *Tx) RunLockActiveMany(ctx context.Context, limit int) ([]Run, error) {
	return t.runs(ctx, "RunLockActiveMany", limit)
}

// RunList returns a DAG's latest runs.
func (t *Tx) RunList(ctx context.Context, dagID string, limit int) ([]Run, error) {
	return t.runs(ctx, "RunList", dagID, limit)
}

// RunCountRunning counts a DAG's running runs.
func (t *Tx) RunCountRunning(ctx context.Context, dagID string) (n int, err error) {
	err = t.tx.QueryRow(ctx, q("RunCountRunning"), dagID).Scan(&n)
	return n, err
}

// RunCountQueued counts a DAG's queued runs.
func (t *Tx) RunCountQueued(ctx context.Context, dagID string) (n int, err error) {
	err = t.tx.QueryRow(ctx, q("RunCountQueued"), dagID).Scan(&n)
	return n, err
}

// RunCountActive counts a DAG's queued and running runs other than
// backfills (Airflow's active_non_backfill_runs).
func (t *Tx) RunCountActive(ctx context.Context, dagID string) (n int, err error) {
	err = t.tx.QueryRow(ctx, q("RunCountActive"), dagID).Scan(&n)
	return n, err
}

// RunListQueued locks and returns a DAG's oldest queued runs.
func (t *Tx) RunListQueued(ctx context.Context, dagID string, limit int) ([]Run, error) {
	return t.runs(ctx, "RunListQueued", dagID, limit)
}

// RunDagsWithQueued lists the DAGs that have queued runs.
func (t *Tx) RunDagsWithQueued(ctx context.Context) ([]string, error) {
	rows, err := t.tx.Query(ctx, q("RunDagsWithQueued"))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// RunSetState sets a run's state and its start or end time.
func (t *Tx) RunSetState(ctx context.Context, pk int64, state string, now time.Time) error {
	return t.RunSetStateMany(ctx, []RunNewState{{PK: pk, State: state}}, now)
}

// RunLogicalDatesAt returns which of the dates (by UnixMicro) have a
// scheduled or backfill run.
func (t *Tx) RunLogicalDatesAt(ctx context.Context, dagID string, dates []time.Time) (map[int64]bool, error) {
	rows, err := t.tx.Query(ctx, q("RunLogicalDatesAt"), dagID, dates)
	if err != nil {
		return nil, err
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(got))
	for _, d := range got {
		out[d.UnixMicro()] = true
	}
	return out, nil
}

// RunGetByPK reads a run by its primary key.
func (t *Tx) RunGetByPK(ctx context.Context, pk int64) (Run, error) {
	return scanRun(t.tx.QueryRow(ctx, q("RunGetByPK"), pk))
}

// RunListBefore returns a DAG's runs that come after the cursor
// (before, beforeID) in RunList's order (logical_date DESC, id DESC): the
// runs before that date, and those at that date with an id below
// beforeID (0: none of them). Newest first, at most limit.
func (t *Tx) RunListBefore(ctx context.Context, dagID string, before time.Time, beforeID int64, limit int) ([]Run, error) {
	return t.runs(ctx, "RunListBefore", dagID, before, beforeID, limit)
}

// RunGetTriggeredBy returns the run created for a trigger-dag task
// instance's key, if any.
func (s *Store) RunGetTriggeredBy(ctx context.Context, key string) (Run, bool, error) {
	r, err := scanRun(s.Pool.QueryRow(ctx, q("RunGetTriggeredBy"), key))
	if errors.Is(err, ErrNotFound) {
		return Run{}, false, nil
	}
	return r, err == nil, err
}

// TaskTriggerKey returns the key of a task instance's current series of
// tries: retries share it, a clear changes it.
func (s *Store) TaskTriggerKey(ctx context.Context, dagID, runID, taskID string) (string, error) {
	var key string
	err := s.Pool.QueryRow(ctx, q("TaskTriggerKey"), dagID, runID, taskID).Scan(&key)
	return key, notFound(err)
}
