package planner

import (
	"fmt"
	"strings"
	"testing"
)

func TestTriggerRuleTable(t *testing.T) {
	t.Parallel()

	// Column order of the "want" strings below.
	columns := []TriggerRule{
		AllSuccess, AllFailed, AllDone, AllDoneMinOneSuccess, AllSkipped, OneSuccess,
		OneFailed, OneDone, NoneFailed, NoneFailedMinOneSuccess, NoneSkipped, Always,
	}
	decisions := map[string]Decision{
		"RUN": DecisionRun, "WAI": DecisionWait, "SKP": DecisionSkip, "UPF": DecisionUpstreamFailed,
	}
	const (
		S = StateSuccess
		F = StateFailed
		K = StateSkipped
		U = StateUpstreamFailed
		r = StateRunning
	)

	// Expected decisions, from Airflow's trigger_rule_dep.py (all_done_min_one_success
	// as Airflow documents it: skipped upstream are ignored): one row per
	// upstream combination, one column per rule.
	tests := []struct {
		want string
		name string
		up   []State
	}{
		//all_   all_    all_    all_dn  all_    one_    one_    one_    none_   nf_min  none_
		//succ   failed  done    min1s   skipped succ    failed  done    failed  1succ   skipped always
		{"RUN     RUN     RUN     RUN     RUN     RUN     RUN     RUN     RUN     RUN     RUN     RUN", "empty", nil},
		// size 1
		{"RUN     SKP     RUN     RUN     SKP     RUN     SKP     RUN     RUN     RUN     RUN     RUN", "success", []State{S}},
		{"UPF     RUN     RUN     UPF     SKP     UPF     RUN     RUN     UPF     UPF     RUN     RUN", "failed", []State{F}},
		{"SKP     SKP     RUN     SKP     RUN     SKP     SKP     SKP     RUN     SKP     SKP     RUN", "skipped", []State{K}},
		{"UPF     RUN     RUN     UPF     SKP     UPF     RUN     SKP     UPF     UPF     RUN     RUN", "upstream_failed", []State{U}},
		// size 2
		{"RUN     SKP     RUN     RUN     SKP     RUN     SKP     RUN     RUN     RUN     RUN     RUN", "success+success", []State{S, S}},
		{"UPF     SKP     RUN     RUN     SKP     RUN     RUN     RUN     UPF     UPF     RUN     RUN", "success+failed", []State{S, F}},
		{"SKP     SKP     RUN     RUN     SKP     RUN     SKP     RUN     RUN     RUN     SKP     RUN", "success+skipped", []State{S, K}},
		{"UPF     SKP     RUN     RUN     SKP     RUN     RUN     RUN     UPF     UPF     RUN     RUN", "success+upstream_failed", []State{S, U}},
		{"UPF     RUN     RUN     UPF     SKP     UPF     RUN     RUN     UPF     UPF     RUN     RUN", "failed+failed", []State{F, F}},
		{"UPF     SKP     RUN     UPF     SKP     UPF     RUN     RUN     UPF     UPF     SKP     RUN", "failed+skipped", []State{F, K}},
		{"UPF     RUN     RUN     UPF     SKP     UPF     RUN     RUN     UPF     UPF     RUN     RUN", "failed+upstream_failed", []State{F, U}},
		{"SKP     SKP     RUN     SKP     RUN     SKP     SKP     SKP     RUN     SKP     SKP     RUN", "skipped+skipped", []State{K, K}},
		{"UPF     SKP     RUN     UPF     SKP     UPF     RUN     SKP     UPF     UPF     SKP     RUN", "skipped+upstream_failed", []State{K, U}},
		{"UPF     RUN     RUN     UPF     SKP     UPF     RUN     SKP     UPF     UPF     RUN     RUN", "upstream_failed+upstream_failed", []State{U, U}},
		// size 3
		{"UPF     SKP     RUN     RUN     SKP     RUN     RUN     RUN     UPF     UPF     SKP     RUN", "success+failed+skipped", []State{S, F, K}},
		{"SKP     SKP     RUN     RUN     SKP     RUN     SKP     RUN     RUN     RUN     SKP     RUN", "success+skipped+skipped", []State{S, K, K}},
		{"SKP     SKP     RUN     SKP     RUN     SKP     SKP     SKP     RUN     SKP     SKP     RUN", "skipped+skipped+skipped", []State{K, K, K}},
		{"UPF     SKP     RUN     UPF     SKP     UPF     RUN     RUN     UPF     UPF     SKP     RUN", "failed+upstream_failed+skipped", []State{F, U, K}},
		{"UPF     SKP     RUN     RUN     SKP     RUN     RUN     RUN     UPF     UPF     RUN     RUN", "success+success+upstream_failed", []State{S, S, U}},
		{"UPF     SKP     RUN     UPF     SKP     UPF     RUN     SKP     UPF     UPF     SKP     RUN", "upstream_failed+upstream_failed+skipped", []State{U, U, K}},
		// with an unfinished upstream
		{"WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     RUN", "running", []State{r}},
		{"WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     RUN", "up_for_retry", []State{StateUpForRetry}},
		{"WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     RUN", "none+none", []State{StateNone, StateNone}},
		{"WAI     SKP     WAI     WAI     SKP     RUN     WAI     RUN     WAI     WAI     WAI     RUN", "success+running", []State{S, r}},
		{"WAI     SKP     WAI     WAI     SKP     RUN     WAI     RUN     WAI     WAI     WAI     RUN", "success+up_for_retry", []State{S, StateUpForRetry}},
		{"UPF     WAI     WAI     WAI     SKP     WAI     RUN     RUN     UPF     UPF     WAI     RUN", "failed+running", []State{F, r}},
		{"UPF     WAI     WAI     WAI     SKP     WAI     RUN     RUN     UPF     UPF     WAI     RUN", "failed+scheduled", []State{F, StateScheduled}},
		{"SKP     SKP     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     SKP     RUN", "skipped+running", []State{K, r}},
		{"SKP     SKP     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     SKP     RUN", "skipped+queued", []State{K, StateQueued}},
		{"UPF     WAI     WAI     WAI     SKP     WAI     RUN     WAI     UPF     UPF     WAI     RUN", "upstream_failed+running", []State{U, r}},
		{"SKP     SKP     WAI     WAI     WAI     WAI     WAI     WAI     WAI     WAI     SKP     RUN", "skipped+skipped+running", []State{K, K, r}},
		{"UPF     SKP     WAI     WAI     SKP     WAI     RUN     RUN     UPF     UPF     SKP     RUN", "skipped+failed+running", []State{K, F, r}},
		{"UPF     WAI     WAI     WAI     SKP     WAI     RUN     RUN     UPF     UPF     WAI     RUN", "failed+failed+running", []State{F, F, r}},
	}

	// The columns must be exactly the known rules.
	if len(columns) != len(TriggerRules) {
		t.Fatalf("table has %d rule columns, TriggerRules has %d", len(columns), len(TriggerRules))
	}
	for _, rule := range columns {
		if !rule.Known() {
			t.Fatalf("column %q is not a known rule", rule)
		}
	}

	for _, tc := range tests {
		want := strings.Fields(tc.want)
		if len(want) != len(columns) {
			t.Fatalf("%s: %d expectations, want %d", tc.name, len(want), len(columns))
		}
		for i, rule := range columns {
			d, ok := decisions[want[i]]
			if !ok {
				t.Fatalf("%s: bad expectation %q", tc.name, want[i])
			}
			t.Run(fmt.Sprintf("%s/%s", rule, tc.name), func(t *testing.T) {
				t.Parallel()
				if got := EvaluateRule(rule, tc.up); got != d {
					t.Errorf("EvaluateRule(%s, %v) = %s, want %s", rule, tc.up, got, d)
				}
			})
		}
	}

	t.Run("unknown_rule", func(t *testing.T) {
		t.Parallel()
		bogus := TriggerRule("all_good")
		if bogus.Known() {
			t.Errorf("%q.Known() = true, want false", bogus)
		}
		if TriggerRule("").Known() {
			t.Error(`"".Known() = true, want false`)
		}
		// Airflow: "No strategy to evaluate trigger rule" -> dependency not met.
		if got := EvaluateRule(bogus, []State{S}); got != DecisionWait {
			t.Errorf("EvaluateRule(%q, [success]) = %s, want wait", bogus, got)
		}
		// No upstream passes before the rule is even looked at.
		if got := EvaluateRule(bogus, nil); got != DecisionRun {
			t.Errorf("EvaluateRule(%q, []) = %s, want run", bogus, got)
		}
	})
}
