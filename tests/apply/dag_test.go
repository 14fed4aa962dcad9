package apply_test

import (
	"testing"

	"github.com/lvao/dataplatform/shared/bundle"
)

// The apply DAGs of shared/dags are valid against the bundle's functions
// and shaped as LVAO's.
func TestDagFilesValid(t *testing.T) {
	t.Parallel()
	set, err := bundle.LoadDags()
	if err != nil {
		t.Fatal(err)
	}
	for id, groupe := range map[string]bool{"apply_suggestions": false, "apply_suggestions_groupe": true} {
		s, ok := set.Get(id)
		if !ok {
			t.Fatalf("no DAG %s", id)
		}
		if s.Schedule != "0/5 * * * *" || s.MaxActiveRuns != 1 || s.Catchup {
			t.Errorf("%s: schedule %q, max_active_runs %d, catchup %v", id, s.Schedule, s.MaxActiveRuns, s.Catchup)
		}
		last := s.Tasks[len(s.Tasks)-1]
		if last.Function != "trigger-dag" || last.Args["dag_id"] != "compute_acteurs" || last.Args["skip_if_queued"] != true {
			t.Errorf("%s: last task %+v", id, last)
		}
		for _, tk := range s.Tasks[:2] {
			if tk.Args["use_suggestion_groupe"] != groupe {
				t.Errorf("%s/%s: use_suggestion_groupe = %v", id, tk.ID, tk.Args["use_suggestion_groupe"])
			}
		}
	}
}
