package planner

// counts mirrors Airflow's _UpstreamTIStates for direct upstream tasks.
type counts struct {
	upstream, success, skipped, failed, upstreamFailed, done int
}

func count(upstream []State) counts {
	c := counts{upstream: len(upstream)}
	for _, s := range upstream {
		switch s {
		case StateSuccess:
			c.success++
		case StateSkipped:
			c.skipped++
		case StateFailed:
			c.failed++
		case StateUpstreamFailed:
			c.upstreamFailed++
		}
		if s.Finished() {
			c.done++
		}
	}
	return c
}

// EvaluateRule decides what a task in state none becomes, given the states of
// its direct upstream tasks, following TriggerRuleDep._evaluate_direct_relatives
// in airflow/ti_deps/deps/trigger_rule_dep.py with flag_upstream_failed=True
// (no mapping, no setup/teardown, no removed upstream).
//
// Airflow first picks a new state eagerly (upstream_failed or skipped, often
// before every upstream has finished); that wins. Otherwise the dependency
// either passes (DecisionRun) or fails and the task waits (DecisionWait). An
// unknown rule waits ("No strategy to evaluate trigger rule").
func EvaluateRule(rule TriggerRule, upstream []State) Decision {
	return evaluate(rule, count(upstream))
}

// Counts are the numbers of a task's direct upstream tasks in each final
// state (the engine keeps them on each task instance, so a fan-in of
// thousands of tasks is decided without reading every upstream row).
type Counts struct {
	Upstream, Success, Skipped, Failed, UpstreamFailed int
}

// EvaluateCounts is EvaluateRule from counts.
func EvaluateCounts(rule TriggerRule, c Counts) Decision {
	return evaluate(rule, counts{upstream: c.Upstream, success: c.Success, skipped: c.Skipped, failed: c.Failed,
		upstreamFailed: c.UpstreamFailed, done: c.Success + c.Skipped + c.Failed + c.UpstreamFailed})
}

func evaluate(rule TriggerRule, c counts) Decision {
	// "The task instance did not have any upstream tasks." -> passing.
	if c.upstream == 0 {
		return DecisionRun
	}
	allDone := c.done >= c.upstream // Airflow's upstream_done
	failures := c.failed + c.upstreamFailed

	newState, met := DecisionWait, false
	switch rule {
	case AllSuccess:
		// upstream_failed on any failure, skipped on any skip; runs when
		// every upstream succeeded.
		if failures > 0 {
			newState = DecisionUpstreamFailed
		} else if c.skipped > 0 {
			newState = DecisionSkip
		}
		met = c.success == c.upstream
	case AllFailed:
		// skipped as soon as one upstream succeeded or was skipped; runs when
		// every upstream is failed or upstream_failed.
		if c.success > 0 || c.skipped > 0 {
			newState = DecisionSkip
		}
		met = failures == c.upstream
	case AllDone:
		// Never skipped or failed; runs once every upstream is finished.
		met = allDone
	case AllDoneMinOneSuccess:
		// As Airflow documents it: "all non-skipped upstream tasks are done
		// and at least one upstream task has succeeded". (Airflow 3.1's code
		// skips on any skipped upstream, apache/airflow#59925; we follow
		// the documentation.) Every upstream skipped: skipped; all done with
		// no success: upstream_failed.
		if allDone && c.skipped == c.upstream {
			newState = DecisionSkip
		} else if allDone && c.success == 0 {
			newState = DecisionUpstreamFailed
		}
		met = allDone && c.success > 0
	case AllSkipped:
		// skipped as soon as one upstream is success, failed or
		// upstream_failed; runs when every upstream was skipped.
		if c.success > 0 || failures > 0 {
			newState = DecisionSkip
		}
		met = c.skipped == c.upstream
	case OneSuccess:
		// Runs as soon as one upstream succeeded. Once all are done: skipped
		// if all were skipped, else upstream_failed if none succeeded.
		if allDone && c.done == c.skipped {
			newState = DecisionSkip
		} else if allDone && c.success == 0 {
			newState = DecisionUpstreamFailed
		}
		met = c.success > 0
	case OneFailed:
		// Runs as soon as one upstream is failed or upstream_failed; skipped
		// once all are done without any.
		if allDone && failures == 0 {
			newState = DecisionSkip
		}
		met = failures > 0
	case OneDone:
		// Runs as soon as one upstream is success or failed (upstream_failed
		// does not count); skipped once all are done without any.
		if allDone && c.failed == 0 && c.success == 0 {
			newState = DecisionSkip
		}
		met = c.success+c.failed > 0
	case NoneFailed:
		// upstream_failed on any failure; runs when every upstream is success
		// or skipped.
		if failures > 0 {
			newState = DecisionUpstreamFailed
		}
		met = c.success+c.skipped == c.upstream
	case NoneFailedMinOneSuccess:
		// upstream_failed on any failure; skipped when every upstream was
		// skipped; runs when every upstream is success or skipped.
		if failures > 0 {
			newState = DecisionUpstreamFailed
		} else if c.skipped == c.upstream {
			newState = DecisionSkip
		}
		met = c.success+c.skipped == c.upstream
	case NoneSkipped:
		// skipped as soon as one upstream is skipped; runs when all are done
		// and none was skipped.
		if c.skipped > 0 {
			newState = DecisionSkip
		}
		met = allDone && c.skipped == 0
	case Always:
		// "The task had a always trigger rule set." -> passing at once.
		met = true
	}
	switch {
	case newState != DecisionWait:
		return newState
	case met:
		return DecisionRun
	}
	return DecisionWait
}
