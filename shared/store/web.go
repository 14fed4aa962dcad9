package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// DagSummary is a DAG with its latest runs (the web's DAG list).
type DagSummary struct {
	Dag
	// Runs are the latest runs, newest first.
	Runs []RunState
}

// RunState is a run reduced to what a status dot needs.
type RunState struct {
	RunID       string
	State       string
	LogicalDate time.Time
}

// DagListWithRunsParams asks for every DAG and its latest runs.
type DagListWithRunsParams struct {
	// Runs is how many latest runs per DAG. Default 10.
	Runs int
}

// DagListWithRuns returns every DAG with its latest runs, in one query.
func (t *Tx) DagListWithRuns(ctx context.Context, p *DagListWithRunsParams) ([]DagSummary, error) {
	n := p.Runs
	if n <= 0 {
		n = 10
	}
	rows, err := t.tx.Query(ctx, q("DagListWithRuns"), n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (DagSummary, error) {
		var d DagSummary
		var last *time.Time
		var ids, states []string
		var dates []time.Time
		err := r.Scan(&d.DagID, &d.VersionHash, &d.IsPaused, &d.Schedule, &last, &ids, &states, &dates)
		d.LastIntervalEnd = ts(last)
		for i := range ids {
			d.Runs = append(d.Runs, RunState{RunID: ids[i], State: states[i], LogicalDate: dates[i]})
		}
		return d, err
	})
}

// Cell is a task instance reduced to what the grid shows.
type Cell struct {
	RunPK     int64
	TaskID    string
	State     string
	TryNumber int
	StartedAt time.Time
	EndedAt   time.Time
}

// TaskInstanceListCellsParams names the runs of a grid.
type TaskInstanceListCellsParams struct {
	RunPKs []int64
}

// TaskInstanceListCells returns the task instances of several runs, in one query.
func (t *Tx) TaskInstanceListCells(ctx context.Context, p *TaskInstanceListCellsParams) ([]Cell, error) {
	if len(p.RunPKs) == 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, q("TaskInstanceListCells"), p.RunPKs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Cell, error) {
		var c Cell
		var started, ended *time.Time
		err := r.Scan(&c.RunPK, &c.TaskID, &c.State, &c.TryNumber, &started, &ended)
		c.StartedAt, c.EndedAt = ts(started), ts(ended)
		return c, err
	})
}

// TaskAttemptGetByLogKeyParams names a log of a run.
type TaskAttemptGetByLogKeyParams struct {
	RunPK  int64
	LogKey string
}

// TaskAttemptGetByLogKey returns the task id and attempt whose log is at
// LogKey in that run, or ErrNotFound.
func (t *Tx) TaskAttemptGetByLogKey(ctx context.Context, p *TaskAttemptGetByLogKeyParams) (taskID string, a Attempt, err error) {
	var ended *time.Time
	var errText *string
	err = t.tx.QueryRow(ctx, q("TaskAttemptGetByLogKey"), p.RunPK, p.LogKey).Scan(&taskID, &a.TryNumber, &a.State,
		&a.StartedAt, &ended, &errText, &a.RequestID, &a.LogKey, &a.Completions)
	a.EndedAt = ts(ended)
	if errText != nil {
		a.Error = *errText
	}
	return taskID, a, notFound(err)
}

// TaskAttemptListByRunParams names a run.
type TaskAttemptListByRunParams struct {
	DagID, RunID string
}

// TaskAttempt is an attempt with its task's id.
type TaskAttempt struct {
	TaskID string
	Attempt
}

// TaskAttemptListByRun returns every attempt of a run, by task id then
// try number, in one query (none when the run does not exist).
func (t *Tx) TaskAttemptListByRun(ctx context.Context, p *TaskAttemptListByRunParams) ([]TaskAttempt, error) {
	rows, err := t.tx.Query(ctx, q("TaskAttemptListByRun"), p.DagID, p.RunID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (TaskAttempt, error) {
		var a TaskAttempt
		var ended *time.Time
		var errText *string
		err := r.Scan(&a.TaskID, &a.TryNumber, &a.State, &a.StartedAt, &ended, &errText, &a.RequestID, &a.LogKey, &a.Completions)
		a.EndedAt = ts(ended)
		if errText != nil {
			a.Error = *errText
		}
		return a, err
	})
}
