package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/store"
)

// Run id prefixes (Airflow's).
const (
	RunTypeScheduled = "scheduled"
	RunTypeManual    = "manual"
	RunTypeBackfill  = "backfill"
)

// RunID formats a run id: <type>__<RFC 3339 time>. Manual runs keep
// microseconds (two triggers in one second are two runs).
func RunID(runType string, t time.Time) string {
	if runType == RunTypeManual {
		return runType + "__" + t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	}
	return runType + "__" + t.UTC().Format(time.RFC3339)
}

type createRunParams struct {
	runType  string
	logical  time.Time
	interval dag.Interval
	conf     map[string]any
	runID    string // default RunID(runType, logical)
	// ignorePause: the run goes on while its DAG is paused.
	ignorePause bool
	// triggeredBy: the trigger-dag task instance's key (TriggerParams).
	triggeredBy string
}

// createRun inserts a queued run with its task instances (state none);
// dagPaused tells whether the DAG is paused (locked until commit, see
// store.RunInsert).
func (e *Engine) createRun(ctx context.Context, tx *store.Tx, spec *dag.Spec, hash string, p createRunParams) (run store.Run, created, dagPaused bool, err error) {
	ins, err := e.runInsert(spec, hash, p)
	if err != nil {
		return store.Run{}, false, false, err
	}
	run, created, dagPaused, err = tx.RunInsert(ctx, ins)
	if err != nil {
		return store.Run{}, false, false, fmt.Errorf("error creating run %s of %s: %w", ins.RunID, spec.DagID, err)
	}
	if !created {
		return store.Run{}, false, false, nil
	}
	return run, true, dagPaused, nil
}

// runInsert is what createRun writes: the run (params resolved from its
// conf) and its task instances.
func (e *Engine) runInsert(spec *dag.Spec, hash string, p createRunParams) (*store.RunInsertParams, error) {
	params, err := spec.ResolveParams(p.conf)
	if err != nil {
		return nil, &InputError{Msg: err.Error(), Err: err}
	}
	conf := p.conf
	if conf == nil {
		conf = map[string]any{}
	}
	confJSON, _ := json.Marshal(conf)
	paramsJSON, _ := json.Marshal(params)
	if p.runID == "" {
		p.runID = RunID(p.runType, p.logical)
	}
	seeds := make([]store.TaskSeed, len(spec.Tasks))
	for i := range spec.Tasks {
		t := &spec.Tasks[i]
		seeds[i] = store.TaskSeed{TaskID: t.ID, Function: t.Function, MaxTries: spec.Policy(t).Retries + 1}
	}
	return &store.RunInsertParams{
		DagID: spec.DagID, RunID: p.runID, RunType: p.runType, VersionHash: hash,
		LogicalDate: p.logical, DataIntervalStart: p.interval.Start, DataIntervalEnd: p.interval.End,
		Conf: confJSON, Params: paramsJSON, Now: e.now(), Tasks: seeds, IgnorePause: p.ignorePause,
		TriggeredBy: p.triggeredBy,
	}, nil
}

// TriggerParams asks for a manual run.
type TriggerParams struct {
	DagID string
	// Conf overrides the DAG's params (validated).
	Conf map[string]any
	// LogicalDate default now.
	LogicalDate time.Time
	// IgnorePause starts the run at once even if the DAG is paused or at
	// max_active_runs (as `airflow dags test`; used by `local dag run`).
	IgnorePause bool
	// SkipIfQueued creates nothing when the DAG already has a queued run.
	SkipIfQueued bool
	// TriggeredBy is the key of the trigger-dag task instance asking
	// (TriggerKey): at most one run is created per key.
	TriggeredBy string
}

// Trigger creates a manual run and starts it when the DAG allows.
// created is false when SkipIfQueued found a queued run, or when another
// try of the trigger-dag task asking (TriggeredBy) created its run already:
// run is then that run.
func (e *Engine) Trigger(ctx context.Context, p TriggerParams) (run store.Run, created bool, err error) {
	spec, ok := e.cfg.Dags().Get(p.DagID)
	if !ok {
		return run, false, fmt.Errorf("DAG %q: %w", p.DagID, ErrNotFound)
	}
	if _, err := spec.ResolveParams(p.Conf); err != nil {
		return run, false, &InputError{Msg: err.Error(), Err: err}
	}
	if err := e.ensureSynced(ctx); err != nil {
		return run, false, err
	}
	if p.TriggeredBy != "" {
		// An earlier try of the series triggered already (before
		// SkipIfQueued, which its queued run would answer "nothing").
		if run, ok, err := e.TriggeredRun(ctx, p.TriggeredBy); err != nil || ok {
			return run, false, err
		}
	}
	logical := p.LogicalDate
	if logical.IsZero() {
		logical = e.now()
	}
	logical = logical.UTC().Truncate(time.Microsecond)
	iv, err := spec.ManualInterval(logical)
	if err != nil { // a cron without a tick before logical: nothing to infer
		iv = dag.Interval{Start: logical, End: logical}
	}
	if !p.SkipIfQueued && !p.IgnorePause {
		return e.triggerAlone(ctx, spec, logical, iv, p.Conf, p.TriggeredBy)
	}
	var ev evaluation
	var paused, conflict bool
	err = e.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		ev, conflict = evaluation{}, false
		if p.SkipIfQueued {
			n, err := tx.RunCountQueued(ctx, p.DagID)
			if err != nil || n > 0 {
				return err
			}
		}
		r, ok, dagPaused, err := e.createRun(ctx, tx, spec, spec.Hash(), createRunParams{runType: RunTypeManual, logical: logical, interval: iv, conf: p.Conf, ignorePause: p.IgnorePause, triggeredBy: p.TriggeredBy})
		if err != nil {
			return err
		}
		if !ok {
			conflict = true
			return nil
		}
		run, created, paused = r, true, dagPaused
		if p.IgnorePause {
			ev, err = e.startRun(ctx, tx, &r) // created by this transaction: no one else sees it
			return err
		}
		return nil
	})
	if err == nil && conflict {
		return e.existingRun(ctx, p.DagID, RunID(RunTypeManual, logical), p.TriggeredBy)
	}
	if err != nil || !created {
		return run, created, err
	}
	if err := e.afterCommit(ctx, ev); err != nil {
		return run, true, err
	}
	// A paused DAG's run waits for the unpause, which starts it (the run
	// was created under the DAG's share lock).
	if (!p.IgnorePause && !paused) || ev.finished {
		err = e.startQueuedRuns(ctx, p.DagID)
	}
	return run, true, err
}

// triggerAlone is the common trigger: the run is created by one statement
// (its own transaction), then started if the DAG is not paused.
func (e *Engine) triggerAlone(ctx context.Context, spec *dag.Spec, logical time.Time, iv dag.Interval, conf map[string]any, triggeredBy string) (store.Run, bool, error) {
	ins, err := e.runInsert(spec, spec.Hash(), createRunParams{runType: RunTypeManual, logical: logical, interval: iv, conf: conf, triggeredBy: triggeredBy})
	if err != nil {
		return store.Run{}, false, err
	}
	run, created, paused, err := e.cfg.Store.RunInsert(ctx, ins)
	if err != nil {
		return store.Run{}, false, fmt.Errorf("error creating run %s of %s: %w", ins.RunID, spec.DagID, err)
	}
	if !created {
		return e.existingRun(ctx, spec.DagID, ins.RunID, triggeredBy)
	}
	// A paused DAG's run waits for the unpause, which starts it (the run
	// was created under the DAG's share lock).
	if paused {
		return run, true, nil
	}
	return run, true, e.startQueuedRuns(ctx, spec.DagID)
}

// existingRun answers a trigger whose insert created nothing: the run of
// its trigger key, when another try of the same trigger-dag task created
// it (a try that crashed after its trigger, still running beside its
// retry: the unique triggered_by refused a second run), else a conflict
// on the run id.
func (e *Engine) existingRun(ctx context.Context, dagID, runID, triggeredBy string) (store.Run, bool, error) {
	if triggeredBy != "" {
		run, ok, err := e.TriggeredRun(ctx, triggeredBy)
		if err != nil || ok {
			return run, false, err
		}
	}
	return store.Run{}, false, fmt.Errorf("run %s of %s exists already: %w", runID, dagID, ErrConflict)
}

// Backfill creates backfill runs for every scheduled logical date in
// [from, to] that has no scheduled or backfill run yet; they start within
// max_active_runs (and not while the DAG is paused).
func (e *Engine) Backfill(ctx context.Context, dagID string, from, to time.Time) ([]string, error) {
	spec, ok := e.cfg.Dags().Get(dagID)
	if !ok {
		return nil, fmt.Errorf("DAG %q: %w", dagID, ErrNotFound)
	}
	if to.Before(from) {
		return nil, inputErrorf("backfill: to (%s) is before from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	ticks, err := spec.TicksBetween(from, to, 10000)
	if err != nil {
		return nil, &InputError{Msg: "backfill: " + err.Error()}
	}
	// As Airflow's backfill, only intervals that have ended: a run of a
	// future interval would process data not there yet, and its date would
	// get no scheduled run once the interval ends.
	now := e.now()
	var dates []time.Time
	for _, d := range ticks {
		iv, err := spec.IntervalAt(d)
		if err != nil {
			return nil, err
		}
		if !iv.End.After(now) {
			dates = append(dates, d)
		}
	}
	if len(ticks) > 0 && len(dates) == 0 {
		return nil, inputErrorf("backfill: every interval from %s to %s ends in the future (after %s): a backfill runs only intervals that have ended",
			from.Format(time.RFC3339), to.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if err := e.ensureSynced(ctx); err != nil {
		return nil, err
	}
	var created []string
	err = e.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		created = nil
		// The DAG's row lock orders this against a tick scheduling the
		// same dates: each date gets one run.
		if _, err := tx.DagLock(ctx, dagID); err != nil {
			return fmt.Errorf("error locking DAG %s: %w", dagID, err)
		}
		exists, err := tx.RunLogicalDatesAt(ctx, dagID, dates)
		if err != nil {
			return err
		}
		var ins []*store.RunInsertParams
		for _, d := range dates {
			if exists[d.UnixMicro()] {
				continue
			}
			iv, err := spec.IntervalAt(d)
			if err != nil {
				return err
			}
			p, err := e.runInsert(spec, spec.Hash(), createRunParams{runType: RunTypeBackfill, logical: d, interval: iv})
			if err != nil {
				return err
			}
			ins = append(ins, p)
		}
		runs, err := tx.RunInsertMany(ctx, ins)
		if err != nil {
			return fmt.Errorf("error creating backfill runs of %s: %w", dagID, err)
		}
		for _, r := range runs {
			created = append(created, r.RunID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created, e.startQueuedRuns(ctx, dagID)
}

// SetPaused pauses or unpauses a DAG. As Airflow's scheduler, which does
// not examine a paused DAG's runs, a paused DAG's running runs make no
// progress: the attempts running go on, but no task of theirs starts (its
// claim waits; a task made ready is left queued) until the unpause, which
// republishes those tasks and starts the queued runs. A run triggered with
// IgnorePause (`local dag run`) goes on.
func (e *Engine) SetPaused(ctx context.Context, dagID string, paused bool) error {
	if _, ok := e.cfg.Dags().Get(dagID); !ok {
		return fmt.Errorf("DAG %q: %w", dagID, ErrNotFound)
	}
	if err := e.ensureSynced(ctx); err != nil {
		return err
	}
	var held []store.Queued
	err := e.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DagSetPaused(ctx, dagID, paused, e.now()); err != nil {
			return err
		}
		if paused {
			return nil
		}
		// The tasks queued while it was paused: their messages were
		// answered without a claim (or never came); they go again.
		var err error
		held, err = tx.TaskInstanceRequeueDag(ctx, dagID, e.now())
		return err
	})
	if err != nil {
		return err
	}
	if paused {
		return nil
	}
	e.publish(ctx, held)
	return e.startQueuedRuns(ctx, dagID)
}

// lockRun finds and locks a run by its ids.
func lockRun(ctx context.Context, tx *store.Tx, dagID, runID string) (store.Run, error) {
	r, err := tx.RunGet(ctx, dagID, runID)
	if errors.Is(err, store.ErrNotFound) {
		return r, fmt.Errorf("run %s of DAG %s: %w", runID, dagID, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	return tx.RunLock(ctx, r.PK)
}

// TriggerKey is the key a trigger-dag task instance passes as
// TriggerParams.TriggeredBy: the same for the retries of one series of
// tries, another after a clear (which re-runs the task on purpose).
func (e *Engine) TriggerKey(ctx context.Context, dagID, runID, taskID string) (string, error) {
	key, err := e.cfg.Store.TaskTriggerKey(ctx, dagID, runID, taskID)
	if err != nil {
		return "", fmt.Errorf("error reading task %s of %s %s: %w", taskID, dagID, runID, err)
	}
	return key, nil
}

// TriggeredRun returns the run created for a trigger key, if any (an
// earlier try of the same series triggered it, then crashed or was
// killed before its completion was recorded).
func (e *Engine) TriggeredRun(ctx context.Context, key string) (store.Run, bool, error) {
	run, ok, err := e.cfg.Store.RunGetTriggeredBy(ctx, key)
	if err != nil {
		return run, false, fmt.Errorf("error looking for the run of %s: %w", key, err)
	}
	return run, ok, nil
}
