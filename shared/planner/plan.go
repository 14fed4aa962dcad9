package planner

import (
	"fmt"
	"sort"
)

// RunState is a DAG run state.
type RunState string

// Run states.
const (
	RunQueued  RunState = "queued"
	RunRunning RunState = "running"
	RunSuccess RunState = "success"
	RunFailed  RunState = "failed"
)

// Node is a task of a DAG as the planner sees it.
type Node struct {
	ID       string
	Upstream []string
	Rule     TriggerRule // empty means all_success
}

// Graph is a validated, acyclic set of nodes in topological order.
type Graph struct {
	order      []Node
	downstream map[string][]string
	index      map[string]int
}

// NewGraph orders the nodes topologically. It fails on an unknown upstream
// or a cycle (DAG validation reports those to authors first).
func NewGraph(nodes []Node) (*Graph, error) {
	g := &Graph{downstream: map[string][]string{}, index: map[string]int{}}
	byID := map[string]Node{}
	indeg := map[string]int{}
	for _, n := range nodes {
		byID[n.ID] = n
		indeg[n.ID] += 0
	}
	for _, n := range nodes {
		for _, u := range n.Upstream {
			if _, ok := byID[u]; !ok {
				return nil, fmt.Errorf("task %s: unknown upstream %s", n.ID, u)
			}
			g.downstream[u] = append(g.downstream[u], n.ID)
			indeg[n.ID]++
		}
	}
	// Kahn's algorithm, keeping declaration order among ready nodes.
	var ready []string
	for _, n := range nodes {
		if indeg[n.ID] == 0 {
			ready = append(ready, n.ID)
		}
	}
	for len(ready) > 0 {
		id := ready[0]
		ready = ready[1:]
		g.index[id] = len(g.order)
		g.order = append(g.order, byID[id])
		for _, d := range g.downstream[id] {
			if indeg[d]--; indeg[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	if len(g.order) != len(nodes) {
		return nil, fmt.Errorf("the DAG has a cycle")
	}
	return g, nil
}

// Nodes returns the nodes in topological order.
func (g *Graph) Nodes() []Node { return g.order }

// Downstream returns the direct downstream tasks of id.
func (g *Graph) Downstream(id string) []string { return g.downstream[id] }

// Has reports whether the graph holds task id.
func (g *Graph) Has(id string) bool { _, ok := g.index[id]; return ok }

// WithDescendants returns ids and every task downstream of them, in
// topological order.
func (g *Graph) WithDescendants(ids []string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		for _, d := range g.downstream[id] {
			walk(d)
		}
	}
	for _, id := range ids {
		walk(id)
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return g.index[out[i]] < g.index[out[j]] })
	return out
}

// Plan is what changes after evaluating a run.
type Plan struct {
	// Queue lists tasks (state none) whose trigger rule is met.
	Queue []string
	// Skip and UpstreamFailed list tasks (state none) to mark so.
	Skip           []string
	UpstreamFailed []string
	// Finished is true when every task is in a final state afterwards;
	// State is then the run's final state.
	Finished bool
	State    RunState
	// Stalled is true when nothing is active and yet some task can never
	// run (a corrupted run); the run is then failed.
	Stalled bool
}

// Evaluate decides the next transitions of a run given every task's
// state. Decisions cascade in one pass: tasks are visited in topological
// order, so a task marked skipped or upstream_failed is seen as such by its
// downstream. A task to queue counts as active (not final) for the rest.
func (g *Graph) Evaluate(states map[string]State) Plan {
	cur := make(map[string]State, len(states))
	for k, v := range states {
		cur[k] = v
	}
	var p Plan
	up := make([]State, 0, 8)
	for _, n := range g.order {
		if st := cur[n.ID]; st != StateNone && st != "" {
			continue
		}
		up = up[:0]
		for _, u := range n.Upstream {
			up = append(up, cur[u])
		}
		rule := n.Rule
		if rule == "" {
			rule = AllSuccess
		}
		switch EvaluateRule(rule, up) {
		case DecisionRun:
			cur[n.ID] = StateQueued
			p.Queue = append(p.Queue, n.ID)
		case DecisionSkip:
			cur[n.ID] = StateSkipped
			p.Skip = append(p.Skip, n.ID)
		case DecisionUpstreamFailed:
			cur[n.ID] = StateUpstreamFailed
			p.UpstreamFailed = append(p.UpstreamFailed, n.ID)
		}
	}
	active, waiting := false, false
	for _, n := range g.order {
		switch st := cur[n.ID]; {
		case st.Finished():
		case st == StateNone || st == "":
			waiting = true
		default:
			active = true
		}
	}
	if active {
		return p
	}
	p.Finished = true
	p.State = RunSuccess
	if waiting {
		p.Stalled = true
		p.State = RunFailed
		return p
	}
	for _, n := range g.order {
		if len(g.downstream[n.ID]) > 0 {
			continue
		}
		if st := cur[n.ID]; st == StateFailed || st == StateUpstreamFailed {
			p.State = RunFailed
		}
	}
	return p
}

// Node returns the node with the given id.
func (g *Graph) Node(id string) Node { return g.order[g.index[id]] }

// Order is the topological position of a task.
func (g *Graph) Order(id string) int { return g.index[id] }

// Leaves lists the tasks without downstream (they decide the run's state).
func (g *Graph) Leaves() []string {
	var out []string
	for _, n := range g.order {
		if len(g.downstream[n.ID]) == 0 {
			out = append(out, n.ID)
		}
	}
	return out
}

// Decide is the decision for one waiting task from its upstream counts.
func (g *Graph) Decide(id string, c Counts) Decision {
	n := g.Node(id)
	c.Upstream = len(n.Upstream)
	rule := n.Rule
	if rule == "" {
		rule = AllSuccess
	}
	return EvaluateCounts(rule, c)
}

// RunStateFromLeaves is the final state of a run whose tasks are all final: failed
// when a leaf is failed or upstream_failed, else success (Airflow's rule).
func RunStateFromLeaves(leafStates []State) RunState {
	for _, s := range leafStates {
		if s == StateFailed || s == StateUpstreamFailed {
			return RunFailed
		}
	}
	return RunSuccess
}
