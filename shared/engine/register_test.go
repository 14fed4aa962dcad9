package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
)

// A coordinator whose DAG version another process replaced in the database
// (here a `dag run` of an edited DAG file beside `serve`; an instance of
// another deploy does the same) registers its own again at its next tick,
// and schedules the DAG: registering once per process, the tick skipped
// that DAG's schedule (not its version) for as long as the process lived.
func TestTickRegistersAgainAVersionAnotherProcessReplaced(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	b := setup(t, bundleOpts{dags: []string{hourlyDAG("rereg", false, 16)}, clock: clk})
	ctx := context.Background()
	if _, err := b.eng.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(hourlyDAG("rereg", false, 16), "tasks:", "description: edited\ntasks:", 1)
	set, err := dag.Load(dag.ValidateOptions{Functions: map[string]bool{"noop": true}},
		dag.Source{FS: fstest.MapFS{"rereg.yaml": {Data: []byte(edited)}}, Dir: ".", Name: "edited"})
	if err != nil {
		t.Fatal(err)
	}
	other := engine.New(engine.Config{Store: b.st, Publisher: b.eng.Publisher(), Dags: func() *dag.Set { return set },
		Now: clk.Now, NoSchedule: true})
	if _, err := other.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	if _, err := b.eng.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(b.runIDs("rereg")); got != "[scheduled__2025-08-10T11:00:00Z scheduled__2025-08-10T12:00:00Z]" {
		t.Fatalf("runs %s, want the 12:00 run scheduled after the other process registered its version", got)
	}
	spec, _ := b.set.Get("rereg")
	if n := b.queryInt("SELECT count(*) FROM dag WHERE dag_id = 'rereg' AND version_hash = $1", spec.Hash()); n != 1 {
		t.Fatal("the coordinator's version is not the registered one")
	}
}
