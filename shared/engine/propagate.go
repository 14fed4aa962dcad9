package engine

import (
	"context"
	"sort"

	"github.com/lvao/dataplatform/shared/planner"
	"github.com/lvao/dataplatform/shared/store"
)

// stateChange is one task instance's state transition.
type stateChange struct {
	taskID   string
	old, new planner.State
}

// wave is the effect of state changes on their direct downstream tasks.
type wave struct {
	deltas     []store.UpstreamCounts
	unfinished int // change of the run's unfinished count
}

// waveOf computes the upstream-count deltas of the changes' downstream
// tasks and the change of the unfinished count.
func waveOf(c *compiled, changes []stateChange) wave {
	var w wave
	idx := map[string]int{}
	for _, ch := range changes {
		if ch.old == ch.new {
			continue
		}
		switch {
		case ch.new.Finished() && !ch.old.Finished():
			w.unfinished--
		case ch.old.Finished() && !ch.new.Finished():
			w.unfinished++
		}
		for _, d := range c.graph.Downstream(ch.taskID) {
			i, ok := idx[d]
			if !ok {
				i = len(w.deltas)
				idx[d] = i
				w.deltas = append(w.deltas, store.UpstreamCounts{TaskID: d})
			}
			addCount(&w.deltas[i], ch.old, -1)
			addCount(&w.deltas[i], ch.new, +1)
		}
	}
	return w
}

// pendingChanges are the state changes of pending completions taken
// under the run's lock: from a state that counted nothing (running, or
// none for a task skipped by its upstream) to their final state.
func pendingChanges(ps []store.Pending) []stateChange {
	out := make([]stateChange, 0, len(ps))
	for _, p := range ps {
		if st := planner.State(p.State); st.Finished() {
			out = append(out, stateChange{taskID: p.TaskID, old: planner.StateNone, new: st})
		}
	}
	return out
}

// propagate folds a run's pending completions (a check after a commit
// saw some) into the counts: see propagateMany.
func (e *Engine) propagate(ctx context.Context, runPK int64) error {
	return e.propagateMany(ctx, []int64{runPK})
}

// propagateMany folds the pending completions of runs into the counts, in
// one transaction under the locks of those runs no other transaction
// holds, until none is left. It never waits for a lock: a run found
// locked is left to its holder, which checks again once its commit
// released the lock. Any completion committed before that release is
// seen by the check; any later one gets the lock itself (or leaves it to
// a newer holder, by the same argument). A crash in between leaves the
// flag set: the tick's safety net evaluates runs with pending
// completions.
func (e *Engine) propagateMany(ctx context.Context, runPKs []int64) error {
	for len(runPKs) > 0 {
		var ev evaluation
		var locked, again []int64
		var err error
		for try := 0; ; try++ {
			again, err = e.cfg.Store.InTxCheckPendingRuns(ctx, func(tx *store.Tx) error {
				ev, locked = evaluation{}, nil
				taken, err := tx.RunsTryLockTakePending(ctx, runPKs, !e.cfg.SyncCommit)
				if err != nil {
					return err
				}
				for _, tr := range taken {
					locked = append(locked, tr.Run.PK)
				}
				ev, err = e.foldTaken(ctx, tx, taken)
				return err
			}, func() []int64 { return locked })
			if err == nil || !store.IsRetryable(err) || try >= 5 {
				break
			}
		}
		if err != nil {
			return err
		}
		if err := e.afterCommit(ctx, ev); err != nil { // ev.evaluated is empty: no recursion
			return err
		}
		if err := e.startQueuedRunsAfter(ctx, ev); err != nil {
			return err
		}
		runPKs = again
	}
	return nil
}

// startQueuedRunsAfter starts the queued runs of the DAGs whose runs ev
// ended, within max_active_runs.
func (e *Engine) startQueuedRunsAfter(ctx context.Context, ev evaluation) error {
	if !ev.finished {
		return nil
	}
	done := map[string]bool{}
	for _, r := range ev.ended {
		if done[r.DagID] {
			continue
		}
		done[r.DagID] = true
		if err := e.startQueuedRuns(ctx, r.DagID); err != nil {
			return err
		}
	}
	return nil
}

// propagateAll (after every commit, see afterCommit) checks runs a
// transaction held locked (clear, mark, the tick) for completions that
// found them locked and left their outcome pending, and propagates those.
func (e *Engine) propagateAll(ctx context.Context, runPKs []int64) error {
	if len(runPKs) == 0 {
		return nil
	}
	pending, err := e.cfg.Store.RunsWithPending(ctx, runPKs)
	if err != nil {
		return err
	}
	return e.propagateMany(ctx, pending)
}

// foldTaken folds the pending completions taken under the locks of
// several runs. A chain's step (one outcome whose downstream tasks each
// have it as their only upstream) is decided before reading the counts,
// and the steps of all the runs go in one round trip; the other runs are
// folded one by one.
func (e *Engine) foldTaken(ctx context.Context, tx *store.Tx, taken []store.TakenRun) (evaluation, error) {
	var ev evaluation
	type step struct {
		cq      *store.CountQueue
		c       *compiled
		run     *store.Run
		changes []stateChange
	}
	var steps []step
	var ends []store.RunNewState
	for i := range taken {
		run := &taken[i].Run
		changes := pendingChanges(taken[i].Pending)
		if len(changes) == 0 {
			continue
		}
		c, err := e.version(ctx, tx, run.DagID, run.VersionHash)
		if err != nil {
			return ev, err
		}
		w := waveOf(c, changes)
		if ready, waiting, ok := readyFromOutcome(c, changes, w); ok && run.State == string(planner.RunRunning) {
			steps = append(steps, step{cq: &store.CountQueue{Run: run, Waiting: waiting, Ready: ready, Delta: w.unfinished}, c: c, run: run, changes: changes})
			continue
		}
		one, err := e.foldPending(ctx, tx, run, taken[i].Pending)
		if err != nil {
			return ev, err
		}
		ev.add(one)
	}
	cqs := make([]*store.CountQueue, len(steps))
	for i, s := range steps {
		cqs[i] = s.cq
	}
	if err := tx.TaskCountQueueMany(ctx, cqs, e.now()); err != nil {
		return ev, err
	}
	for _, s := range steps {
		// Ready tasks that were not waiting (cleared or marked before
		// their upstream finished) still count the outcome.
		if _, err := tx.TaskInstanceAddUpstreamCountsReturning(ctx, s.run.PK, s.cq.NotQueued); err != nil {
			return ev, err
		}
		one, err := e.endIfDone(ctx, tx, s.run, s.c, evaluation{msgs: s.cq.Msgs}, s.cq.Left, s.cq.Delta, s.changes, &ends)
		if err != nil {
			return ev, err
		}
		ev.add(one)
	}
	return ev, tx.RunSetStateMany(ctx, ends, e.now())
}

// foldPending applies pending completions taken under the run's lock.
func (e *Engine) foldPending(ctx context.Context, tx *store.Tx, run *store.Run, taken []store.Pending) (evaluation, error) {
	changes := pendingChanges(taken)
	if len(changes) == 0 {
		return evaluation{}, nil
	}
	c, err := e.version(ctx, tx, run.DagID, run.VersionHash)
	if err != nil {
		return evaluation{}, err
	}
	var prop propagation
	if err := e.cascade(ctx, tx, run, c, changes, &prop); err != nil {
		return evaluation{}, err
	}
	return e.settle(ctx, tx, run, c, &prop)
}

// readyFromOutcome decides the downstream tasks of a lone outcome before
// reading them, when each has that task as its only upstream: their
// counts are then the wave's deltas (a running task counted nothing).
// It splits the deltas into the tasks to queue if they still wait and the
// others; ok is false when a task has other upstream tasks or would be
// skipped or upstream_failed (the general path reads the counts and
// cascades).
func readyFromOutcome(c *compiled, changes []stateChange, w wave) (ready, waiting []store.UpstreamCounts, ok bool) {
	if len(changes) != 1 || !changes[0].new.Finished() {
		return nil, nil, false
	}
	for _, d := range w.deltas {
		if len(c.graph.Node(d.TaskID).Upstream) != 1 {
			return nil, nil, false
		}
		switch c.graph.Decide(d.TaskID, planner.Counts{Success: d.Success, Failed: d.Failed, Skipped: d.Skipped, UpstreamFailed: d.UpstreamFailed}) {
		case planner.DecisionRun:
			ready = append(ready, d)
		case planner.DecisionWait:
			waiting = append(waiting, d)
		default:
			return nil, nil, false
		}
	}
	return ready, waiting, true
}

// propagation accumulates what a completion decides.
type propagation struct {
	toQueue    []string
	unfinished int
	// changes are the states changed by the fold (outcomes, then tasks
	// skipped or upstream_failed), in order.
	changes []stateChange
}

// decide applies trigger rules to the candidates that wait (state none)
// and marks those to skip or fail upstream; it returns the changes made,
// whose own downstream form the next wave.
func (e *Engine) decide(ctx context.Context, tx *store.Tx, run *store.Run, c *compiled, cands []store.Candidate, p *propagation) ([]stateChange, error) {
	sort.Slice(cands, func(i, j int) bool { return c.graph.Order(cands[i].TaskID) < c.graph.Order(cands[j].TaskID) })
	var skip, upFailed []string
	for _, cd := range cands {
		if cd.State != string(planner.StateNone) {
			continue
		}
		switch c.graph.Decide(cd.TaskID, planner.Counts{Success: cd.Success, Failed: cd.Failed, Skipped: cd.Skipped, UpstreamFailed: cd.UpstreamFailed}) {
		case planner.DecisionRun:
			p.toQueue = append(p.toQueue, cd.TaskID)
		case planner.DecisionSkip:
			skip = append(skip, cd.TaskID)
		case planner.DecisionUpstreamFailed:
			upFailed = append(upFailed, cd.TaskID)
		}
	}
	now := e.now()
	var changes []stateChange
	for _, set := range []struct {
		ids   []string
		state planner.State
	}{{skip, planner.StateSkipped}, {upFailed, planner.StateUpstreamFailed}} {
		done, err := tx.TaskInstanceSetStateMany(ctx, run.PK, set.ids, string(set.state), now, false)
		if err != nil {
			return nil, err
		}
		for _, id := range done {
			changes = append(changes, stateChange{taskID: id, old: planner.StateNone, new: set.state})
		}
	}
	return changes, nil
}

// cascade runs the waves that follow tasks marked skipped or
// upstream_failed, until no task changes.
func (e *Engine) cascade(ctx context.Context, tx *store.Tx, run *store.Run, c *compiled, changes []stateChange, p *propagation) error {
	for len(changes) > 0 {
		p.changes = append(p.changes, changes...)
		w := waveOf(c, changes)
		p.unfinished += w.unfinished
		cands, err := tx.TaskInstanceAddUpstreamCountsReturning(ctx, run.PK, w.deltas)
		if err != nil {
			return err
		}
		if changes, err = e.decide(ctx, tx, run, c, cands, p); err != nil {
			return err
		}
	}
	return nil
}

// settle queues the ready tasks and moves the unfinished count (the run
// row last); when it reaches zero the run ends, failed if a leaf failed.
func (e *Engine) settle(ctx context.Context, tx *store.Tx, run *store.Run, c *compiled, p *propagation) (evaluation, error) {
	var ev evaluation
	msgs, left, err := tx.TaskQueueAndCount(ctx, run, p.toQueue, run.State == string(planner.RunRunning), p.unfinished, e.now())
	if err != nil {
		return ev, err
	}
	ev.msgs = msgs
	return e.endIfDone(ctx, tx, run, c, ev, left, p.unfinished, p.changes, nil)
}

// endIfDone ends the run when the unfinished count just reached zero
// (left, after a change of delta), failed if a leaf failed. The leaves'
// states are read unless known (each leaf changed in this fold: a chain's
// last task). The run's new state is written at once, or appended to
// ends when the caller writes several runs' at once.
func (e *Engine) endIfDone(ctx context.Context, tx *store.Tx, run *store.Run, c *compiled, ev evaluation, left, delta int, known []stateChange, ends *[]store.RunNewState) (evaluation, error) {
	if left != 0 || delta == 0 {
		return ev, nil
	}
	states, ok := leafStates(c, known)
	if !ok {
		leaves, err := tx.TaskInstanceListByIDs(ctx, run.PK, c.graph.Leaves())
		if err != nil {
			return ev, err
		}
		states = make([]planner.State, len(leaves))
		for i, l := range leaves {
			states[i] = planner.State(l.State)
		}
	}
	final := planner.RunStateFromLeaves(states)
	if run.State == string(final) {
		return ev, nil
	}
	if ends != nil {
		*ends = append(*ends, store.RunNewState{PK: run.PK, State: string(final)})
	} else if err := tx.RunSetState(ctx, run.PK, string(final), e.now()); err != nil {
		return ev, err
	}
	run.State = string(final)
	ev.finished = true
	ev.ended = append(ev.ended, RunEnd{DagID: run.DagID, RunID: run.RunID, State: run.State})
	return ev, nil
}

// leafStates returns the leaves' states when every leaf changed among
// known (the latest change of each counts).
func leafStates(c *compiled, known []stateChange) ([]planner.State, bool) {
	leaves := c.graph.Leaves()
	states := make([]planner.State, len(leaves))
	for i, id := range leaves {
		found := false
		for _, ch := range known {
			if ch.taskID == id {
				states[i], found = ch.new, true
			}
		}
		if !found || !states[i].Finished() { // not known final: read it
			return nil, false
		}
	}
	return states, true
}

func addCount(c *store.UpstreamCounts, s planner.State, d int) {
	switch s {
	case planner.StateSuccess:
		c.Success += d
	case planner.StateFailed:
		c.Failed += d
	case planner.StateSkipped:
		c.Skipped += d
	case planner.StateUpstreamFailed:
		c.UpstreamFailed += d
	}
}
