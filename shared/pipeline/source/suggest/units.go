package suggest

import (
	"strings"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// The suggestion units of one acteur, as insert_suggestion builds them
// (db_write_type_action_suggestions.py) with SuggestionSourceModel
// (webapp/data/models/suggestions/source.py): the suggestion and the
// contexte become models whose fields are all str | None; one unit per
// field group (latitude and longitude together) where the suggestion
// brings something: a non-empty value where the contexte has none, or a
// value different from the contexte's.

// Unit models (suggestion_modele).
const (
	ModeleActeur         = "Acteur"
	ModeleRevisionActeur = "RevisionActeur"
)

// sourceModelFields are SuggestionSourceModel's fields in declaration
// order (the order of the units).
var sourceModelFields = []string{
	"identifiant_unique", "source_code", "identifiant_externe", "nom", "nom_commercial",
	"nom_officiel", "siret", "siren", "naf_principal", "description", "acteur_type_code", "url",
	"email", "telephone", "adresse", "adresse_complement", "code_postal", "ville", "latitude",
	"longitude", "horaires_osm", "horaires_description", "public_accueilli", "reprise",
	"exclusivite_de_reprisereparation", "uniquement_sur_rdv", "consignes_dacces", "statut",
	"commentaires", "label_codes", "acteur_service_codes", "proposition_service_codes",
	"lieu_prestation", "perimetre_adomicile_codes",
}

// fieldGroups is SuggestionSourceModel.get_ordered_fields(): one group per
// field, latitude and longitude grouped where latitude stands.
var fieldGroups = func() [][]string {
	var out [][]string
	for _, f := range sourceModelFields {
		switch f {
		case "latitude":
			out = append(out, []string{"latitude", "longitude"})
		case "longitude":
		default:
			out = append(out, []string{f})
		}
	}
	return out
}()

// modelValue is a field of SuggestionSourceModel.from_json: nil for None
// (absent key or JSON null), the JSON text of a *_codes value (json.dumps,
// on the canonical order), "" for "", else Python's str(value).
func modelValue(r transform.Row, key string) *string {
	v, ok := r.Lookup(key)
	if !ok {
		return nil
	}
	var s string
	switch {
	case strings.HasSuffix(key, "_codes"):
		s = pyJSONDumps(canonicalCodes(v))
	case v.IsMissing():
		return nil
	default:
		s = v.PyStr()
	}
	return &s
}

// unitValues is one data_suggestionunitaire to write.
type unitValues struct {
	modele  string
	champs  []string
	valeurs []*string
	// revision: the unit targets the acteur's revision (RevisionActeur),
	// not the acteur.
	revision bool
}

// computeUnits returns the units of one change. hasContexte is false for
// a creation (SuggestionSourceModel() with every field None). hasRevision
// tells whether a qfdmo_revisionacteur exists for the acteur: a deletion
// then also sets the revision's statut.
func computeUnits(action Action, suggestion, contexte transform.Row, hasContexte, hasRevision bool) []unitValues {
	out := make([]unitValues, 0, len(fieldGroups))
	for _, keys := range fieldGroups {
		// The suggestion's values, computed once: compared, then written.
		vals := make([]*string, len(keys))
		for i, k := range keys {
			vals[i] = modelValue(suggestion, k)
		}
		add := false
		for i, k := range keys {
			sv := vals[i]
			var cv *string
			if hasContexte {
				cv = modelValue(contexte, k)
			}
			// (contexte is None and suggestion is truthy) or (both set and
			// different).
			if (cv == nil && sv != nil && *sv != "") || (cv != nil && sv != nil && *cv != *sv) {
				add = true
				break
			}
		}
		if !add {
			continue
		}
		out = append(out, unitValues{modele: ModeleActeur, champs: keys, valeurs: vals})
		// A deletion is applied to the revision too when there is one.
		if action == ActionDelete && hasRevision && contains(keys, "statut") {
			out = append(out, unitValues{modele: ModeleRevisionActeur, champs: keys, valeurs: vals, revision: true})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
