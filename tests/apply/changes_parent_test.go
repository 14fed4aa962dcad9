package apply_test

import (
	"testing"
)

// The change models of the clustering (dedup) suggestions: parents are
// RevisionActeur rows without source that children point to.

// acteur_create_as_parent creates a parent revision: no source, statut
// ACTIF, the data (location from latitude/longitude, foreign keys by id),
// its perimètres; no Acteur is created for it.
func TestChangeCreateAsParent(t *testing.T) {
	f := setup(t)
	var typeID int
	f.scalar(&typeID, `SELECT id FROM qfdmo_acteurtype WHERE code = 'artisan'`)
	id := f.changes(change(1, "acteur_create_as_parent", "parent-1", map[string]any{
		"nom": "Parent", "acteur_type": typeID, "longitude": 2.5, "latitude": 48.5, "statut": "INACTIF",
		"siret": "12345678901234", "source": nil, "email": "contact@example.fr",
		"perimetre_adomiciles": []any{map[string]any{"type": "KILOMETRIQUE", "value": "30"}},
	}))
	f.applyOK(false)
	f.wantStatut(false, id, "SUCCES", "")
	p := f.row("qfdmo_revisionacteur", "parent-1")
	for k, v := range map[string]any{"nom": "Parent", "acteur_type": "artisan", "lon": 2.5, "lat": 48.5,
		"statut": "ACTIF", "source": nil, "siret": "12345678901234", "parent_id": nil, "email": "contact@example.fr"} {
		want(t, "parent."+k, p[k], v)
	}
	want(t, "perimetres", f.codes("revision", "perimetres", "parent-1"), []string{"KILOMETRIQUE:30"})
	if f.row("qfdmo_acteur", "parent-1") != nil {
		t.Error("an Acteur was created for the parent")
	}
}

func TestChangeCreateAsParentErrors(t *testing.T) {
	f := setup(t)
	f.revision("parent-1", revOpts{nom: "Existant"})
	exists := f.changes(change(1, "acteur_create_as_parent", "parent-1", map[string]any{"nom": "x"}))
	badField := f.changes(change(1, "acteur_create_as_parent", "parent-2", map[string]any{"couleur": "bleu"}))
	badType := f.changes(change(1, "acteur_create_as_parent", "parent-3", map[string]any{"acteur_type": 99999}))
	badEmail := f.changes(change(1, "acteur_create_as_parent", "parent-4", map[string]any{"email": "pas un email"}))
	// A GeoJSON location: GeoDjango's TypeError names the model and type(value).
	geoJSON := f.changes(change(1, "acteur_create_as_parent", "parent-5",
		map[string]any{"nom": "x", "location": map[string]any{"type": "Point", "coordinates": []any{2, 48}}}))
	f.acteur("a1", acteurOpts{})
	numberLocation := f.changes(change(1, "acteur_update", "a1", map[string]any{"location": 2.5}))
	f.apply(false)
	f.wantStatut(false, exists, "ERREUR", "Parent to create 'parent-1' already exists")
	f.wantStatut(false, badField, "ERREUR", "RevisionActeur has no field named 'couleur'")
	f.wantStatut(false, badType, "ERREUR", "ActeurType matching query does not exist.")
	f.wantStatut(false, badEmail, "ERREUR", "{'email': ['Enter a valid email address.']}")
	f.wantStatut(false, geoJSON, "ERREUR", "Cannot set RevisionActeur SpatialProxy (POINT) with value of type: <class 'dict'>")
	f.wantStatut(false, numberLocation, "ERREUR", "Cannot set Acteur SpatialProxy (POINT) with value of type: <class 'float'>")
	want(t, "parent-1.nom", f.row("qfdmo_revisionacteur", "parent-1")["nom"], "Existant")
	if f.count(`SELECT count(*) FROM qfdmo_revisionacteur`) != 1 {
		t.Error("a failed creation left a revision")
	}
}

// acteur_keep_as_parent updates an existing parent with the data (saved
// as a parent: its source is removed); without data it changes nothing.
func TestChangeKeepAsParent(t *testing.T) {
	f := setup(t)
	f.revision("parent-1", revOpts{nom: "Ancien", source: testSource})
	f.revision("parent-2", revOpts{nom: "Intact"})
	id := f.changes(
		change(1, "acteur_keep_as_parent", "parent-1", map[string]any{"nom": "Nouveau", "ville": "Lyon"}),
		change(2, "acteur_keep_as_parent", "parent-2", nil),
	)
	missing := f.changes(change(1, "acteur_keep_as_parent", "absent", map[string]any{"nom": "x"}))
	f.apply(false)
	f.wantStatut(false, id, "SUCCES", "")
	f.wantStatut(false, missing, "ERREUR", "RevisionActeur matching query does not exist.")
	p := f.row("qfdmo_revisionacteur", "parent-1")
	want(t, "nom", p["nom"], "Nouveau")
	want(t, "ville", p["ville"], "Lyon")
	want(t, "source", p["source"], nil)
	want(t, "parent-2.nom", f.row("qfdmo_revisionacteur", "parent-2")["nom"], "Intact")
}

// acteur_delete_as_parent: the parent should already be gone; a parent
// whose children are all inactive is unlinked and deleted; a parent with
// an active child (or none) is an error.
func TestChangeDeleteAsParent(t *testing.T) {
	f := setup(t)
	f.revision("gone-parent", revOpts{})
	f.exec(`DELETE FROM qfdmo_revisionacteur WHERE identifiant_unique = 'gone-parent'`)
	gone := f.changes(change(1, "acteur_delete_as_parent", "gone-parent", nil))

	f.revision("p-inactive", revOpts{labels: []string{"reparacteur"}, perimetres: [][2]string{{"DEPARTEMENTAL", "75"}}})
	for _, c := range []string{"c1", "c2"} {
		f.acteur(c, acteurOpts{statut: "INACTIF"})
		f.revision(c, revOpts{parent: "p-inactive", statut: "INACTIF", source: testSource})
	}
	inactive := f.changes(change(1, "acteur_delete_as_parent", "p-inactive", nil))

	f.revision("p-active", revOpts{})
	f.acteur("c3", acteurOpts{})
	f.revision("c3", revOpts{parent: "p-active", source: testSource})
	active := f.changes(change(1, "acteur_delete_as_parent", "p-active", nil))

	f.revision("p-childless", revOpts{})
	childless := f.changes(change(1, "acteur_delete_as_parent", "p-childless", nil))

	f.apply(false)
	f.wantStatut(false, gone, "SUCCES", "")
	f.wantStatut(false, inactive, "SUCCES", "")
	f.wantStatut(false, active, "ERREUR", "Parent 'p-active' should already be deleted")
	f.wantStatut(false, childless, "ERREUR", "Parent 'p-childless' should already be deleted")
	if f.row("qfdmo_revisionacteur", "p-inactive") != nil {
		t.Error("p-inactive still exists")
	}
	for _, c := range []string{"c1", "c2"} {
		want(t, c+".parent_id", f.row("qfdmo_revisionacteur", c)["parent_id"], nil)
	}
	if n := f.count(`SELECT count(*) FROM qfdmo_revisionacteur_labels WHERE revisionacteur_id = 'p-inactive'`) +
		f.count(`SELECT count(*) FROM qfdmo_revisionperimetreadomicile WHERE acteur_id = 'p-inactive'`); n != 0 {
		t.Errorf("%d relations of the deleted parent remain", n)
	}
	want(t, "p-active stays", f.row("qfdmo_revisionacteur", "p-active")["identifiant_unique"], "p-active")
}

// acteur_update_parent_id points the acteur's revision to an existing
// parent. A missing revision is created (the acteur's type, its
// lieu_prestation, a copy of its relations); a parent left without
// children is deleted.
func TestChangeUpdateParentID(t *testing.T) {
	f := setup(t)
	f.revision("new-parent", revOpts{nom: "Nouveau parent"})
	f.revision("old-parent", revOpts{nom: "Ancien parent"})
	f.acteur("a1", acteurOpts{typ: "artisan", lieu: "A_DOMICILE", labels: []string{"reparacteur"},
		services: []string{"structure_de_collecte"}, ps: map[string][]string{"reparer": {"vetement", "livre"}},
		perimetres: [][2]string{{"DEPARTEMENTAL", "75"}}})
	f.acteur("a2", acteurOpts{})
	f.revision("a2", revOpts{parent: "old-parent", source: testSource, nom: "Corrigé"})
	id := f.changes(
		change(1, "acteur_update_parent_id", "a1", map[string]any{"parent_id": "new-parent"}),
		change(2, "acteur_update_parent_id", "a2", map[string]any{"parent_id": "new-parent"}),
	)
	f.applyOK(false)
	f.wantStatut(false, id, "SUCCES", "")

	r1 := f.row("qfdmo_revisionacteur", "a1")
	for k, v := range map[string]any{"parent_id": "new-parent", "acteur_type": "artisan", "lieu_prestation": "A_DOMICILE",
		// Fields left empty mean "as the acteur" (only an Acteur created
		// for the revision gives back its source and identifiant_externe).
		"statut": "ACTIF", "nom": "", "source": nil, "identifiant_externe": ""} {
		want(t, "a1 revision."+k, r1[k], v)
	}
	want(t, "a1 revision labels", f.codes("revision", "labels", "a1"), []string{"reparacteur"})
	want(t, "a1 revision services", f.codes("revision", "services", "a1"), []string{"structure_de_collecte"})
	want(t, "a1 revision ps", f.codes("revision", "ps", "a1"), []string{"reparer:livre,vetement"})
	want(t, "a1 revision perimetres", f.codes("revision", "perimetres", "a1"), []string{"DEPARTEMENTAL:75"})

	r2 := f.row("qfdmo_revisionacteur", "a2")
	want(t, "a2.parent_id", r2["parent_id"], "new-parent")
	want(t, "a2.nom", r2["nom"], "Corrigé")
	if f.row("qfdmo_revisionacteur", "old-parent") != nil {
		t.Error("old-parent, left without children, was not deleted")
	}
}

func TestChangeUpdateParentIDErrors(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	f.revision("child-parent", revOpts{})
	f.revision("p", revOpts{parent: "child-parent"})
	noParent := f.changes(change(1, "acteur_update_parent_id", "a1", map[string]any{"parent_id": "absent"}))
	noActeur := f.changes(change(1, "acteur_update_parent_id", "absent", map[string]any{"parent_id": "p"}))
	noKey := f.changes(change(1, "acteur_update_parent_id", "a1", map[string]any{"x": "p"}))
	dup := f.changes(change(1, "acteur_update_parent_id", "a1", map[string]any{"parent_id": "p"}))
	// Not in LVAO: an acteur its own parent, or a parent given a parent
	// (a chain), made every later compute_acteurs fail its data tests.
	f.acteur("a3", acteurOpts{})
	f.revision("a3", revOpts{})
	self := f.changes(change(1, "acteur_update_parent_id", "a3", map[string]any{"parent_id": "a3"}))
	f.acteur("a4", acteurOpts{})
	f.revision("a4", revOpts{})
	f.revision("a4-child", revOpts{parent: "a4"})
	f.revision("other-parent", revOpts{})
	chain := f.changes(change(1, "acteur_update_parent_id", "a4", map[string]any{"parent_id": "other-parent"}))
	f.apply(false)
	f.wantStatut(false, self, "ERREUR", "{'parent': [\"An acteur can't be its own parent.\"]}")
	f.wantStatut(false, chain, "ERREUR", "{'parent': [\"You can't give a Parent to an acteur which is already a Parent.\"]}")
	f.wantStatut(false, noParent, "ERREUR", "RevisionActeur matching query does not exist.")
	f.wantStatut(false, noActeur, "ERREUR", "Acteur matching query does not exist.")
	f.wantStatut(false, noKey, "ERREUR", "parent_id")
	f.wantStatut(false, dup, "ERREUR", "{'parent': [\"You can't define a Parent which is already a duplicate.\"]}")
	if f.row("qfdmo_revisionacteur", "a1") != nil {
		t.Error("a failed change left a revision")
	}
}

// A whole clustering suggestion, changes given out of order: the parent is
// created before the children point to it, the former parent (left
// without children) goes, and a verification passes.
func TestClusteringSuggestion(t *testing.T) {
	f := setup(t)
	f.revision("old", revOpts{})
	f.acteur("a1", acteurOpts{})
	f.acteur("a2", acteurOpts{})
	f.revision("a2", revOpts{parent: "old", source: testSource})
	f.acteur("a3", acteurOpts{})
	id := f.changes(
		change(3, "acteur_update_parent_id", "a2", map[string]any{"parent_id": "cluster-1"}),
		change(2, "acteur_update_parent_id", "a1", map[string]any{"parent_id": "cluster-1"}),
		change(1, "acteur_create_as_parent", "cluster-1", map[string]any{"nom": "Cluster"}),
		change(4, "acteur_delete_as_parent", "old", nil),
		change(4, "acteur_change_nothing_in_base", "a3", nil),
		change(5, "acteur_verify_presence_in_revision", "cluster-1", nil),
	)
	f.applyOK(false)
	f.wantStatut(false, id, "SUCCES", "")
	if n := f.count(`SELECT count(*) FROM qfdmo_revisionacteur WHERE parent_id = 'cluster-1'`); n != 2 {
		t.Errorf("children of cluster-1 = %d, want 2", n)
	}
	if f.row("qfdmo_revisionacteur", "old") != nil {
		t.Error("old parent still exists")
	}
}

// SuggestionChange's own validation: model_name, reason, order, id.
func TestChangeValidation(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	unknown := f.changes(change(1, "acteur_teleport", "a1", nil))
	short := f.changes(map[string]any{"order": 1, "reason": "abc", "model_name": "acteur_change_nothing_in_base",
		"model_params": map[string]any{"id": "a1"}})
	order0 := f.changes(change(0, "acteur_change_nothing_in_base", "a1", nil))
	noID := f.changes(map[string]any{"order": 1, "reason": "valid reason", "model_name": "acteur_change_nothing_in_base"})
	noChanges := f.suggestion(f.cohort("CLUSTERING"), "ATRAITER", map[string]any{"other": 1})
	sample := f.changes(change(1, "sample_model_do_nothing", "", nil))
	f.apply(false)
	f.wantStatut(false, unknown, "ERREUR", "Invalid model_name='acteur_teleport', must be in ['acteur_create_as_parent'")
	f.wantStatut(false, short, "ERREUR", "String should have at least 5 characters")
	f.wantStatut(false, order0, "ERREUR", "greater than or equal to 1")
	f.wantStatut(false, noID, "ERREUR", "Field required")
	f.wantStatut(false, noChanges, "ERREUR", "changes")
	f.wantStatut(false, sample, "SUCCES", "")
}
