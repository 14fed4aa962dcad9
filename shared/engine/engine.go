// Package engine is the coordinator's logic: it creates and starts runs,
// moves task instances through their states with the planner, completes
// attempts exactly once, retries and times out, and publishes task
// messages after commit (the task_instance rows in state queued are the
// outbox: a lost publish is re-published by the tick).
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lvao/dataplatform/shared/coalesce"
	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/planner"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/store"
)

// Config builds an Engine. Zero values mean the documented defaults.
type Config struct {
	// Store is the platform database. Required.
	Store *store.Store
	// Publisher sends task messages. Required.
	Publisher queue.Publisher
	// Dags returns the DAG specs currently deployed. Required.
	Dags func() *dag.Set
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger default: discard.
	Logger *slog.Logger
	// RequeueAfter republishes a task queued longer than this. Default 2m.
	RequeueAfter time.Duration
	// TickBatch bounds the rows one tick handles per step. Default 500.
	TickBatch int
	// SyncCommit makes each completion wait for its WAL flush. Default
	// false: completions commit asynchronously (synchronous_commit=off for
	// that transaction only), so the rows every completion of a run must
	// update (its unfinished count, a fan-in's upstream counts) are held
	// microseconds instead of a disk flush. The price, on a Postgres crash
	// only: the last completions (< 1 s) may be lost; those attempts then
	// expire as zombies and are retried. Claims and every other write stay
	// synchronous, so a task is never completed twice.
	SyncCommit bool
	// NoSchedule makes Tick create no scheduled runs (the harness's
	// `dag run`: only the run asked for, as `airflow dags test`). Default
	// false.
	NoSchedule bool
	// OnRunEnd is called after commit each time a run reaches success or
	// failed (the harness waits on it; tests use it as a signal). Optional;
	// it must not block.
	OnRunEnd func(RunEnd)
}

// RunEnd tells that a run ended.
type RunEnd struct {
	DagID, RunID, State string
}

// Engine coordinates DAG runs. It is safe for concurrent use, and several
// engines (coordinator instances) may work on one database at once.
type Engine struct {
	cfg    Config
	specs  sync.Map                   // dagID+"@"+hash -> *compiled
	synced atomic.Pointer[registered] // the set last registered by this process
	// successes coalesces the successes that arrive together (succeed.go).
	successes *coalesce.Group[successCall, successAnswer]
}

// registered is a DAG set this process registered, with each DAG's
// version hash as registered.
type registered struct {
	set    *dag.Set
	hashes map[string]string // dag_id -> version hash
}

// compiled is a DAG version ready for the planner.
type compiled struct {
	spec  *dag.Spec
	graph *planner.Graph
}

// New returns an Engine.
func New(cfg Config) *Engine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RequeueAfter <= 0 {
		cfg.RequeueAfter = 2 * time.Minute
	}
	if cfg.TickBatch <= 0 {
		cfg.TickBatch = 500
	}
	e := &Engine{cfg: cfg}
	e.successes = coalesce.New(successBatches, maxSuccessBatch, e.succeedBatch)
	return e
}

// Publisher returns the engine's publisher.
func (e *Engine) Publisher() queue.Publisher { return e.cfg.Publisher }

// Store returns the engine's store.
func (e *Engine) Store() *store.Store { return e.cfg.Store }

// Dags returns the deployed DAG specs.
func (e *Engine) Dags() *dag.Set { return e.cfg.Dags() }

// now is the engine clock, truncated to Postgres' microsecond precision
// so that values read back compare equal.
func (e *Engine) now() time.Time { return e.cfg.Now().UTC().Truncate(time.Microsecond) }

// Error kinds the API maps to HTTP statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// InputError is bad input from a user (HTTP 400, exit 2).
type InputError struct {
	Msg string
	// Err is the problem's own error when it has one (a *dag.ConfError,
	// whose problems the API lists one by one).
	Err error
}

func (e *InputError) Error() string { return e.Msg }

func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, a ...any) error { return &InputError{Msg: fmt.Sprintf(format, a...)} }

// SyncDags registers every deployed DAG version (new DAGs get their
// initial pause state; existing ones keep theirs).
func (e *Engine) SyncDags(ctx context.Context) error {
	now := e.now()
	set := e.cfg.Dags()
	var hashes map[string]string
	err := e.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		hashes = make(map[string]string, len(set.All()))
		for _, s := range set.All() {
			b, err := json.Marshal(s)
			if err != nil {
				return err
			}
			hash := s.Hash()
			if err := tx.DagUpsert(ctx, &store.DagUpsertParams{
				DagID: s.DagID, VersionHash: hash, Schedule: s.Schedule, Spec: b, Paused: s.Paused, Now: now,
			}); err != nil {
				return fmt.Errorf("error registering DAG %s: %w", s.DagID, err)
			}
			hashes[s.DagID] = hash
		}
		return nil
	})
	if err == nil {
		e.synced.Store(&registered{set: set, hashes: hashes})
	}
	return err
}

// ensureSynced registers the DAGs unless this process did it for this set.
func (e *Engine) ensureSynced(ctx context.Context) error {
	if r := e.synced.Load(); r != nil && r.set == e.cfg.Dags() {
		return nil
	}
	return e.SyncDags(ctx)
}

// ensureRegistered is the tick's ensureSynced: it also registers the set
// again when the database no longer holds this process's versions, as
// another process registered its own since (a `dag run` of an edited DAG
// file beside `serve`, an instance of another deploy starting). The tick
// schedules a DAG only at the version it deploys: registered once per
// process, it skipped those DAGs' schedules for as long as it lived. The
// check is one read of the dag rows; nothing is marshalled nor written
// while they match.
func (e *Engine) ensureRegistered(ctx context.Context) error {
	r := e.synced.Load()
	if r == nil || r.set != e.cfg.Dags() {
		return e.SyncDags(ctx)
	}
	var dags []store.Dag
	if err := e.cfg.Store.Read(ctx, func(tx *store.Tx) (err error) {
		dags, err = tx.DagList(ctx)
		return err
	}); err != nil {
		return fmt.Errorf("error reading the registered DAG versions: %w", err)
	}
	have := make(map[string]string, len(dags))
	for _, d := range dags {
		have[d.DagID] = d.VersionHash
	}
	for id, hash := range r.hashes {
		if have[id] != hash {
			return e.SyncDags(ctx)
		}
	}
	return nil
}

// version returns the spec a run started with (cached: versions are immutable).
func (e *Engine) version(ctx context.Context, tx *store.Tx, dagID, hash string) (*compiled, error) {
	key := dagID + "@" + hash
	if c, ok := e.specs.Load(key); ok {
		return c.(*compiled), nil
	}
	raw, err := tx.DagVersionGet(ctx, dagID, hash)
	if err != nil {
		return nil, fmt.Errorf("error loading DAG %s version %s: %w", dagID, hash, err)
	}
	var s dag.Spec
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("error decoding DAG %s version %s: %w", dagID, hash, err)
	}
	c, err := compile(&s)
	if err != nil {
		return nil, err
	}
	e.specs.Store(key, c)
	return c, nil
}

// Version is version for callers outside a transaction (the task runtime).
func (e *Engine) Version(ctx context.Context, dagID, hash string) (*dag.Spec, error) {
	if c, ok := e.specs.Load(dagID + "@" + hash); ok {
		return c.(*compiled).spec, nil
	}
	var c *compiled
	err := e.cfg.Store.Read(ctx, func(tx *store.Tx) (err error) {
		c, err = e.version(ctx, tx, dagID, hash)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c.spec, nil
}

func compile(s *dag.Spec) (*compiled, error) {
	s.IndexTasks()
	nodes := make([]planner.Node, len(s.Tasks))
	for i, t := range s.Tasks {
		nodes[i] = planner.Node{ID: t.ID, Upstream: t.DependsOn, Rule: planner.TriggerRule(t.TriggerRule)}
	}
	g, err := planner.NewGraph(nodes)
	if err != nil {
		return nil, fmt.Errorf("DAG %s: %w", s.DagID, err)
	}
	return &compiled{spec: s, graph: g}, nil
}

// afterCommit publishes the messages of an evaluation and reports the
// runs it ended.
func (e *Engine) afterCommit(ctx context.Context, ev evaluation) error {
	e.publish(ctx, ev.msgs)
	if e.cfg.OnRunEnd != nil {
		for _, r := range ev.ended {
			e.cfg.OnRunEnd(r)
		}
	}
	// Completions that found one of the runs locked by the transaction
	// left their outcome pending: fold them in now that the lock is free.
	return e.propagateAll(ctx, ev.evaluated)
}

// publish sends the messages of tasks just queued. A failed publish is
// only logged: the task stays queued and the tick publishes it again.
func (e *Engine) publish(ctx context.Context, msgs []store.Queued) {
	for _, m := range msgs {
		body := queue.Message{RunID: m.RunID, DagID: m.DagID, TaskID: m.TaskID, TryNumber: m.TryNumber}.Encode()
		if err := e.cfg.Publisher.Publish(context.WithoutCancel(ctx), m.Function, body); err != nil {
			e.cfg.Logger.WarnContext(ctx, "publish failed; the tick will publish again",
				"dag_id", m.DagID, "run_id", m.RunID, "task_id", m.TaskID, "try_number", m.TryNumber, "error", err)
		}
	}
}
