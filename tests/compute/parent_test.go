package compute_test

import (
	"encoding/json"
	"testing"
)

// A dedup parent (a revision without acteur, pointed to by its children's
// parent_id) is what the map shows of its cluster: it offers what its
// active children offer (propositions de service merged per action,
// labels, services, sources, lieu_prestation), and the children are not
// shown. An inactive child contributes nothing.
func TestParentAggregatesItsActiveChildren(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.revision("P", row{"nom": "Parent", "acteur_type_id": e.types["commerce"], "public_accueilli": "Particuliers",
		"location": point{2.3, 48.8}})

	e.acteur("C1", row{"lieu_prestation": "SUR_PLACE"})
	e.revision("C1", row{"parent_id": "P"})
	e.ps(true, "C1", "reparer", "ecran")
	e.link(true, "labels", "C1", "reparacteur")
	e.link(true, "acteur_services", "C1", "structure_de_collecte")

	e.acteur("C2", row{"source_id": e.sources["src_ouverte_bis"], "lieu_prestation": "SUR_PLACE_OU_A_DOMICILE"})
	e.revision("C2", row{"parent_id": "P"})
	e.ps(true, "C2", "reparer", "petit_electromenager")
	e.ps(true, "C2", "donner", "materiel_informatique")
	e.link(true, "labels", "C2", "qualirepar")
	e.link(true, "acteur_services", "C2", "depot_vente")

	e.acteur("C3", row{"source_id": e.sources["src_fermee"]})
	e.revision("C3", row{"parent_id": "P", "statut": "INACTIF"})
	e.ps(true, "C3", "trier", "ecran")
	e.link(true, "labels", "C3", "ess")

	e.acteur("S", nil)
	e.ps(false, "S", "reparer", "ecran")

	e.build()
	e.publish()

	equal(t, "displayed acteurs", e.webStrings(`SELECT identifiant_unique || ' ' || uuid || ' ' || coalesce(lieu_prestation, '-')
		FROM qfdmo_displayedacteur`), []string{
		"P " + shortUUID("P") + " SUR_PLACE_OU_A_DOMICILE",
		"S " + shortUUID("S") + " SUR_PLACE",
	})
	equal(t, "displayed propositions", e.webStrings(`SELECT ps.id || ' ' || ps.acteur_id || ' ' || a.code || ' ' || sc.code
		FROM qfdmo_displayedpropositionservice ps JOIN qfdmo_action a ON a.id = ps.action_id
		JOIN qfdmo_displayedpropositionservice_sous_categories pssc ON pssc.displayedpropositionservice_id = ps.id
		JOIN qfdmo_souscategorieobjet sc ON sc.id = pssc.souscategorieobjet_id`), []string{
		"P_" + itoa(e.actions["donner"]) + " P donner materiel_informatique",
		"P_" + itoa(e.actions["reparer"]) + " P reparer ecran",
		"P_" + itoa(e.actions["reparer"]) + " P reparer petit_electromenager",
		"PS_" + e.webStrings(`SELECT id::text FROM qfdmo_propositionservice WHERE acteur_id = 'S'`)[0] + " S reparer ecran",
	})
	equal(t, "displayed labels", e.webStrings(`SELECT l.displayedacteur_id || ' ' || q.code FROM qfdmo_displayedacteur_labels l
		JOIN qfdmo_labelqualite q ON q.id = l.labelqualite_id`), []string{"P qualirepar", "P reparacteur"})
	equal(t, "displayed services", e.webStrings(`SELECT s.displayedacteur_id || ' ' || q.code FROM qfdmo_displayedacteur_acteur_services s
		JOIN qfdmo_acteurservice q ON q.id = s.acteurservice_id`), []string{"P depot_vente", "P structure_de_collecte"})
	equal(t, "displayed sources", e.webStrings(`SELECT s.displayedacteur_id || ' ' || q.code FROM qfdmo_displayedacteur_sources s
		JOIN qfdmo_source q ON q.id = s.source_id`), []string{"P src_ouverte", "P src_ouverte_bis", "S src_ouverte"})

	// The exhaustive view keeps every acteur, with the cluster's shape.
	equal(t, "vue acteurs", e.webStrings(`SELECT concat_ws(' ', identifiant_unique, coalesce(parent_id, '-'), est_parent,
			coalesce(nombre_enfants, 0), est_dans_carte, est_dans_opendata, statut)
		FROM qfdmo_vueacteur`), []string{
		"C1 P f 0 f f ACTIF",
		"C2 P f 0 f f ACTIF",
		"C3 P f 0 f f INACTIF",
		"P - t 3 t t ACTIF",
		"S - f 0 t t ACTIF",
	})
	var children []string
	if err := json.Unmarshal([]byte(e.webStrings(`SELECT liste_enfants::text FROM qfdmo_vueacteur WHERE identifiant_unique = 'P'`)[0]), &children); err != nil {
		t.Fatal(err)
	}
	equal(t, "liste_enfants", children, []string{"C1", "C2", "C3"})
	equal(t, "vue coordinates", e.webStrings(`SELECT latitude || ' ' || longitude FROM qfdmo_vueacteur WHERE identifiant_unique = 'P'`),
		[]string{"48.8 2.3"})
}

// An acteur that only serves at home is not pinned on the map, and one
// open to professionals only is not shown at all.
func TestMapLeavesOutHomeOnlyAndProfessionalOnlyActeurs(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for id, r := range map[string]row{
		"visible":  nil,
		"a_dom":    {"lieu_prestation": "A_DOMICILE"},
		"pros":     {"public_accueilli": "Professionnels"},
		"no_lieu":  {"lieu_prestation": nil},
		"no_sscat": nil,
		"supprime": {"statut": "SUPPRIME"},
	} {
		e.acteur(id, r)
		if id == "no_sscat" {
			e.ps(false, id, "reparer")
			continue
		}
		e.ps(false, id, "reparer", "ecran")
	}
	e.build()
	e.publish("epci", "displayed")
	equal(t, "displayed", e.webStrings(`SELECT identifiant_unique FROM qfdmo_displayedacteur`), []string{"no_lieu", "visible"})
}
