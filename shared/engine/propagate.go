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

// propagate is the incremental evaluation after tasks changed state (the
// path of every completion): it updates the upstream counts of their
// direct downstream tasks, decides those that wait (queue, skip or
// upstream_failed — cascading in waves), and ends the run when its count
// of unfinished tasks reaches zero. It reads only the rows it decides,
// so a completion costs the same in a 10-task DAG and in a 10,000-task
// fan-in. The caller holds the run's lock.
func (e *Engine) propagate(ctx context.Context, tx *store.Tx, run *store.Run, c *compiled, changes []stateChange) (evaluation, error) {
	var ev evaluation
	now := e.now()
	unfinishedDelta := 0
	var toQueue []string
	for len(changes) > 0 {
		deltas := map[string]*store.UpstreamCounts{}
		var cands []string
		for _, ch := range changes {
			if ch.old == ch.new {
				continue
			}
			switch {
			case ch.new.Finished() && !ch.old.Finished():
				unfinishedDelta--
			case ch.old.Finished() && !ch.new.Finished():
				unfinishedDelta++
			}
			for _, d := range c.graph.Downstream(ch.taskID) {
				dc, ok := deltas[d]
				if !ok {
					dc = &store.UpstreamCounts{TaskID: d}
					deltas[d] = dc
					cands = append(cands, d)
				}
				addCount(dc, ch.old, -1)
				addCount(dc, ch.new, +1)
			}
		}
		list := make([]store.UpstreamCounts, 0, len(deltas))
		for _, d := range cands {
			list = append(list, *deltas[d])
		}
		if err := tx.TaskInstanceAddUpstreamCounts(ctx, run.PK, list); err != nil {
			return ev, err
		}
		if len(cands) == 0 {
			break
		}
		tis, err := tx.TaskInstanceListByIDs(ctx, run.PK, cands)
		if err != nil {
			return ev, err
		}
		sort.Slice(tis, func(i, j int) bool { return c.graph.Order(tis[i].TaskID) < c.graph.Order(tis[j].TaskID) })
		var skip, upFailed []string
		for _, ti := range tis {
			if ti.State != string(planner.StateNone) {
				continue
			}
			switch c.graph.Decide(ti.TaskID, planner.Counts{Success: ti.UpSuccess, Failed: ti.UpFailed,
				Skipped: ti.UpSkipped, UpstreamFailed: ti.UpUpstreamFailed}) {
			case planner.DecisionRun:
				toQueue = append(toQueue, ti.TaskID)
			case planner.DecisionSkip:
				skip = append(skip, ti.TaskID)
			case planner.DecisionUpstreamFailed:
				upFailed = append(upFailed, ti.TaskID)
			}
		}
		changes = nil
		for _, set := range []struct {
			ids   []string
			state planner.State
		}{{skip, planner.StateSkipped}, {upFailed, planner.StateUpstreamFailed}} {
			done, err := tx.TaskInstanceSetStateMany(ctx, run.PK, set.ids, string(set.state), now)
			if err != nil {
				return ev, err
			}
			for _, id := range done {
				changes = append(changes, stateChange{taskID: id, old: planner.StateNone, new: set.state})
			}
		}
	}
	if run.State == string(planner.RunRunning) && len(toQueue) > 0 {
		msgs, err := tx.TaskInstanceQueueMany(ctx, run, toQueue, now)
		if err != nil {
			return ev, err
		}
		ev.msgs = msgs
	}
	if unfinishedDelta == 0 {
		return ev, nil
	}
	left, err := tx.RunAddUnfinished(ctx, run.PK, unfinishedDelta)
	if err != nil || left > 0 {
		return ev, err
	}
	leaves, err := tx.TaskInstanceListByIDs(ctx, run.PK, c.graph.Leaves())
	if err != nil {
		return ev, err
	}
	states := make([]planner.State, len(leaves))
	for i, l := range leaves {
		states[i] = planner.State(l.State)
	}
	final := planner.RunStateFromLeaves(states)
	if run.State != string(final) {
		if err := tx.RunSetState(ctx, run.PK, string(final), now); err != nil {
			return ev, err
		}
		run.State = string(final)
		ev.finished = true
		ev.ended = append(ev.ended, RunEnd{DagID: run.DagID, RunID: run.RunID, State: run.State})
	}
	return ev, nil
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
