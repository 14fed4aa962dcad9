package compute_test

import "testing"

// The open-data export only carries acteurs whose source is published
// under the open licence (qfdmo_source.licence = OPEN_LICENSE), never the
// "_reparation_" feeds; a parent is exported when one of its children is,
// and then only with its open children's propositions and sources.
func TestOpendataKeepsOnlyOpenLicenceSources(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.acteur("ouvert", nil)
	e.ps(false, "ouvert", "reparer", "ecran")
	e.acteur("ferme", row{"source_id": e.sources["src_fermee"]})
	e.ps(false, "ferme", "reparer", "ecran")
	e.acteur("odbl", row{"source_id": e.sources["src_odbl"]})
	e.ps(false, "odbl", "reparer", "ecran")
	e.acteur("x_reparation_1", nil)
	e.ps(false, "x_reparation_1", "reparer", "ecran")

	e.revision("Q", row{"nom": "Parent Q", "acteur_type_id": e.types["commerce"], "public_accueilli": "Particuliers"})
	e.acteur("QA", nil)
	e.revision("QA", row{"parent_id": "Q"})
	e.ps(true, "QA", "reparer", "ecran")
	e.acteur("QB", row{"source_id": e.sources["src_fermee"]})
	e.revision("QB", row{"parent_id": "Q"})
	e.ps(true, "QB", "donner", "petit_electromenager")

	e.build()

	equal(t, "open-data acteurs", e.whStrings(`SELECT identifiant_unique FROM marts_opendata_acteur`), []string{"Q", "ouvert"})
	equal(t, "open-data rows", e.whStrings(`SELECT concat_ws(' ; ', nom, paternite, identifiants_des_contributeurs::text, propositions_de_services)
		FROM exposure_opendata_acteur`), []string{
		`Acteur ouvert ; Longue Vie Aux Objets|ADEME|Source Ouverte ; [{"Source Ouverte": "ext-ouvert"}] ; [{"action": "reparer", "sous_categories": ["ecran"]}]`,
		`Parent Q ; Longue Vie Aux Objets|ADEME|Source Ouverte ; [{"Source Ouverte": "ext-QA"}] ; [{"action": "reparer", "sous_categories": ["ecran"]}]`,
	})
	// The map is not filtered by licence: the parent shows both children's
	// propositions there.
	equal(t, "map acteurs", e.whStrings(`SELECT identifiant_unique FROM marts_carte_acteur`),
		[]string{"Q", "ferme", "odbl", "ouvert", "x_reparation_1"})
	equal(t, "map parent actions", e.whStrings(`SELECT a.code FROM marts_carte_propositionservice ps
		JOIN base_action a ON a.id = ps.action_id WHERE ps.acteur_id = 'Q'`), []string{"donner", "reparer"})
}
