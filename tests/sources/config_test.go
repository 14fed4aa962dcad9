package sources_test

import (
	"strings"
	"testing"
)

// A product_mapping (in a run's conf) whose label maps to something else
// than a code or a list of codes fails source_config_validate naming the
// label: it passed, and every row naming the label was dropped at
// normalisation, the run then writing suggestions for the others (or
// failing with "no row left" far from the mistake).
func TestSourceDagInvalidProductMappingFailsConfig(t *testing.T) {
	t.Parallel()
	df := &dataFair{pageSize: 5}
	df.set([]map[string]any{
		ecosystemRow("A1", "Répar Un", "Artisan, commerce indépendant", "Cartouches", 48.85),
		ecosystemRow("A2", "Répar Deux", "Artisan, commerce indépendant", "Chaussure", 48.86),
	})
	p := newPlatform(t, df)
	code, doc, stderr := p.run(map[string]any{"product_mapping": map[string]any{
		"cartouches": 5, "chaussure": "chaussures", "vêtement": []any{"vetement", nil}}})
	if code != 1 || taskStates(doc)["source_config_validate"] != "failed" {
		t.Fatalf("exit %d tasks %v %s", code, taskStates(doc), stderr)
	}
	for _, task := range doc.Tasks {
		if task.TaskID == "source_config_validate" &&
			(!strings.Contains(task.Error, `"cartouches": 5`) || !strings.Contains(task.Error, `"vêtement": ['vetement', None]`)) {
			t.Errorf("error %q should name the labels and their values", task.Error)
		}
	}
	if got := p.counts(); got != "cohorts=0 groups=0 units=0 logs=0" {
		t.Errorf("written: %s", got)
	}
}
