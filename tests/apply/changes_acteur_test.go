package apply_test

import (
	"regexp"
	"strings"
	"testing"
)

// The change models of the enrichment suggestions (closed acteurs, cities,
// postcodes, RGPD) and the checks of the clustering ones.

// acteur_update writes the data on the imported acteur (values converted
// as Django does: a bool for a boolean field, a text for a text field).
func TestChangeUpdate(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	id := f.changes(change(1, "acteur_update", "a1", map[string]any{
		"statut": "INACTIF", "siret_is_closed": true, "code_postal": 75001, "not_a_field": "ignored",
	}))
	f.applyOK(false)
	f.wantStatut(false, id, "SUCCES", "")
	a := f.row("qfdmo_acteur", "a1")
	for k, v := range map[string]any{"statut": "INACTIF", "siret_is_closed": true, "code_postal": "75001", "nom": "Acteur a1"} {
		want(t, "a1."+k, a[k], v)
	}
	if f.row("qfdmo_revisionacteur", "a1") != nil {
		t.Error("acteur_update created a revision")
	}
}

// Acteur.save() rules: an acteur saved without identifiant_externe gets a
// random one, one without source gets "communautelvao", and a non-digital
// acteur without location is refused.
func TestChangeUpdateActeurSaveRules(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	f.acteur("digital", acteurOpts{typ: "acteur_digital", noLocation: true})
	f.acteur("nowhere", acteurOpts{noLocation: true})
	ok := f.changes(
		change(1, "acteur_update", "a1", map[string]any{"identifiant_externe": "", "source_id": nil}),
		change(2, "acteur_update", "digital", map[string]any{"nom": "En ligne"}),
	)
	noLocation := f.changes(change(1, "acteur_update", "nowhere", map[string]any{"nom": "x"}))
	empty := f.changes(change(1, "acteur_update", "a1", map[string]any{}))
	badBool := f.changes(change(1, "acteur_update", "a1", map[string]any{"siret_is_closed": "peut-être"}))
	f.apply(false)
	f.wantStatut(false, ok, "SUCCES", "")
	f.wantStatut(false, noLocation, "ERREUR", "{'location': ['Location is mandatory when the actor is not digital']}")
	f.wantStatut(false, empty, "ERREUR", "Aucune donnée fournie")
	f.wantStatut(false, badBool, "ERREUR", "“peut-être” value must be either True, False, or None.")
	a := f.row("qfdmo_acteur", "a1")
	if ext, _ := a["identifiant_externe"].(string); !regexp.MustCompile(`^[A-Z]{12}$`).MatchString(ext) {
		t.Errorf("identifiant_externe = %q, want 12 random capitals", ext)
	}
	want(t, "source", a["source"], "communautelvao")
	want(t, "digital.nom", f.row("qfdmo_acteur", "digital")["nom"], "En ligne")
}

// acteur_update_revision writes the data on the acteur's revision,
// created when missing (with a copy of the acteur's relations); an id that
// is only a revision (a parent) is updated directly.
func TestChangeUpdateRevision(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{nom: "Importé", labels: []string{"reparacteur"}, ps: map[string][]string{"trier": {"vetement"}}})
	f.acteur("a2", acteurOpts{})
	f.revision("a2", revOpts{nom: "Corrigé"})
	f.revision("parent", revOpts{nom: "Parent"})
	f.acteur("child", acteurOpts{})
	f.revision("child", revOpts{parent: "parent", source: testSource})
	id := f.changes(
		change(1, "acteur_update_revision", "a1", map[string]any{"ville": "Lyon", "code_postal": "69001"}),
		change(2, "acteur_update_revision", "a2", map[string]any{"ville": "Lille"}),
		change(3, "acteur_update_revision", "parent", map[string]any{"ville": "Nice"}),
	)
	f.applyOK(false)
	f.wantStatut(false, id, "SUCCES", "")
	r1 := f.row("qfdmo_revisionacteur", "a1")
	want(t, "a1 revision", []any{r1["ville"], r1["code_postal"], r1["nom"], r1["statut"]}, []any{"Lyon", "69001", "", "ACTIF"})
	want(t, "a1 revision labels", f.codes("revision", "labels", "a1"), []string{"reparacteur"})
	want(t, "a1 revision ps", f.codes("revision", "ps", "a1"), []string{"trier:vetement"})
	want(t, "a1 acteur unchanged", f.row("qfdmo_acteur", "a1")["ville"], "Paris")
	r2 := f.row("qfdmo_revisionacteur", "a2")
	want(t, "a2 revision", []any{r2["ville"], r2["nom"]}, []any{"Lille", "Corrigé"})
	want(t, "parent.ville", f.row("qfdmo_revisionacteur", "parent")["ville"], "Nice")
}

func TestChangeUpdateRevisionErrors(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	missing := f.changes(change(1, "acteur_update_revision", "absent", map[string]any{"ville": "x"}))
	empty := f.changes(change(1, "acteur_update_revision", "a1", nil))
	badChoice := f.changes(change(1, "acteur_update_revision", "a1", map[string]any{"statut": "FERME"}))
	tooLong := f.changes(change(1, "acteur_update_revision", "a1", map[string]any{"code_postal": "75001-75002"}))
	f.apply(false)
	f.wantStatut(false, missing, "ERREUR", "L'acteur cible absent n'existe pas")
	f.wantStatut(false, empty, "ERREUR", "Aucune donnée fournie")
	f.wantStatut(false, badChoice, "ERREUR", "{'statut': [\"Value 'FERME' is not a valid choice.\"]}")
	f.wantStatut(false, tooLong, "ERREUR", "{'code_postal': ['Ensure this value has at most 10 characters (it has 11).']}")
	if f.row("qfdmo_revisionacteur", "a1") != nil {
		t.Error("a failed change left a revision")
	}
}

// acteur_change_nothing_in_base and acteur_verify_presence_in_revision
// change nothing: the acteur (or its revision) must exist, no data is
// expected.
func TestChangeNothingAndVerify(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	f.revision("p", revOpts{})
	ok := f.changes(
		change(1, "acteur_change_nothing_in_base", "a1", nil),
		change(2, "acteur_verify_presence_in_revision", "p", map[string]any{}),
	)
	nothingMissing := f.changes(change(1, "acteur_change_nothing_in_base", "absent", nil))
	nothingData := f.changes(change(1, "acteur_change_nothing_in_base", "a1", map[string]any{"nom": "x"}))
	verifyMissing := f.changes(change(1, "acteur_verify_presence_in_revision", "a1", nil))
	verifyData := f.changes(change(1, "acteur_verify_presence_in_revision", "p", map[string]any{"nom": "x"}))
	f.apply(false)
	f.wantStatut(false, ok, "SUCCES", "")
	f.wantStatut(false, nothingMissing, "ERREUR", "Acteur matching query does not exist.")
	f.wantStatut(false, nothingData, "ERREUR", "No data expected")
	f.wantStatut(false, verifyMissing, "ERREUR", "RevisionActeur matching query does not exist.")
	f.wantStatut(false, verifyData, "ERREUR", "No data expected")
	want(t, "a1.nom", f.row("qfdmo_acteur", "a1")["nom"], "Acteur a1")
}

// acteur_rgpd_anonymize overwrites the acteur and its revision (creating
// none) and appends the comment to their commentaires as a JSON list.
func TestChangeRgpdAnonymize(t *testing.T) {
	f := setup(t)
	const anon = "ANONYMISE POUR RAISON RGPD"
	data := map[string]any{"nom": anon, "nom_officiel": anon, "nom_commercial": anon, "email": "", "telephone": anon,
		"adresse": anon, "adresse_complement": anon, "statut": "INACTIF",
		"commentaires": anon + " via suggestion du 2025-08-01 à 10:00:00 UTC"}
	f.acteur("a1", acteurOpts{email: "jean@example.fr", commentaires: "ancien commentaire"})
	f.revision("a1", revOpts{nom: "Jean", commentaires: `[{"message":"déjà"}]`})
	f.acteur("a2", acteurOpts{})
	id := f.changes(
		change(1, "acteur_rgpd_anonymize", "a1", data),
		change(2, "acteur_rgpd_anonymize", "a2", data),
	)
	missing := f.changes(change(1, "acteur_rgpd_anonymize", "absent", data))
	f.apply(false)
	f.wantStatut(false, id, "SUCCES", "")
	a := f.row("qfdmo_acteur", "a1")
	for k, v := range map[string]any{"nom": anon, "email": "", "telephone": anon, "statut": "INACTIF", "ville": "Paris"} {
		want(t, "acteur."+k, a[k], v)
	}
	comment := `{"message": "` + anon + ` via suggestion du 2025-08-01 \u00e0 10:00:00 UTC"}`
	want(t, "acteur.commentaires", a["commentaires"], `[{"message": "ancien commentaire"}, `+comment+`]`)
	r := f.row("qfdmo_revisionacteur", "a1")
	want(t, "revision.nom", r["nom"], anon)
	want(t, "revision.commentaires", r["commentaires"], `[{"message": "d\u00e9j\u00e0"}, `+comment+`]`)
	if f.row("qfdmo_revisionacteur", "a2") != nil {
		t.Error("RGPD created a revision")
	}
	want(t, "a2.commentaires", f.row("qfdmo_acteur", "a2")["commentaires"], "["+comment+"]")
	f.wantStatut(false, missing, "ERREUR", "Acteur matching query does not exist.")
}

// Comments that are JSON but not a list cannot be appended to.
func TestChangeRgpdAnonymizeNonListComments(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{commentaires: `{"message": "objet"}`})
	id := f.changes(change(1, "acteur_rgpd_anonymize", "a1", map[string]any{"nom": "X", "commentaires": "rgpd"}))
	noComment := f.changes(change(1, "acteur_rgpd_anonymize", "a1", map[string]any{"nom": "X"}))
	f.apply(false)
	f.wantStatut(false, id, "ERREUR", "Cas de commentaires JSON non-liste pas prévu")
	f.wantStatut(false, noComment, "ERREUR", "commentaires")
	if !strings.Contains(f.row("qfdmo_acteur", "a1")["nom"].(string), "Acteur") {
		t.Error("the failed anonymisation was not rolled back")
	}
}

// RevisionActeur.save(): a revision that is no parent needs its Acteur;
// when missing it is created from the revision's fields ("__empty__" as
// "", type "commerce", source "communautelvao", a random
// identifiant_externe), which the revision takes back.
func TestRevisionSaveCreatesItsActeur(t *testing.T) {
	f := setup(t)
	f.revision("orphan", revOpts{nom: "Orphelin"})
	f.exec(`UPDATE qfdmo_revisionacteur SET location = 'SRID=4326;POINT(2 48)'::geography, adresse = '__empty__'
		WHERE identifiant_unique = 'orphan'`)
	id := f.changes(change(1, "acteur_update_revision", "orphan", map[string]any{"ville": "Paris"}))
	f.applyOK(false)
	f.wantStatut(false, id, "SUCCES", "")
	a := f.row("qfdmo_acteur", "orphan")
	if a == nil {
		t.Fatal("no Acteur created for the revision")
	}
	for k, v := range map[string]any{"nom": "Orphelin", "ville": "Paris", "adresse": "", "acteur_type": "commerce",
		"source": "communautelvao", "lon": 2, "lat": 48, "statut": "ACTIF"} {
		want(t, "acteur."+k, a[k], v)
	}
	r := f.row("qfdmo_revisionacteur", "orphan")
	want(t, "revision", []any{r["source"], r["identifiant_externe"], r["adresse"]}, []any{"communautelvao", a["identifiant_externe"], "__empty__"})
}

// A change's order as Python sorts it and pydantic reads it: a lone change
// with "order": "1" is applied (no comparison; "1" is a lax int); orders
// that are all strings sort as strings; a mix is Python's TypeError.
func TestChangeOrderAsPythonSortsIt(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	withOrder := func(order any, c map[string]any) map[string]any { c["order"] = order; return c }
	lone := f.changes(withOrder("1", change(0, "acteur_change_nothing_in_base", "a1", nil)))
	strs := f.changes(withOrder("2", change(0, "acteur_change_nothing_in_base", "a1", nil)),
		withOrder(" 10 ", change(0, "acteur_change_nothing_in_base", "a1", nil)))
	mixed := f.changes(withOrder("1", change(0, "acteur_change_nothing_in_base", "a1", nil)),
		change(2, "acteur_change_nothing_in_base", "a1", nil))
	notInt := f.changes(withOrder("one", change(0, "acteur_change_nothing_in_base", "a1", nil)))
	f.apply(false)
	f.wantStatut(false, lone, "SUCCES", "")
	f.wantStatut(false, strs, "SUCCES", "")
	f.wantStatut(false, mixed, "ERREUR", "'<' not supported between instances of 'int' and 'str'")
	f.wantStatut(false, notInt, "ERREUR", "Input should be a valid integer greater than or equal to 1")
}
