package gen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

var update = flag.Bool("update", false, "rewrite shared/dags/<source>.yaml")

func TestSourceDagFilesAreUpToDate(t *testing.T) {
	sources, err := os.ReadFile("../transform/testdata/sources.json")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := transform.LoadRefData(os.DirFS("../transform/testdata/fixtures"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(sources, ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 20 {
		t.Errorf("%d source DAGs, want the 20 of sources.json", len(files))
	}
	dir := "../../../dags"
	for name, want := range files {
		path := filepath.Join(dir, name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not what the generator writes: run go test ./shared/pipeline/source/gen -update", path)
		}
		spec, err := dag.Parse(path, want)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if errs := dag.Validate(spec, dag.ValidateOptions{}); len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		// Every step receives the resolved configuration.
		params, err := spec.ResolveParams(map[string]any{"dry_run": true})
		if err != nil {
			t.Fatal(err)
		}
		args, err := dag.Render(spec.Tasks[2].Args, dag.TemplateContext{Params: params})
		if err != nil {
			t.Fatal(err)
		}
		cfg := args["config"].(map[string]any)
		if cfg["dry_run"] != true || cfg["dag_id"] != spec.DagID || cfg["endpoint"] == "" || !strings.HasPrefix(spec.Tasks[6].ID, "db_write") {
			t.Errorf("%s: config %v", name, cfg)
		}
		if _, ok := cfg["normalization_rules"].([]any); !ok {
			t.Errorf("%s: normalization_rules %T", name, cfg["normalization_rules"])
		}
	}
}
