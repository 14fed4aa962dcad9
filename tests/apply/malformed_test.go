package apply_test

import (
	"testing"
)

// Malformed suggestions: a "suggestion" JSON that is not what the change
// models expect fails that suggestion alone, with Python's TypeError text
// (what LVAO stores), while the others are applied.
func TestMalformedSuggestionJSONErrors(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	cases := []struct {
		name       string
		suggestion any
		want       string
	}{
		{"null", nil, "'NoneType' object is not subscriptable"},
		{"text", "changes", "string indices must be integers, not 'str'"},
		{"number", 12, "'int' object is not subscriptable"},
		{"boolean", true, "'bool' object is not subscriptable"},
		{"list", []any{}, "list indices must be integers or slices, not str"},
		{"null change", map[string]any{"changes": []any{nil}}, "'NoneType' object is not subscriptable"},
		{"text change", map[string]any{"changes": []any{"acteur_update"}}, "string indices must be integers, not 'str'"},
		{"list change", map[string]any{"changes": []any{[]any{1}}}, "list indices must be integers or slices, not str"},
		{"changes not a list", map[string]any{"changes": 3}, "'int' object has no attribute 'sort'"},
		{"perimetre not an object", map[string]any{"changes": []any{change(1, "acteur_create_as_parent", "p1",
			map[string]any{"nom": "Parent", "perimetre_adomiciles": []any{nil}})}}, "'NoneType' object is not subscriptable"},
	}
	ids := make([]int32, len(cases))
	for i, c := range cases {
		ids[i] = f.suggestion(f.cohort("CLUSTERING"), "ATRAITER", c.suggestion)
	}
	ok := f.changes(change(1, "acteur_update", "a1", map[string]any{"nom": "Appliqué"}))
	st := f.apply(false)
	for i, c := range cases {
		got, msg := f.statut(false, ids[i])
		if got != "ERREUR" || msg != c.want {
			t.Errorf("%s: %s %q, want ERREUR %q", c.name, got, msg, c.want)
		}
	}
	f.wantStatut(false, ok, "SUCCES", "")
	want(t, "a1.nom", f.row("qfdmo_acteur", "a1")["nom"], "Appliqué")
	if f.row("qfdmo_revisionacteur", "p1") != nil {
		t.Error("a failed acteur_create_as_parent left its parent")
	}
	want(t, "stats", []int{st.Succeeded, st.Failed}, []int{1, len(cases)})
}
