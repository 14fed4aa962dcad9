package compute_test

import (
	"crypto/sha1"
	"math/big"
	"testing"
)

// shortUUID is Python's shortuuid.uuid(name=name) for a name that is not a
// URL: uuid5(NAMESPACE_DNS, name) as a 128-bit number, written in base 57
// (most significant digit first) and left-padded to 22 characters.
func shortUUID(name string) string {
	ns := []byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.Sum(append(ns, name...))
	u := h[:16]
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	n := new(big.Int).SetBytes(u)
	var out []byte
	base, mod := big.NewInt(57), new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append([]byte{alphabet[mod.Int64()]}, out...)
	}
	for len(out) < 22 {
		out = append([]byte{alphabet[0]}, out...)
	}
	return string(out)
}

func TestShortUUIDReference(t *testing.T) {
	t.Parallel()
	// The value shortuuid's README gives for uuid(name="example.com").
	if got := shortUUID("example.com"); got != "exu3DTbj2ncsn9tLdLWspw" {
		t.Errorf("shortUUID(example.com) = %s", got)
	}
}

// int_acteur merges an imported acteur and its revision field by field: a
// non-empty revision value wins, ” keeps the imported value, NULL
// booleans/ids/location keep the imported ones; revisions without acteur
// (parents) and acteurs without revision are both kept; uuid is the
// shortuuid of identifiant_unique.
func TestIntActeurRevisionPrecedence(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.acteur("a1", row{"nom": "Nom importé", "adresse": "1 rue importée", "ville": "Lyon", "telephone": "0102030405",
		"statut": "ACTIF", "uniquement_sur_rdv": true, "siret": "12345678901234", "lieu_prestation": "SUR_PLACE"})
	e.revision("a1", row{"nom": "Nom corrigé", "adresse": "", "ville": "", "telephone": "0999999999", "statut": "INACTIF",
		"location": point{5.0, 45.0}, "lieu_prestation": "A_DOMICILE", "acteur_type_id": e.types["artisan"]})
	e.acteur("a2", row{"nom": "Sans révision", "location": point{1, 2}})
	e.revision("p1", row{"nom": "Parent", "acteur_type_id": e.types["commerce"], "public_accueilli": "Particuliers"})

	e.build("base", "intermediate")

	equal(t, "a1 merged", e.whStrings(`SELECT concat_ws(' | ', nom, adresse, ville, telephone, statut, uniquement_sur_rdv,
			siret, lieu_prestation, acteur_type_id, ST_X(location::geometry), revision_existe, source_id)
		FROM int_acteur WHERE identifiant_unique = 'a1'`),
		[]string{"Nom corrigé | 1 rue importée | Lyon | 0999999999 | INACTIF | t | 12345678901234 | A_DOMICILE | " +
			itoa(e.types["artisan"]) + " | 5 | t | " + itoa(e.sources["src_ouverte"])})
	equal(t, "a2 as imported", e.whStrings(`SELECT concat_ws(' | ', nom, statut, revision_existe, ST_Y(location::geometry))
		FROM int_acteur WHERE identifiant_unique = 'a2'`), []string{"Sans révision | ACTIF | f | 2"})
	equal(t, "parent kept", e.whStrings(`SELECT concat_ws(' | ', nom, revision_existe, source_id IS NULL)
		FROM int_acteur WHERE identifiant_unique = 'p1'`), []string{"Parent | t | t"})
	equal(t, "uuids", e.whStrings(`SELECT identifiant_unique || '=' || uuid FROM int_acteur`),
		[]string{"a1=" + shortUUID("a1"), "a2=" + shortUUID("a2"), "p1=" + shortUUID("p1")})
}

// The acteur's child sets come from the revision when one exists (labels,
// services, propositions de service), else from the imported acteur.
func TestIntActeurChildSetsFollowTheRevision(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.acteur("a1", nil)
	e.link(false, "labels", "a1", "reparacteur")
	e.ps(false, "a1", "reparer", "ecran")
	e.revision("a1", nil)
	e.link(true, "labels", "a1", "qualirepar")
	e.ps(true, "a1", "donner", "petit_electromenager")
	e.acteur("a2", nil)
	e.link(false, "labels", "a2", "reparacteur")
	e.ps(false, "a2", "reparer", "ecran", "materiel_informatique")

	e.build("base", "intermediate")

	equal(t, "labels", e.whStrings(`SELECT l.acteur_id || ':' || q.code FROM int_acteur_labels l
		JOIN base_labelqualite q ON q.id = l.labelqualite_id`), []string{"a1:qualirepar", "a2:reparacteur"})
	equal(t, "propositions", e.whStrings(`SELECT ps.acteur_id || ':' || a.code || ':' || sc.code
		FROM int_propositionservice ps JOIN base_action a ON a.id = ps.action_id
		JOIN int_propositionservice_sous_categories pssc ON pssc.propositionservice_id = ps.id
		JOIN base_souscategorieobjet sc ON sc.id = pssc.souscategorieobjet_id`),
		[]string{"a1:donner:petit_electromenager", "a2:reparer:ecran", "a2:reparer:materiel_informatique"})
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }
