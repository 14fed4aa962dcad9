package apply_test

import (
	"testing"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// Legacy source suggestions (data_suggestion of SOURCE_* cohorts, the
// source DAGs' use_legacy_suggestions): the suggestion is the whole
// normalised acteur.

// legacyActeur is a normalised row as the source DAGs write it in a
// legacy suggestion (location as WKB hex, relations as lists).
func legacyActeur(ext string, over map[string]any) map[string]any {
	s := map[string]any{
		"identifiant_unique": testSource + "_" + ext, "identifiant_externe": ext, "source_code": testSource,
		"nom": "Acteur " + ext, "acteur_type_code": "commerce", "adresse": "1 rue de la Paix", "code_postal": "75002",
		"ville": "Paris", "latitude": 48.8686, "longitude": 2.3315, "location": transform.PointWKB(2.3315, 48.8686),
		"statut": "ACTIF", "public_accueilli": "Particuliers", "reprise": "1 pour 1", "lieu_prestation": "SUR_PLACE",
		"exclusivite_de_reprisereparation": true, "uniquement_sur_rdv": nil,
		"label_codes": []any{"reparacteur"}, "acteur_service_codes": []any{"structure_de_collecte"},
		"action_codes": []any{"trier"}, "sous_categorie_codes": []any{"vetement"},
		"proposition_service_codes": []any{map[string]any{"action": "trier", "sous_categories": []any{"vetement", "livre"}}},
		"perimetre_adomicile_codes": []any{map[string]any{"type": "KILOMETRIQUE", "valeur": "10"}},
	}
	for k, v := range over {
		s[k] = v
	}
	return s
}

// SOURCE_AJOUT creates the acteur, its source and type from their codes,
// and its relations.
func TestLegacySourceCreate(t *testing.T) {
	f := setup(t)
	id := f.suggestion(f.cohort("SOURCE_AJOUT"), "ATRAITER", legacyActeur("1", nil))
	f.applyOK(false)
	f.wantStatut(false, id, "SUCCES", "")
	a := f.row("qfdmo_acteur", "ecomaison_1")
	for k, v := range map[string]any{"nom": "Acteur 1", "source": testSource, "acteur_type": "commerce", "lon": 2.3315,
		"lat": 48.8686, "identifiant_externe": "1", "public_accueilli": "Particuliers", "reprise": "1 pour 1",
		"exclusivite_de_reprisereparation": true, "uniquement_sur_rdv": nil, "statut": "ACTIF"} {
		want(t, "acteur."+k, a[k], v)
	}
	want(t, "labels", f.codes("acteur", "labels", "ecomaison_1"), []string{"reparacteur"})
	want(t, "services", f.codes("acteur", "services", "ecomaison_1"), []string{"structure_de_collecte"})
	want(t, "ps", f.codes("acteur", "ps", "ecomaison_1"), []string{"trier:livre,vetement"})
	want(t, "perimetres", f.codes("acteur", "perimetres", "ecomaison_1"), []string{"KILOMETRIQUE:10"})
	if f.row("qfdmo_revisionacteur", "ecomaison_1") != nil {
		t.Error("a revision was created")
	}
}

func TestLegacySourceCreateErrors(t *testing.T) {
	f := setup(t)
	f.acteur("ecomaison_dup", acteurOpts{})
	c := f.cohort("SOURCE_AJOUT")
	badSource := f.suggestion(c, "ATRAITER", legacyActeur("2", map[string]any{"source_code": "inconnue"}))
	badLabel := f.suggestion(c, "ATRAITER", legacyActeur("3", map[string]any{"label_codes": []any{"inconnu"}}))
	noLocation := f.suggestion(c, "ATRAITER", legacyActeur("4", map[string]any{"location": nil}))
	dup := f.suggestion(c, "ATRAITER", legacyActeur("dup", nil))
	nullField := f.suggestion(c, "ATRAITER", legacyActeur("5", map[string]any{"adresse_complement": nil}))
	f.apply(false)
	f.wantStatut(false, badSource, "ERREUR", "Source matching query does not exist.")
	f.wantStatut(false, badLabel, "ERREUR", "LabelQualite matching query does not exist.")
	f.wantStatut(false, noLocation, "ERREUR", "Location is mandatory when the actor is not digital")
	f.wantStatut(false, dup, "ERREUR", "duplicate key value violates unique constraint")
	f.wantStatut(false, nullField, "ERREUR", `null value in column "adresse_complement"`)
	if n := f.count(`SELECT count(*) FROM qfdmo_acteur`); n != 1 {
		t.Errorf("acteurs = %d, want 1 (failed creations rolled back)", n)
	}
}

// SOURCE_MODIFICATION sets the fields, source and type, then replaces
// every relation by the suggestion's.
func TestLegacySourceUpdate(t *testing.T) {
	f := setup(t)
	f.acteur("ecomaison_1", acteurOpts{labels: []string{"qualirepar"}, services: []string{"depot_vente"},
		ps: map[string][]string{"reparer": {"livre"}}, perimetres: [][2]string{{"DEPARTEMENTAL", "75"}}})
	id := f.suggestion(f.cohort("SOURCE_MODIFICATION"), "ATRAITER", legacyActeur("1", map[string]any{
		"nom": "Nouveau nom", "acteur_type_code": "artisan", "location": transform.PointWKB(2.5, 48.5),
	}))
	missing := f.suggestion(f.cohort("SOURCE_MODIFICATION"), "ATRAITER", legacyActeur("absent", nil))
	f.apply(false)
	f.wantStatut(false, id, "SUCCES", "")
	f.wantStatut(false, missing, "ERREUR", "Acteur matching query does not exist.")
	a := f.row("qfdmo_acteur", "ecomaison_1")
	for k, v := range map[string]any{"nom": "Nouveau nom", "acteur_type": "artisan", "lon": 2.5, "lat": 48.5, "reprise": "1 pour 1"} {
		want(t, "acteur."+k, a[k], v)
	}
	want(t, "labels", f.codes("acteur", "labels", "ecomaison_1"), []string{"reparacteur"})
	want(t, "services", f.codes("acteur", "services", "ecomaison_1"), []string{"structure_de_collecte"})
	want(t, "ps", f.codes("acteur", "ps", "ecomaison_1"), []string{"trier:livre,vetement"})
	want(t, "perimetres", f.codes("acteur", "perimetres", "ecomaison_1"), []string{"KILOMETRIQUE:10"})
}

// SOURCE_SUPRESSION sets the acteur and its revision SUPPRIME; a missing
// acteur is no error.
func TestLegacySourceDelete(t *testing.T) {
	f := setup(t)
	f.acteur("ecomaison_1", acteurOpts{})
	f.revision("ecomaison_1", revOpts{source: testSource})
	f.acteur("ecomaison_2", acteurOpts{})
	c := f.cohort("SOURCE_SUPRESSION")
	id := f.suggestion(c, "ATRAITER", map[string]any{"identifiant_unique": "ecomaison_1", "statut": "SUPPRIME"})
	absent := f.suggestion(c, "ATRAITER", map[string]any{"identifiant_unique": "absent", "statut": "SUPPRIME"})
	noID := f.suggestion(c, "ATRAITER", map[string]any{"statut": "SUPPRIME"})
	// Django's filter(identifiant_unique=None).update(): no row, no error.
	nullID := f.suggestion(c, "ATRAITER", map[string]any{"identifiant_unique": nil, "statut": "SUPPRIME"})
	f.apply(false)
	f.wantStatut(false, id, "SUCCES", "")
	f.wantStatut(false, absent, "SUCCES", "")
	f.wantStatut(false, noID, "ERREUR", "identifiant_unique")
	f.wantStatut(false, nullID, "SUCCES", "")
	want(t, "acteur.statut", f.row("qfdmo_acteur", "ecomaison_1")["statut"], "SUPPRIME")
	want(t, "revision.statut", f.row("qfdmo_revisionacteur", "ecomaison_1")["statut"], "SUPPRIME")
	want(t, "other acteur", f.row("qfdmo_acteur", "ecomaison_2")["statut"], "ACTIF")
}
