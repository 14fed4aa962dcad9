package apply_test

import (
	"encoding/json"
	"testing"

	"github.com/lvao/dataplatform/shared/pipeline/source/suggest"
	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// The suggestions a source DAG writes (shared/pipeline/source/suggest),
// validated by a reviewer (ATRAITER), then applied: creation, update and
// deletion, as groups and as legacy suggestions.

func sourceRow(ext, nom string, lon, lat float64) transform.Row {
	fl := func(n string, v transform.Value) transform.Field { return transform.Field{Name: n, Value: v} }
	s := transform.String
	return transform.NewRow(
		fl("identifiant_unique", s(testSource+"_"+ext)),
		fl("identifiant_externe", s(ext)),
		fl("source_code", s(testSource)),
		fl("nom", s(nom)),
		fl("acteur_type_code", s("commerce")),
		fl("adresse", s("1 rue de la Paix")),
		fl("adresse_complement", s("")),
		fl("code_postal", s("75002")),
		fl("ville", s("Paris")),
		fl("latitude", transform.Float(lat)),
		fl("longitude", transform.Float(lon)),
		fl("location", s(transform.PointWKB(lon, lat))),
		fl("statut", s("ACTIF")),
		fl("public_accueilli", s("Particuliers")),
		fl("reprise", s("")),
		fl("exclusivite_de_reprisereparation", transform.Bool(false)),
		fl("label_codes", transform.Strings("reparacteur")),
		fl("acteur_service_codes", transform.Strings("structure_de_collecte")),
		fl("proposition_service_codes", transform.List(transform.Object(transform.NewRow(
			transform.Field{Name: "action", Value: s("trier")},
			transform.Field{Name: "sous_categories", Value: transform.Strings("vetement")},
		)))),
		fl("lieu_prestation", s("SUR_PLACE")),
		fl("perimetre_adomicile_codes", transform.List()),
	)
}

// contexte is the stored acteur as the diff reads it.
func contexte(t *testing.T, r transform.Row) json.RawMessage {
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeSourceRun(t *testing.T, f *fixture, legacy bool) {
	t.Helper()
	// Stored: ecomaison_2 (to update) and ecomaison_3 (to delete, with a
	// revision).
	f.acteur("ecomaison_2", acteurOpts{nom: "Ancien nom", externe: "2", labels: []string{"reparacteur"},
		services: []string{"structure_de_collecte"}, ps: map[string][]string{"trier": {"vetement"}}})
	f.acteur("ecomaison_3", acteurOpts{externe: "3"})
	f.revision("ecomaison_3", revOpts{source: testSource})
	old2 := sourceRow("2", "Ancien nom", 2.3315, 48.8686)
	old3 := sourceRow("3", "Acteur ecomaison_3", 2.3315, 48.8686)
	changes := suggest.ChangeBuffer{
		Create: []suggest.Change{{Action: suggest.ActionCreate, IdentifiantUnique: "ecomaison_1",
			Suggestion: sourceRow("1", "Nouveau", 2.35, 48.85)}},
		Update: []suggest.Change{{Action: suggest.ActionUpdate, IdentifiantUnique: "ecomaison_2",
			Contexte: contexte(t, old2), Suggestion: sourceRow("2", "Nouveau nom", 2.36, 48.86), Fields: []string{"nom", "latitude", "longitude"}}},
		Delete: []suggest.Change{{Action: suggest.ActionDelete, IdentifiantUnique: "ecomaison_3",
			Contexte: contexte(t, old3), Suggestion: transform.NewRow(
				transform.Field{Name: "identifiant_unique", Value: transform.String("ecomaison_3")},
				transform.Field{Name: "statut", Value: transform.String("SUPPRIME")})}},
	}
	_, err := suggest.Write(f.ctx, f.pool, suggest.RunInfo{DagID: "eo-ecomaison", RunID: "manual__2025-08-01T00:00:00+00:00"},
		suggest.WriteInput{Changes: changes.Set()}, suggest.WriteOptions{Legacy: legacy})
	if err != nil {
		t.Fatalf("write suggestions: %v", err)
	}
	// The reviewer accepts everything.
	f.exec(`UPDATE data_suggestion SET statut = 'ATRAITER'`)
	f.exec(`UPDATE data_suggestiongroupe SET statut = 'ATRAITER'`)
}

func checkSourceRun(t *testing.T, f *fixture) {
	t.Helper()
	a1 := f.row("qfdmo_acteur", "ecomaison_1")
	if a1 == nil {
		t.Fatal("ecomaison_1 was not created")
	}
	for k, v := range map[string]any{"nom": "Nouveau", "source": testSource, "acteur_type": "commerce", "lon": 2.35, "lat": 48.85,
		"identifiant_externe": "1", "public_accueilli": "Particuliers", "exclusivite_de_reprisereparation": false, "statut": "ACTIF"} {
		want(t, "created."+k, a1[k], v)
	}
	want(t, "created labels", f.codes("acteur", "labels", "ecomaison_1"), []string{"reparacteur"})
	want(t, "created ps", f.codes("acteur", "ps", "ecomaison_1"), []string{"trier:vetement"})
	a2 := f.row("qfdmo_acteur", "ecomaison_2")
	want(t, "updated", []any{a2["nom"], a2["lon"], a2["lat"]}, []any{"Nouveau nom", 2.36, 48.86})
	want(t, "updated labels", f.codes("acteur", "labels", "ecomaison_2"), []string{"reparacteur"})
	want(t, "deleted acteur", f.row("qfdmo_acteur", "ecomaison_3")["statut"], "SUPPRIME")
	want(t, "deleted revision", f.row("qfdmo_revisionacteur", "ecomaison_3")["statut"], "SUPPRIME")
}

func TestSourceRunGroupsApplied(t *testing.T) {
	f := setup(t)
	writeSourceRun(t, f, false)
	if n := f.count(`SELECT count(*) FROM data_suggestiongroupe`); n != 3 {
		t.Fatalf("groups = %d, want 3", n)
	}
	res, _ := f.task(checkTask(f), true)
	want(t, "check", res, map[string]any{"pending": 3})
	f.applyOK(true)
	checkSourceRun(t, f)
}

func TestSourceRunLegacyApplied(t *testing.T) {
	f := setup(t)
	writeSourceRun(t, f, true)
	if n := f.count(`SELECT count(*) FROM data_suggestion`); n != 3 {
		t.Fatalf("suggestions = %d, want 3", n)
	}
	f.applyOK(false)
	checkSourceRun(t, f)
}
