package compute_test

import (
	"encoding/json"
	"testing"

	"github.com/lvao/dataplatform/shared/bundle"
	"github.com/lvao/dataplatform/shared/pipeline/compute"
)

// The DAG files of shared/dags validate against the bundle's functions, and compute_acteurs' tasks build every model after the models it
// needs: each dependency of a task's models is in the same task or in an
// upstream task.
func TestDagFiles(t *testing.T) {
	t.Parallel()
	set, err := bundle.LoadDags()
	if err != nil {
		t.Fatal(err)
	}
	spec, ok := set.Get("compute_acteurs")
	if !ok {
		t.Fatal("no compute_acteurs")
	}
	if _, ok := set.Get("export_opendata_dag"); !ok {
		t.Fatal("no export_opendata_dag")
	}
	p, err := compute.LoadProject(compute.Embedded, "wh")
	if err != nil {
		t.Fatal(err)
	}
	builtBy := map[string]string{} // model → task
	deps := map[string][]string{}
	publishes := map[string]bool{}
	for _, task := range spec.Tasks {
		deps[task.ID] = task.DependsOn
		b, _ := json.Marshal(task.Args)
		var a compute.Args
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("task %s: %v", task.ID, err)
		}
		models, err := p.Select(a.Select...)
		if err != nil {
			t.Fatalf("task %s: %v", task.ID, err)
		}
		if len(a.Select) > 0 {
			for _, m := range models {
				if prev, dup := builtBy[m.Name]; dup {
					t.Errorf("model %s built by %s and %s", m.Name, prev, task.ID)
				}
				builtBy[m.Name] = task.ID
			}
		}
		for _, g := range a.Publish {
			if _, ok := compute.Publications[g]; !ok {
				t.Errorf("task %s publishes unknown group %s", task.ID, g)
			}
			publishes[g] = true
		}
	}
	for _, m := range p.Models {
		if builtBy[m.Name] == "" {
			t.Errorf("no task builds %s", m.Name)
		}
	}
	for g := range compute.Publications {
		if !publishes[g] {
			t.Errorf("no task publishes %s", g)
		}
	}
	upstream := func(task string) map[string]bool {
		out := map[string]bool{task: true}
		var walk func(string)
		walk = func(n string) {
			for _, d := range deps[n] {
				if !out[d] {
					out[d] = true
					walk(d)
				}
			}
		}
		walk(task)
		return out
	}
	for _, m := range p.Models {
		up := upstream(builtBy[m.Name])
		for _, d := range m.Deps {
			if !up[builtBy[d]] {
				t.Errorf("%s (task %s) needs %s (task %s), which is not upstream", m.Name, builtBy[m.Name], d, builtBy[d])
			}
		}
	}
	for _, task := range spec.Tasks {
		b, _ := json.Marshal(task.Args)
		var a compute.Args
		_ = json.Unmarshal(b, &a)
		for _, g := range a.Publish {
			for _, pub := range compute.Publications[g] {
				if !upstream(task.ID)[builtBy[pub.Exposure]] {
					t.Errorf("task %s publishes %s before %s is built", task.ID, pub.Webapp, pub.Exposure)
				}
			}
		}
	}
}
