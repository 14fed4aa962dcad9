// Package planner decides, without any I/O, what happens next in a DAG run:
// which task instances become ready, skipped or upstream_failed under
// Airflow's trigger rules, and when and how the run ends.
package planner

// State is a task instance state, named as Airflow names them.
type State string

// Task instance states.
const (
	StateNone           State = "none"
	StateScheduled      State = "scheduled"
	StateQueued         State = "queued"
	StateRunning        State = "running"
	StateSuccess        State = "success"
	StateFailed         State = "failed"
	StateUpForRetry     State = "up_for_retry"
	StateUpstreamFailed State = "upstream_failed"
	StateSkipped        State = "skipped"
)

// Finished reports whether s is a final state (success, failed,
// upstream_failed or skipped).
func (s State) Finished() bool {
	switch s {
	case StateSuccess, StateFailed, StateUpstreamFailed, StateSkipped:
		return true
	}
	return false
}

// TriggerRule is an Airflow trigger rule.
type TriggerRule string

// The trigger rules of Airflow.
const (
	AllSuccess              TriggerRule = "all_success"
	AllFailed               TriggerRule = "all_failed"
	AllDone                 TriggerRule = "all_done"
	AllDoneMinOneSuccess    TriggerRule = "all_done_min_one_success"
	AllSkipped              TriggerRule = "all_skipped"
	OneSuccess              TriggerRule = "one_success"
	OneFailed               TriggerRule = "one_failed"
	OneDone                 TriggerRule = "one_done"
	NoneFailed              TriggerRule = "none_failed"
	NoneFailedMinOneSuccess TriggerRule = "none_failed_min_one_success"
	NoneSkipped             TriggerRule = "none_skipped"
	Always                  TriggerRule = "always"
)

// TriggerRules lists every known rule.
var TriggerRules = []TriggerRule{
	AllSuccess, AllFailed, AllDone, AllDoneMinOneSuccess, AllSkipped, OneSuccess,
	OneFailed, OneDone, NoneFailed, NoneFailedMinOneSuccess, NoneSkipped, Always,
}

// Known reports whether r is one of TriggerRules.
func (r TriggerRule) Known() bool {
	for _, k := range TriggerRules {
		if r == k {
			return true
		}
	}
	return false
}

// Decision is what a waiting task (state none) becomes given its upstream.
type Decision int

const (
	// DecisionWait: not decidable yet, the task stays in state none.
	DecisionWait Decision = iota
	// DecisionRun: the rule is met, the task is ready to be queued.
	DecisionRun
	// DecisionSkip: the task is marked skipped.
	DecisionSkip
	// DecisionUpstreamFailed: the task is marked upstream_failed.
	DecisionUpstreamFailed
)

func (d Decision) String() string {
	switch d {
	case DecisionWait:
		return "wait"
	case DecisionRun:
		return "run"
	case DecisionSkip:
		return "skip"
	case DecisionUpstreamFailed:
		return "upstream_failed"
	}
	return "unknown"
}
