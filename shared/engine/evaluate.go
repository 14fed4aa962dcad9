package engine

import (
	"context"
	"fmt"

	"github.com/lvao/dataplatform/shared/planner"
	"github.com/lvao/dataplatform/shared/store"
)

// evaluation is what evaluateRun changed.
type evaluation struct {
	msgs     []store.Queued
	finished bool
	ended    []RunEnd
	// evaluated are the runs fully evaluated (locked): completions may
	// have left outcomes pending meanwhile (see propagate).
	evaluated []int64
}

// add merges another evaluation into ev.
func (ev *evaluation) add(o evaluation) {
	ev.msgs = append(ev.msgs, o.msgs...)
	ev.finished = ev.finished || o.finished
	ev.ended = append(ev.ended, o.ended...)
	ev.evaluated = append(ev.evaluated, o.evaluated...)
}

// evaluateRun is the full evaluation of a locked run (at its start, after
// clear or mark, and as the tick's safety net): see evaluateRuns.
func (e *Engine) evaluateRun(ctx context.Context, tx *store.Tx, run *store.Run) (evaluation, error) {
	return e.evaluateRuns(ctx, tx, []*store.Run{run})
}

// evaluateRuns is the full evaluation of locked runs: it reads every task,
// recomputes the upstream counts and the unfinished count, and applies
// the planner: tasks whose trigger rule is met are queued (in this
// transaction: the outbox), others marked skipped or upstream_failed, and
// a run ends when every task is final. Completions use propagate. The
// reads and the common writes (unfinished counts, queued tasks, run
// states) go in one statement each for all the runs.
func (e *Engine) evaluateRuns(ctx context.Context, tx *store.Tx, runs []*store.Run) (evaluation, error) {
	var ev evaluation
	var pks []int64
	for _, run := range runs {
		ev.evaluated = append(ev.evaluated, run.PK)
		if run.State != string(planner.RunQueued) {
			pks = append(pks, run.PK)
		}
	}
	if len(pks) == 0 {
		return ev, nil
	}
	byRun, err := tx.TaskInstanceListByRuns(ctx, pks)
	if err != nil {
		return ev, fmt.Errorf("error listing tasks of %d runs: %w", len(pks), err)
	}
	now := e.now()
	var unfinished []store.RunUnfinished
	var queue []store.RunTasks
	var reopen, ends []store.RunNewState
	for _, run := range runs {
		if run.State == string(planner.RunQueued) {
			continue
		}
		c, err := e.version(ctx, tx, run.DagID, run.VersionHash)
		if err != nil {
			return ev, err
		}
		tis := byRun[run.PK]
		states := make(map[string]planner.State, len(tis))
		for _, ti := range tis {
			states[ti.TaskID] = planner.State(ti.State)
		}
		plan := c.graph.Evaluate(states)
		if _, err := tx.TaskInstanceSetStateMany(ctx, run.PK, plan.Skip, string(planner.StateSkipped), now, false); err != nil {
			return ev, err
		}
		if _, err := tx.TaskInstanceSetStateMany(ctx, run.PK, plan.UpstreamFailed, string(planner.StateUpstreamFailed), now, false); err != nil {
			return ev, err
		}
		for _, id := range plan.Skip {
			states[id] = planner.StateSkipped
		}
		for _, id := range plan.UpstreamFailed {
			states[id] = planner.StateUpstreamFailed
		}
		n, err := recount(ctx, tx, run.PK, c, tis, states)
		if err != nil {
			return ev, err
		}
		unfinished = append(unfinished, store.RunUnfinished{PK: run.PK, N: n})
		if !plan.Finished && (run.State == string(planner.RunSuccess) || run.State == string(planner.RunFailed)) {
			// A finished run whose tasks were cleared or marked back to work.
			reopen = append(reopen, store.RunNewState{PK: run.PK, State: string(planner.RunRunning)})
			run.State = string(planner.RunRunning)
		}
		if run.State == string(planner.RunRunning) && len(plan.Queue) > 0 {
			queue = append(queue, store.RunTasks{Run: run, TaskIDs: plan.Queue})
		}
		if plan.Finished {
			if plan.Stalled {
				e.cfg.Logger.ErrorContext(ctx, "run stalled: tasks can never run; failing it", "dag_id", run.DagID, "run_id", run.RunID)
			}
			if run.State != string(plan.State) {
				ends = append(ends, store.RunNewState{PK: run.PK, State: string(plan.State)})
				run.State = string(plan.State)
				ev.finished = true
				ev.ended = append(ev.ended, RunEnd{DagID: run.DagID, RunID: run.RunID, State: run.State})
			}
		}
	}
	if err := tx.RunSetUnfinishedMany(ctx, unfinished); err != nil {
		return ev, err
	}
	if err := tx.RunSetStateMany(ctx, reopen, now); err != nil {
		return ev, err
	}
	if ev.msgs, err = tx.TaskInstanceQueueRuns(ctx, queue, now); err != nil {
		return ev, err
	}
	return ev, tx.RunSetStateMany(ctx, ends, now)
}

// recount rewrites the upstream counts that differ from the states and
// returns the run's unfinished count (for the caller to write); the
// pending completions listed are thereby folded in (those committed since
// the listing stay pending).
func recount(ctx context.Context, tx *store.Tx, runPK int64, c *compiled, tis []store.TaskInstance, states map[string]planner.State) (int, error) {
	var fix []store.UpstreamCounts
	var folded []string
	unfinished := 0
	for _, ti := range tis {
		if ti.Pending {
			folded = append(folded, ti.TaskID)
		}
		if !states[ti.TaskID].Finished() {
			unfinished++
		}
		want := store.UpstreamCounts{TaskID: ti.TaskID}
		for _, u := range c.graph.Node(ti.TaskID).Upstream {
			addCount(&want, states[u], 1)
		}
		if want.Success != ti.UpSuccess || want.Failed != ti.UpFailed || want.Skipped != ti.UpSkipped || want.UpstreamFailed != ti.UpUpstreamFailed {
			fix = append(fix, want)
		}
	}
	if err := tx.TaskInstanceSetUpstreamCounts(ctx, runPK, fix); err != nil {
		return 0, err
	}
	return unfinished, tx.TaskInstanceClearPending(ctx, runPK, folded)
}

// startQueuedRuns starts a DAG's oldest queued runs within max_active_runs
// (unless the DAG is paused), under the DAG's row lock so two callers
// never exceed the limit.
func (e *Engine) startQueuedRuns(ctx context.Context, dagID string) error {
	// A catchup DAG's next due runs first: a slot may have freed up.
	if err := e.scheduleAfterRunEnd(ctx, dagID); err != nil {
		return err
	}
	// Most calls (a run just ended) find nothing queued: skip the
	// transaction and the lock.
	if queued, err := e.cfg.Store.RunExistsQueued(ctx, dagID); err != nil || !queued {
		return err
	}
	var ev evaluation
	err := e.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		ev = evaluation{}
		d, err := tx.DagLock(ctx, dagID)
		if err != nil {
			return fmt.Errorf("error locking DAG %s: %w", dagID, err)
		}
		if d.IsPaused {
			return nil
		}
		c, err := e.version(ctx, tx, d.DagID, d.VersionHash)
		if err != nil {
			return err
		}
		running, err := tx.RunCountRunning(ctx, dagID)
		if err != nil {
			return err
		}
		free := c.spec.EffectiveMaxActiveRuns() - running
		if free <= 0 {
			return nil
		}
		runs, err := tx.RunListQueued(ctx, dagID, free)
		if err != nil {
			return err
		}
		ptrs := make([]*store.Run, len(runs))
		for i := range runs {
			ptrs[i] = &runs[i]
		}
		ev, err = e.startRuns(ctx, tx, ptrs)
		return err
	})
	if err != nil {
		return err
	}
	if err := e.afterCommit(ctx, ev); err != nil {
		return err
	}
	if ev.finished { // a run with nothing to do ended at once: a slot is free again
		return e.startQueuedRuns(ctx, dagID)
	}
	return nil
}

// startRun moves a queued run (locked by the caller, with its current
// row) to running and queues its first tasks.
func (e *Engine) startRun(ctx context.Context, tx *store.Tx, run *store.Run) (evaluation, error) {
	return e.startRuns(ctx, tx, []*store.Run{run})
}

// startRuns moves queued runs (locked by the caller, with their current
// rows) to running and queues their first tasks.
func (e *Engine) startRuns(ctx context.Context, tx *store.Tx, runs []*store.Run) (evaluation, error) {
	var start []store.RunNewState
	var started []*store.Run
	for _, run := range runs {
		if run.State == string(planner.RunQueued) {
			start = append(start, store.RunNewState{PK: run.PK, State: string(planner.RunRunning)})
			started = append(started, run)
		}
	}
	if err := tx.RunSetStateMany(ctx, start, e.now()); err != nil {
		return evaluation{}, err
	}
	for _, run := range started {
		run.State = string(planner.RunRunning)
	}
	return e.evaluateRuns(ctx, tx, started)
}
