package apply_test

import (
	"testing"
)

// Suggestion groups (apply_suggestions_groupe): the units of a source
// group create, update or delete the acteur, its revision and its parent.

var (
	champ    = func(name string) []string { return []string{name} }
	latLong  = []string{"latitude", "longitude"}
	ajoutNom = "Nouvel acteur"
)

// SOURCE_AJOUT: the Acteur units create the acteur with its relations
// (the *_codes values are JSON text).
func TestGroupeSourceCreate(t *testing.T) {
	f := setup(t)
	g := f.groupe(f.cohort("SOURCE_AJOUT"), "", "", "",
		u("Acteur", champ("identifiant_unique"), "ecomaison_1"),
		u("Acteur", champ("source_code"), testSource),
		u("Acteur", champ("identifiant_externe"), "1"),
		u("Acteur", champ("nom"), ajoutNom),
		u("Acteur", champ("acteur_type_code"), "commerce"),
		u("Acteur", champ("adresse"), "1 rue de la Paix"),
		u("Acteur", latLong, "48.8686", "2.3315"),
		u("Acteur", champ("public_accueilli"), "Particuliers"),
		u("Acteur", champ("exclusivite_de_reprisereparation"), "True"),
		u("Acteur", champ("uniquement_sur_rdv"), nil),
		u("Acteur", champ("statut"), "ACTIF"),
		u("Acteur", champ("label_codes"), `["reparacteur"]`),
		u("Acteur", champ("acteur_service_codes"), `["structure_de_collecte"]`),
		u("Acteur", champ("proposition_service_codes"), `[{"action": "trier", "sous_categories": ["livre", "vetement"]}]`),
		u("Acteur", champ("lieu_prestation"), "SUR_PLACE_OU_A_DOMICILE"),
		u("Acteur", champ("perimetre_adomicile_codes"), `[{'type': 'KILOMETRIQUE', 'valeur': '15'}]`),
	)
	f.applyOK(true)
	f.wantStatut(true, g, "SUCCES", "")
	a := f.row("qfdmo_acteur", "ecomaison_1")
	for k, v := range map[string]any{"nom": ajoutNom, "source": testSource, "acteur_type": "commerce", "lon": 2.3315,
		"lat": 48.8686, "identifiant_externe": "1", "exclusivite_de_reprisereparation": true, "uniquement_sur_rdv": nil,
		"public_accueilli": "Particuliers", "reprise": "", "lieu_prestation": "SUR_PLACE_OU_A_DOMICILE", "ville": ""} {
		want(t, "acteur."+k, a[k], v)
	}
	want(t, "labels", f.codes("acteur", "labels", "ecomaison_1"), []string{"reparacteur"})
	want(t, "services", f.codes("acteur", "services", "ecomaison_1"), []string{"structure_de_collecte"})
	want(t, "ps", f.codes("acteur", "ps", "ecomaison_1"), []string{"trier:livre,vetement"})
	want(t, "perimetres", f.codes("acteur", "perimetres", "ecomaison_1"), []string{"KILOMETRIQUE:15"})
	if f.row("qfdmo_revisionacteur", "ecomaison_1") != nil {
		t.Error("a revision was created")
	}
}

func TestGroupeSourceCreateErrors(t *testing.T) {
	f := setup(t)
	c := f.cohort("SOURCE_AJOUT")
	base := func(extra ...unitSpec) []unitSpec {
		return append([]unitSpec{
			u("Acteur", champ("identifiant_unique"), "ecomaison_x"),
			u("Acteur", champ("source_code"), testSource),
			u("Acteur", champ("acteur_type_code"), "commerce"),
			u("Acteur", latLong, "48.8", "2.3"),
		}, extra...)
	}
	noNom := f.groupe(c, "", "", "", base()...)
	badType := f.groupe(c, "", "", "", base(u("Acteur", champ("nom"), "x"), u("Acteur", champ("acteur_type_code"), "fusee"))...)
	badField := f.groupe(c, "", "", "", base(u("Acteur", champ("couleur"), "bleu"))...)
	noUnits := f.groupe(c, "", "", "", unitSpec{modele: "RevisionActeur", champs: champ("nom"), valeurs: []any{"x"}, revisionID: "x"})
	badLat := f.groupe(c, "", "", "", base(u("Acteur", champ("nom"), "x"), u("Acteur", latLong, "", "2.3"))...)
	badLabel := f.groupe(c, "", "", "", base(u("Acteur", champ("nom"), "x"), u("Acteur", champ("label_codes"), `["inconnu"]`))...)
	badPublic := f.groupe(c, "", "", "", base(u("Acteur", champ("nom"), "x"), u("Acteur", champ("public_accueilli"), "Tous"))...)
	f.apply(true)
	f.wantStatut(true, noNom, "ERREUR", "{'nom': ['This field cannot be blank.']}")
	f.wantStatut(true, badType, "ERREUR", "ActeurType matching query does not exist.")
	f.wantStatut(true, badField, "ERREUR", "fields in fields_groups are not in ORDERED_FIELDS")
	f.wantStatut(true, noUnits, "ERREUR", "No acteur suggestion unitaires found")
	f.wantStatut(true, badLat, "ERREUR", "could not convert string to float: ''")
	f.wantStatut(true, badLabel, "ERREUR", "LabelQualite matching query does not exist.")
	f.wantStatut(true, badPublic, "ERREUR", "{'public_accueilli': [\"Value 'Tous' is not a valid choice.\"]}")
	if n := f.count(`SELECT count(*) FROM qfdmo_acteur`); n != 0 {
		t.Errorf("acteurs = %d, want 0", n)
	}
}

// SOURCE_MODIFICATION: the Acteur units update the acteur, the
// RevisionActeur units its existing revision, the ParentRevisionActeur
// units its parent; relations named by a unit are replaced.
func TestGroupeSourceUpdate(t *testing.T) {
	f := setup(t)
	f.revision("parent", revOpts{nom: "Parent"})
	f.acteur("ecomaison_1", acteurOpts{labels: []string{"qualirepar"}})
	f.revision("ecomaison_1", revOpts{parent: "parent", source: testSource, nom: "Corrigé", labels: []string{"qualirepar"}})
	g := f.groupe(f.cohort("SOURCE_MODIFICATION"), "ecomaison_1", "ecomaison_1", "parent",
		u("Acteur", champ("nom"), "Nom source"),
		u("Acteur", latLong, "45.75", "4.85"),
		u("Acteur", champ("label_codes"), `["reparacteur"]`),
		u("RevisionActeur", champ("nom"), "Nom corrigé"),
		u("RevisionActeur", champ("label_codes"), `["reparacteur", "qualirepar"]`),
		u("ParentRevisionActeur", champ("ville"), "Lyon"),
	)
	f.applyOK(true)
	f.wantStatut(true, g, "SUCCES", "")
	a := f.row("qfdmo_acteur", "ecomaison_1")
	want(t, "acteur", []any{a["nom"], a["lon"], a["lat"]}, []any{"Nom source", 4.85, 45.75})
	want(t, "acteur labels", f.codes("acteur", "labels", "ecomaison_1"), []string{"reparacteur"})
	r := f.row("qfdmo_revisionacteur", "ecomaison_1")
	want(t, "revision", []any{r["nom"], r["parent_id"]}, []any{"Nom corrigé", "parent"})
	want(t, "revision labels", f.codes("revision", "labels", "ecomaison_1"), []string{"qualirepar", "reparacteur"})
	p := f.row("qfdmo_revisionacteur", "parent")
	want(t, "parent", []any{p["nom"], p["ville"]}, []any{"Parent", "Lyon"})
}

// A RevisionActeur unit for an acteur without revision creates it, with a
// copy of the acteur's relations (as updated by the Acteur units).
func TestGroupeSourceUpdateCreatesRevision(t *testing.T) {
	f := setup(t)
	f.acteur("ecomaison_1", acteurOpts{lieu: "A_DOMICILE", ps: map[string][]string{"trier": {"vetement"}}})
	g := f.groupe(f.cohort("SOURCE_MODIFICATION"), "ecomaison_1", "", "",
		u("Acteur", champ("nom"), "Nom source"),
		unitSpec{modele: "RevisionActeur", champs: champ("telephone"), valeurs: []any{"0102030405"}, revisionID: "ecomaison_1"},
		unitSpec{modele: "RevisionActeur", champs: champ("lieu_prestation"), valeurs: []any{"SUR_PLACE"}, revisionID: "ecomaison_1"},
	)
	f.applyOK(true)
	f.wantStatut(true, g, "SUCCES", "")
	r := f.row("qfdmo_revisionacteur", "ecomaison_1")
	// A new revision takes the acteur's lieu_prestation (it goes with the
	// perimètres it copies).
	want(t, "revision", []any{r["telephone"], r["nom"], r["lieu_prestation"]}, []any{"0102030405", "", "A_DOMICILE"})
	want(t, "revision ps", f.codes("revision", "ps", "ecomaison_1"), []string{"trier:vetement"})
	want(t, "acteur.nom", f.row("qfdmo_acteur", "ecomaison_1")["nom"], "Nom source")
}

// SOURCE_SUPRESSION: statut SUPPRIME on the acteur and on its revision;
// a group whose acteur is gone is an error.
func TestGroupeSourceDelete(t *testing.T) {
	f := setup(t)
	f.acteur("ecomaison_1", acteurOpts{})
	f.revision("ecomaison_1", revOpts{source: testSource})
	c := f.cohort("SOURCE_SUPRESSION")
	g := f.groupe(c, "ecomaison_1", "ecomaison_1", "",
		u("Acteur", champ("statut"), "SUPPRIME"),
		u("RevisionActeur", champ("statut"), "SUPPRIME"),
	)
	gone := f.groupe(c, "absent", "", "", u("Acteur", champ("statut"), "SUPPRIME"))
	f.apply(true)
	f.wantStatut(true, g, "SUCCES", "")
	f.wantStatut(true, gone, "ERREUR", "acteur is required for non-SOURCE_AJOUT suggestions")
	want(t, "acteur.statut", f.row("qfdmo_acteur", "ecomaison_1")["statut"], "SUPPRIME")
	want(t, "revision.statut", f.row("qfdmo_revisionacteur", "ecomaison_1")["statut"], "SUPPRIME")
}

// Enrichment groups (CRAWL_URLS, ENRICH_ACTEURS_SIRET…): each
// RevisionActeur unit updates the acteur's revision (created when
// missing), each ParentRevisionActeur unit a parent; Acteur units are
// ignored.
func TestGroupeEnrich(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	f.acteur("a2", acteurOpts{})
	f.revision("a2", revOpts{nom: "Corrigé"})
	f.revision("parent", revOpts{nom: "Parent"})
	f.acteur("child", acteurOpts{})
	f.revision("child", revOpts{parent: "parent", source: testSource})
	c := f.cohort("ENRICH_ACTEURS_SIRET")
	g := f.groupe(c, "", "", "",
		unitSpec{modele: "Acteur", champs: champ("siret"), valeurs: []any{"99999999999999"}, acteurID: "a1"},
		// The revision of a1 does not exist yet: the unit names it anyway.
		unitSpec{modele: "RevisionActeur", champs: champ("siret"), valeurs: []any{"11111111111111"}, revisionID: "a1"},
		unitSpec{modele: "RevisionActeur", champs: []string{"siret", "siren"}, valeurs: []any{"22222222222222", "222222222"}, revisionID: "a2"},
		unitSpec{modele: "ParentRevisionActeur", champs: champ("siret"), valeurs: []any{"33333333333333"}, parentID: "parent"},
	)
	missing := f.groupe(c, "", "", "", unitSpec{modele: "RevisionActeur", champs: champ("siret"), valeurs: []any{"1"}, revisionID: "parent"})
	f.apply(true)
	f.wantStatut(true, g, "SUCCES", "")
	f.wantStatut(true, missing, "ERREUR", "Acteur matching query does not exist.")
	want(t, "a1 acteur siret", f.row("qfdmo_acteur", "a1")["siret"], "")
	want(t, "a1 revision siret", f.row("qfdmo_revisionacteur", "a1")["siret"], "11111111111111")
	r2 := f.row("qfdmo_revisionacteur", "a2")
	want(t, "a2 revision", []any{r2["siret"], r2["siren"], r2["nom"]}, []any{"22222222222222", "222222222", "Corrigé"})
	want(t, "parent siret", f.row("qfdmo_revisionacteur", "parent")["siret"], "33333333333333")
}
