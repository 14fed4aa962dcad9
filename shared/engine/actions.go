package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lvao/dataplatform/shared/planner"
	"github.com/lvao/dataplatform/shared/store"
	"github.com/lvao/dataplatform/shared/tasklog"
)

// ClearParams re-runs tasks of a run (Airflow's clear).
type ClearParams struct {
	DagID, RunID      string
	TaskIDs           []string // empty: every task
	IncludeDownstream bool
	// DryRun only tells which tasks would be cleared; nothing changes.
	DryRun bool
}

// Clear resets the tasks (and their downstream when asked) to none for a
// new try with their retries again; the run goes back to work.
func (e *Engine) Clear(ctx context.Context, p ClearParams) ([]string, error) {
	var cleared []string
	var ev evaluation
	err := e.inTxRetried(ctx, func(tx *store.Tx) error {
		cleared, ev = nil, evaluation{}
		run, err := lockRun(ctx, tx, p.DagID, p.RunID)
		if err != nil {
			return err
		}
		c, err := e.version(ctx, tx, run.DagID, run.VersionHash)
		if err != nil {
			return err
		}
		ids := p.TaskIDs
		if len(ids) == 0 {
			for _, t := range c.spec.Tasks {
				ids = append(ids, t.ID)
			}
		}
		for _, id := range ids {
			if !c.graph.Has(id) {
				return inputErrorf("task %q is not in DAG %s", id, p.DagID)
			}
		}
		if p.IncludeDownstream {
			ids = c.graph.WithDescendants(ids)
		}
		if p.DryRun {
			cleared = ids
			return nil
		}
		now := e.now()
		retries := make([]int, len(ids))
		for i, id := range ids {
			retries[i] = c.spec.Policy(c.spec.Task(id)).Retries
		}
		before, err := tx.TaskInstanceListByIDs(ctx, run.PK, ids)
		if err != nil {
			return err
		}
		// The task instances before their attempts, as a completion locks
		// them: a completing attempt is waited for, not deadlocked with.
		if err := tx.TaskInstanceReset(ctx, run.PK, ids, retries); err != nil {
			return err
		}
		// A task cleared while running gets its new try once the running
		// attempt has stopped (its heartbeat finds it cleared and cancels
		// it; its lease bounds the wait): two tries never overlap.
		var running []string
		var leases []*time.Time
		for _, ti := range before {
			var l *time.Time
			switch {
			case ti.State == string(planner.StateRunning):
				if !ti.LeaseExpiresAt.IsZero() {
					l = &ti.LeaseExpiresAt
				}
			case ti.State == string(planner.StateUpForRetry) && ti.Error == store.ClearedWaitReason:
				// Cleared again while its attempt still stops: it waits on.
				l = &ti.NextRetryAt
			default:
				continue
			}
			running = append(running, ti.TaskID)
			leases = append(leases, l)
		}
		if len(running) > 0 {
			if err := tx.TaskInstanceHoldCleared(ctx, run.PK, running, leases, now); err != nil {
				return err
			}
		}
		if err := tx.TaskAttemptAbort(ctx, run.PK, ids, string(planner.StateFailed), now, "cleared while running"); err != nil {
			return err
		}
		cleared = ids
		if run.State != string(planner.RunRunning) {
			// Back in line: the run starts again within max_active_runs.
			if err := tx.RunSetState(ctx, run.PK, string(planner.RunQueued), now); err != nil {
				return err
			}
			return nil
		}
		ev, err = e.evaluateRun(ctx, tx, &run)
		return err
	})
	if err != nil {
		return nil, err
	}
	if p.DryRun {
		return cleared, nil
	}
	if err := e.afterCommit(ctx, ev); err != nil {
		return cleared, err
	}
	return cleared, e.startQueuedRuns(ctx, p.DagID)
}

// Mark sets a task's state to success or failed by hand; a running
// attempt is abandoned (its completion will be ignored, its heartbeat
// stops it). As Airflow's set_task_instance_state (the API's PATCH of a
// task instance), its downstream tasks that are failed or upstream_failed
// are cleared, so marking a failed task success resumes the pipeline; the
// others follow their trigger rules.
func (e *Engine) Mark(ctx context.Context, dagID, runID, taskID, state string) error {
	if state != string(planner.StateSuccess) && state != string(planner.StateFailed) {
		return inputErrorf("new_state must be success or failed, got %q", state)
	}
	var ev evaluation
	var requeued bool
	err := e.inTxRetried(ctx, func(tx *store.Tx) error {
		ev, requeued = evaluation{}, false
		run, err := lockRun(ctx, tx, dagID, runID)
		if err != nil {
			return err
		}
		c, err := e.version(ctx, tx, run.DagID, run.VersionHash)
		if err != nil {
			return err
		}
		if !c.graph.Has(taskID) {
			return fmt.Errorf("task %q of DAG %s: %w", taskID, dagID, ErrNotFound)
		}
		now := e.now()
		// The task instance before its attempt, as a completion locks them.
		if err := tx.TaskInstanceMark(ctx, run.PK, taskID, state, now); err != nil {
			return err
		}
		if err := tx.TaskAttemptAbort(ctx, run.PK, []string{taskID}, state, now, "marked "+state+" while running"); err != nil {
			return err
		}
		resumed, err := e.clearFailedDownstream(ctx, tx, &run, c, taskID)
		if err != nil {
			return err
		}
		if resumed && run.State != string(planner.RunRunning) {
			// Back in line, as after a clear: the run starts again
			// within max_active_runs.
			requeued = true
			return tx.RunSetState(ctx, run.PK, string(planner.RunQueued), now)
		}
		ev, err = e.evaluateRun(ctx, tx, &run)
		return err
	})
	if err != nil {
		return err
	}
	if err := e.afterCommit(ctx, ev); err != nil {
		return err
	}
	if ev.finished || requeued {
		return e.startQueuedRuns(ctx, dagID)
	}
	return nil
}

// clearFailedDownstream resets the downstream tasks of taskID that are
// failed or upstream_failed for a new try (Airflow's clear with
// only_failed, as set_task_instance_state does), and tells whether any was.
func (e *Engine) clearFailedDownstream(ctx context.Context, tx *store.Tx, run *store.Run, c *compiled, taskID string) (bool, error) {
	down := map[string]bool{}
	for _, id := range c.graph.WithDescendants([]string{taskID}) {
		down[id] = id != taskID
	}
	tis, err := tx.TaskInstanceListByRun(ctx, run.PK)
	if err != nil {
		return false, err
	}
	var ids []string
	var retries []int
	for _, ti := range tis {
		if down[ti.TaskID] && (ti.State == string(planner.StateFailed) || ti.State == string(planner.StateUpstreamFailed)) {
			ids = append(ids, ti.TaskID)
			retries = append(retries, c.spec.Policy(c.spec.Task(ti.TaskID)).Retries)
		}
	}
	if len(ids) == 0 {
		return false, nil
	}
	return true, tx.TaskInstanceReset(ctx, run.PK, ids, retries)
}

// inTxRetried runs fn in a transaction, again on a deadlock (a clear of
// several tasks against a batch of claims or successes locking the same
// task instances in another order): fn must start afresh each time.
func (e *Engine) inTxRetried(ctx context.Context, fn func(*store.Tx) error) error {
	for try := 0; ; try++ {
		err := e.cfg.Store.InTx(ctx, fn)
		if err == nil || !store.IsRetryable(err) || try >= 5 {
			return err
		}
	}
}

// RunDoc is the run document of the API and of `local dag run --json`.
type RunDoc struct {
	DagID       string          `json:"dag_id"`
	RunID       string          `json:"run_id"`
	State       string          `json:"state"`
	LogicalDate time.Time       `json:"logical_date"`
	Conf        json.RawMessage `json:"conf"`
	StartedAt   *time.Time      `json:"started_at,omitempty"`
	EndedAt     *time.Time      `json:"ended_at,omitempty"`
	Tasks       []TaskDoc       `json:"tasks"`
}

// TaskDoc is one task of a RunDoc.
type TaskDoc struct {
	TaskID    string          `json:"task_id"`
	State     string          `json:"state"`
	TryNumber int             `json:"try_number"`
	StartedAt *time.Time      `json:"started_at"`
	EndedAt   *time.Time      `json:"ended_at"`
	LogKey    string          `json:"log_key"`
	Function  string          `json:"function,omitempty"`
	Error     string          `json:"error,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
}

// GetRun returns the run document, tasks in the DAG's order.
func (e *Engine) GetRun(ctx context.Context, dagID, runID string) (RunDoc, error) {
	var doc RunDoc
	err := e.cfg.Store.Read(ctx, func(tx *store.Tx) error {
		run, err := tx.RunGet(ctx, dagID, runID)
		if err == store.ErrNotFound {
			if _, known := e.cfg.Dags().Get(dagID); !known {
				// A DAG removed from the bundle still shows its old runs.
				if _, err := tx.DagGet(ctx, dagID); err == store.ErrNotFound {
					return fmt.Errorf("DAG %q: %w", dagID, ErrNotFound)
				}
			}
			return fmt.Errorf("run %s of DAG %s: %w", runID, dagID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		c, err := e.version(ctx, tx, run.DagID, run.VersionHash)
		if err != nil {
			return err
		}
		tis, err := tx.TaskInstanceListByRun(ctx, run.PK)
		if err != nil {
			return err
		}
		doc = NewRunDoc(run, tis)
		order := map[string]int{}
		for i, n := range c.graph.Nodes() {
			order[n.ID] = i
		}
		sortTasks(doc.Tasks, order)
		return nil
	})
	return doc, err
}

// NewRunDoc builds a run document from rows.
func NewRunDoc(run store.Run, tis []store.TaskInstance) RunDoc {
	doc := RunDoc{DagID: run.DagID, RunID: run.RunID, State: run.State, LogicalDate: run.LogicalDate.UTC(),
		Conf: run.Conf, StartedAt: timePtr(run.StartedAt), EndedAt: timePtr(run.EndedAt)}
	for _, ti := range tis {
		doc.Tasks = append(doc.Tasks, TaskDoc{
			TaskID: ti.TaskID, State: ti.State, TryNumber: ti.TryNumber,
			StartedAt: timePtr(ti.StartedAt), EndedAt: timePtr(ti.EndedAt),
			LogKey: tasklog.Key(ti.DagID, ti.RunID, ti.TaskID, ti.TryNumber), Function: ti.Function,
			Error: ti.Error, Result: ti.Result,
		})
	}
	return doc
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func sortTasks(ts []TaskDoc, order map[string]int) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && order[ts[j].TaskID] < order[ts[j-1].TaskID]; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}
