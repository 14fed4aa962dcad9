package sources_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// Rows sharing an identifiant_unique are merged by source_data_normalize
// (the second pass of its whole-table step): one acteur, the union of the
// products; the other rows go on unchanged.
func TestSourceDagMergesRowsOfOneActeur(t *testing.T) {
	t.Parallel()
	df := &dataFair{pageSize: 2}
	df.set([]map[string]any{
		ecosystemRow("A2", "Répar Deux", "Artisan, commerce indépendant", "Chaussure", 48.86),
		ecosystemRow("A1", "Répar Un", "Artisan, commerce indépendant", "Cartouches", 48.85),
		ecosystemRow("A3", "Répar Trois", "Artisan, commerce indépendant", "Cartouches", 48.87),
		ecosystemRow("A1", "Répar Un", "Artisan, commerce indépendant", "Chaussure", 48.85),
	})
	p := newPlatform(t, df)
	code, doc, stderr := p.run(nil)
	if code != 0 {
		t.Fatalf("exit %d %v %s", code, taskStates(doc), stderr)
	}
	for _, task := range doc.Tasks {
		if task.TaskID != "source_data_normalize" {
			continue
		}
		var res struct {
			In  int `json:"rows_in"`
			Out int `json:"rows_out"`
		}
		if err := json.Unmarshal(task.Result, &res); err != nil || res.In != 4 || res.Out != 3 {
			t.Errorf("normalize result %s", task.Result)
		}
	}
	if got := p.cohorts(); got != "AJOUT=3" {
		t.Errorf("groups by cohort: %s", got)
	}
	var ps string
	err := p.webapp.QueryRow(t.Context(), `SELECT u.valeurs[1] FROM data_suggestionunitaire u
		JOIN data_suggestiongroupe g ON g.id = u.suggestion_groupe_id
		WHERE u.champs = '{proposition_service_codes}' AND g.contexte IS NULL
		AND u.suggestion_groupe_id = (SELECT suggestion_groupe_id FROM data_suggestionunitaire
			WHERE champs = '{identifiant_unique}' AND valeurs[1] = 'ecosystem_A1')`).Scan(&ps)
	if err != nil || !strings.Contains(ps, "cartouches") || !strings.Contains(ps, "chaussure") {
		t.Errorf("merged acteur's proposition services: %q %v", ps, err)
	}
}
