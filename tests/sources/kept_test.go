package sources_test

import (
	"testing"
)

// Rows dropped where LVAO's Python fails the whole task (an unknown acteur
// type or product label, raised by a column transform) say nothing about
// their acteurs: stored ones are neither updated nor deleted.
func TestSourceDagKeepsActeursOfRowsLVAOWouldFailOn(t *testing.T) {
	t.Parallel()
	df := &dataFair{pageSize: 2}
	df.set([]map[string]any{
		ecosystemRow("A1", "Répar Un", "Vaisseau spatial", "Cartouches", 48.85),
		ecosystemRow("A2", "Répar Deux", "Artisan, commerce indépendant", "Fusée à eau", 48.86),
		ecosystemRow("A3", "Répar Trois", "Artisan, commerce indépendant", "Cartouches", 48.87),
	})
	p := newPlatform(t, df)
	h := p.start()
	for _, id := range []string{"A1", "A2", "A3", "X9"} {
		p.insertActeur("ecosystem_"+id, id)
	}
	run := h.trigger(p.conf())
	if doc := h.wait(run); doc.State != "success" {
		t.Fatalf("run %s: %v", doc.State, taskStates(doc))
	}
	// MODIF: A3 (stored with another nom); SUP: X9 only (not A1 nor A2).
	if got := p.cohorts(); got != "MODIF=1 SUP=1" {
		t.Errorf("groups by cohort: %s (want A3 updated, X9 deleted, A1 and A2 left alone)", got)
	}
	var deleted []string
	rows, err := p.webapp.Query(t.Context(), `SELECT g.acteur_id FROM data_suggestiongroupe g
		JOIN data_suggestioncohorte c ON c.id = g.suggestion_cohorte_id WHERE c.type_action = 'SOURCE_SUPRESSION'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		deleted = append(deleted, id)
	}
	rows.Close()
	if len(deleted) != 1 || deleted[0] != "ecosystem_X9" {
		t.Errorf("deleted acteurs: %v, want [ecosystem_X9]", deleted)
	}
}
