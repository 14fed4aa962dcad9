package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/planner"
	"github.com/lvao/dataplatform/shared/store"
)

// TickReport counts what one tick did.
type TickReport struct {
	RunsCreated  int `json:"runs_created"`
	Zombies      int `json:"zombies"`
	Retried      int `json:"retried"`
	Republished  int `json:"republished"`
	RunsAdvanced int `json:"runs_advanced"`
}

// maxRunsPerTick bounds how many scheduled runs one DAG gets per tick
// (catchup over a long range proceeds over several ticks).
const maxRunsPerTick = 100

// Tick is the coordinator's periodic work (cron, every minute). Every step
// is idempotent and safe when two ticks overlap: rows are claimed with
// SELECT … FOR UPDATE SKIP LOCKED, runs are created with ON CONFLICT DO
// NOTHING, and state changes are conditional.
func (e *Engine) Tick(ctx context.Context) (TickReport, error) {
	var rep TickReport
	// Written once per process and DAG set, and again only when another
	// process registered other versions since (ensureRegistered): a tick
	// no longer re-marshals and upserts every spec.
	if err := e.ensureRegistered(ctx); err != nil {
		return rep, err
	}
	steps := []func(context.Context, *TickReport) error{
		e.scheduleRuns, e.startAllQueued, e.failZombies, e.queueDueRetries, e.republishStale, e.advanceRuns,
	}
	var errs []error
	for _, step := range steps {
		if err := step(ctx, &rep); err != nil {
			errs = append(errs, err)
		}
	}
	return rep, errors.Join(errs...)
}

// scheduleRuns creates the due scheduled runs of unpaused DAGs.
func (e *Engine) scheduleRuns(ctx context.Context, rep *TickReport) error {
	if e.cfg.NoSchedule {
		return nil
	}
	now := e.now()
	set := e.cfg.Dags()
	// A DAG that cannot be scheduled (its spec's problem, found before
	// any write: no next date, params without defaults) is skipped and
	// reported; the other DAGs are scheduled all the same.
	var skipped []error
	err := e.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		skipped, rep.RunsCreated = nil, 0
		dags, err := tx.DagLockScheduledMany(ctx)
		if err != nil {
			return fmt.Errorf("error locking scheduled DAGs: %w", err)
		}
		for _, d := range dags {
			spec, ok := set.Get(d.DagID)
			if !ok || spec.Hash() != d.VersionHash {
				continue // not deployed here (an older coordinator) or another version
			}
			created, skip, err := e.scheduleDag(ctx, tx, d, spec, now)
			if err != nil {
				return err
			}
			if skip != nil {
				skipped = append(skipped, skip)
			}
			rep.RunsCreated += created
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e2 := range skipped {
		e.cfg.Logger.ErrorContext(ctx, "tick: "+e2.Error())
	}
	return errors.Join(skipped...)
}

// scheduleDag creates a DAG's due scheduled runs (its row locked by the
// caller) as Airflow's scheduler does: none while max_active_runs runs
// are queued or running, else as many as the free slots; catchup=false
// skips to the latest complete interval. skip reports a DAG that cannot
// be scheduled (its spec's problem, found before any write).
func (e *Engine) scheduleDag(ctx context.Context, tx *store.Tx, d store.Dag, spec *dag.Spec, now time.Time) (created int, skip, err error) {
	active, err := tx.RunCountActive(ctx, d.DagID)
	if err != nil {
		return 0, nil, err
	}
	free := spec.EffectiveMaxActiveRuns() - active
	if free <= 0 {
		// As Airflow's scheduler: no new run while the DAG has
		// max_active_runs active ones. Once one ends the next follows (at
		// the run's end for catchup, see scheduleAfterRunEnd; catchup=false
		// then skips to the latest complete interval), so runs do not pile
		// up queued behind a slow one.
		return 0, nil, nil
	}
	last := d.LastIntervalEnd
	var due []dag.Interval
	for i := 0; i < maxRunsPerTick; i++ {
		iv, ok, err := spec.NextInterval(last, now)
		if err != nil {
			return 0, fmt.Errorf("DAG %s cannot be scheduled: %w", d.DagID, err), nil
		}
		if !ok || iv.End.After(now) {
			break
		}
		due = append(due, iv)
		last = iv.End
	}
	if len(due) == 0 {
		return 0, nil, nil
	}
	// A date a backfill covered already gets no second run (as Airflow's
	// scheduler skips a date that has a run). The DAG's row lock orders
	// this read after a backfill's commit.
	dates := make([]time.Time, len(due))
	for i, iv := range due {
		dates[i] = iv.Start
	}
	exists, err := tx.RunLogicalDatesAt(ctx, d.DagID, dates)
	if err != nil {
		return 0, nil, err
	}
	cursor := d.LastIntervalEnd
	for _, iv := range due {
		if exists[iv.Start.UnixMicro()] {
			cursor = iv.End
			continue
		}
		if created >= free {
			break // the next ones when slots free up
		}
		_, ok, _, err := e.createRun(ctx, tx, spec, d.VersionHash, createRunParams{
			runType: "scheduled", logical: iv.Start, interval: iv, conf: nil,
		})
		var in *InputError
		if errors.As(err, &in) { // before any write: the transaction goes on
			return 0, fmt.Errorf("DAG %s cannot be scheduled: %w", d.DagID, err), nil
		}
		if err != nil {
			return 0, nil, err
		}
		if ok {
			created++
		}
		cursor = iv.End
	}
	if !cursor.Equal(d.LastIntervalEnd) {
		if err := tx.DagSetCursor(ctx, d.DagID, cursor); err != nil {
			return 0, nil, err
		}
	}
	return created, nil, nil
}

// scheduleAfterRunEnd creates the next due runs of a catchup DAG whose
// run just ended (Airflow's scheduler creates them as slots free up,
// within a scheduler loop, rather than at the next tick).
func (e *Engine) scheduleAfterRunEnd(ctx context.Context, dagID string) error {
	spec, ok := e.cfg.Dags().Get(dagID)
	if e.cfg.NoSchedule || !ok || spec.Schedule == "" || !spec.Catchup {
		return nil
	}
	now := e.now()
	var skip error
	err := e.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		d, err := tx.DagLock(ctx, dagID)
		if err != nil {
			return fmt.Errorf("error locking DAG %s: %w", dagID, err)
		}
		if d.IsPaused || d.VersionHash != spec.Hash() {
			return nil
		}
		_, skip, err = e.scheduleDag(ctx, tx, d, spec, now)
		return err
	})
	if err == nil && skip != nil {
		e.cfg.Logger.ErrorContext(ctx, skip.Error())
	}
	return err
}

// startAllQueued starts queued runs of every DAG within their limits.
func (e *Engine) startAllQueued(ctx context.Context, _ *TickReport) error {
	var dagIDs []string
	err := e.cfg.Store.Read(ctx, func(tx *store.Tx) (err error) {
		dagIDs, err = tx.RunDagsWithQueued(ctx)
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range dagIDs {
		if err := e.startQueuedRuns(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// failZombies fails (or retries) attempts whose lease expired: the
// function crashed, was killed or timed out by the platform.
func (e *Engine) failZombies(ctx context.Context, rep *TickReport) error {
	now := e.now()
	var zombies []store.TaskAttemptRef
	err := e.cfg.Store.Read(ctx, func(tx *store.Tx) (err error) {
		zombies, err = tx.TaskInstanceListZombies(ctx, now, e.cfg.TickBatch)
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, z := range zombies {
		recorded, err := e.Complete(ctx, AttemptRef{RunPK: z.RunPK, TaskID: z.TaskID, TryNumber: z.TryNumber},
			Outcome{Err: fmt.Errorf("zombie: the attempt's lease expired (no heartbeat: the function crashed, was killed or timed out)")})
		if err != nil {
			errs = append(errs, err)
		}
		if recorded {
			rep.Zombies++
			e.cfg.Logger.WarnContext(ctx, "zombie attempt: its lease expired, recorded as a failure (retried if retries remain)",
				"dag_id", z.DagID, "run_id", z.RunID, "task_id", z.TaskID, "try_number", z.TryNumber)
		}
	}
	return errors.Join(errs...)
}

// queueDueRetries queues the tasks whose retry delay has passed.
func (e *Engine) queueDueRetries(ctx context.Context, rep *TickReport) error {
	now := e.now()
	var pks []int64
	err := e.cfg.Store.Read(ctx, func(tx *store.Tx) (err error) {
		pks, err = tx.TaskInstanceListDueRetries(ctx, now, e.cfg.TickBatch)
		return err
	})
	if err != nil {
		return err
	}
	for _, pk := range pks {
		n, err := e.queueRetriesOf(ctx, pk, now)
		if err != nil {
			return err
		}
		rep.Retried += n
	}
	return nil
}

// queueRetriesOf queues the run's tasks whose retry is due. One cleared
// while it ran, together with an upstream task, waits for that upstream
// task again (back to none, the run re-evaluated).
func (e *Engine) queueRetriesOf(ctx context.Context, pk int64, now time.Time) (int, error) {
	var ev evaluation
	var n int
	err := e.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		ev, n = evaluation{}, 0
		run, err := tx.RunLock(ctx, pk)
		if err != nil || run.State != string(planner.RunRunning) {
			return err
		}
		tis, err := tx.TaskInstanceListByRun(ctx, pk)
		if err != nil {
			return err
		}
		c, err := e.version(ctx, tx, run.DagID, run.VersionHash)
		if err != nil {
			return err
		}
		state := make(map[string]string, len(tis))
		for _, ti := range tis {
			state[ti.TaskID] = ti.State
		}
		var due, back []string
		var backRetries []int
		for _, ti := range tis {
			if ti.State != string(planner.StateUpForRetry) || ti.NextRetryAt.After(now) {
				continue
			}
			if upstreamDone(c, ti.TaskID, state) {
				due = append(due, ti.TaskID)
			} else {
				back = append(back, ti.TaskID)
				backRetries = append(backRetries, c.spec.Policy(c.spec.Task(ti.TaskID)).Retries)
			}
		}
		msgs, err := tx.TaskInstanceQueueMany(ctx, &run, due, now)
		if err != nil {
			return err
		}
		n = len(msgs)
		if len(back) > 0 {
			if err := tx.TaskInstanceReset(ctx, pk, back, backRetries); err != nil {
				return err
			}
			if ev, err = e.evaluateRun(ctx, tx, &run); err != nil {
				return err
			}
		}
		ev.msgs = append(ev.msgs, msgs...)
		ev.evaluated = append(ev.evaluated, pk)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, e.afterCommit(ctx, ev)
}

// upstreamDone tells whether every upstream task of id is in a final state.
func upstreamDone(c *compiled, id string, state map[string]string) bool {
	for _, u := range c.graph.Node(id).Upstream {
		switch planner.State(state[u]) {
		case planner.StateSuccess, planner.StateFailed, planner.StateSkipped, planner.StateUpstreamFailed:
		default:
			return false
		}
	}
	return true
}

// republishStale publishes again the messages of tasks queued for longer
// than RequeueAfter (a lost publish, a message stuck in a dead queue).
func (e *Engine) republishStale(ctx context.Context, rep *TickReport) error {
	now := e.now()
	var msgs []store.Queued
	err := e.cfg.Store.InTx(ctx, func(tx *store.Tx) (err error) {
		msgs, err = tx.TaskInstanceRequeueStale(ctx, now.Add(-e.cfg.RequeueAfter), now, e.cfg.TickBatch)
		return err
	})
	if err != nil {
		return err
	}
	rep.Republished += len(msgs)
	e.publish(ctx, msgs)
	return nil
}

// advanceRuns re-evaluates running runs as a safety net (a completion
// whose follow-up was interrupted); runs being changed are skipped.
func (e *Engine) advanceRuns(ctx context.Context, rep *TickReport) error {
	var ev evaluation
	err := e.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		ev = evaluation{}
		runs, err := tx.RunLockActiveMany(ctx, e.cfg.TickBatch)
		if err != nil {
			return err
		}
		for i := range runs {
			one, err := e.evaluateRun(ctx, tx, &runs[i])
			if err != nil {
				return err
			}
			if len(one.msgs) > 0 || one.finished {
				rep.RunsAdvanced++
			}
			ev.add(one)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := e.afterCommit(ctx, ev); err != nil {
		return err
	}
	for _, r := range ev.ended {
		if err := e.startQueuedRuns(ctx, r.DagID); err != nil {
			return err
		}
	}
	return nil
}
