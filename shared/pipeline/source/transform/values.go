package transform

import (
	"sort"
	"strings"

	"github.com/lvao/dataplatform/shared/pyfmt"
)

// Column transformations on plain values: booleans, strings and the enum
// mappings of LVAO (acteur types, public accueilli, reprise).

var (
	trueStrings  = []string{"oui", "yes", "true"}
	falseStrings = []string{"non", "no", "false"}
)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CastEOBooleanOrStringToBoolean is cast_eo_boolean_or_string_to_boolean:
// the eco-organisms publish flags as booleans or as "oui"/"non"/"yes"/"no"/
// "true"/"false" in any case. Missing and blank give Missing (None); anything
// else is a BooleanValueWarning.
func CastEOBooleanOrStringToBoolean(v Value, _ *SourceConfig) (Value, error) {
	switch v.Kind() {
	case KindBool:
		return v, nil
	case KindMissing:
		return Missing, nil
	case KindString:
		s := pyStrip(pyLower(v.str))
		switch {
		case contains(trueStrings, s):
			return Bool(true), nil
		case contains(falseStrings, s):
			return Bool(false), nil
		case pyStrip(v.str) == "":
			return Missing, nil
		}
	}
	return Missing, newWarning(ExcBooleanValueWarning,
		"la valeur `%s` n'a pas pu être interprété comme un booléen, Valeurs possibles: oui, yes, true, non, no, false, Valeur reçue: %s",
		v.PyStr(), v.PyStr())
}

// StripString is strip_string: str(value).strip(), "" for a missing or
// falsy value.
func StripString(v Value, _ *SourceConfig) (Value, error) {
	if !v.Truthy() {
		return String(""), nil
	}
	return String(pyStrip(v.PyStr())), nil
}

// StripLowerString is strip_lower_string: str(value).strip().lower(), ""
// for a missing or falsy value.
func StripLowerString(v Value, _ *SourceConfig) (Value, error) {
	if !v.Truthy() {
		return String(""), nil
	}
	return String(pyLower(pyStrip(v.PyStr()))), nil
}

// mapping is an ordered lookup table: its keys are printed in error
// messages in the order of the Python dict.
type mapping []struct{ key, value string }

func (m mapping) get(k string) (string, bool) {
	for _, e := range m {
		if e.key == k {
			return e.value, true
		}
	}
	return "", false
}

// pyKeys prints the keys as Python prints dict.keys().
func (m mapping) pyKeys() string {
	parts := make([]string, len(m))
	for i, e := range m {
		parts[i] = pyfmt.Repr(e.key)
	}
	return "dict_keys([" + strings.Join(parts, ", ") + "])"
}

// acteurTypeMapping maps the eco-organisms' type_de_point_de_collecte, once
// transliterated, trimmed and lower-cased, to an acteur_type code.
var acteurTypeMapping = mapping{
	{"solution en ligne (site web, app. mobile)", "acteur_digital"},
	{"artisan, commerce independant", "artisan"},
	{"magasin / franchise, enseigne commerciale / distributeur / point de vente", "commerce"},
	{"point d'apport volontaire publique", "pav_public"},
	{"association, entreprise de l'economie sociale et solidaire (ess)", "ess"},
	{"etablissement de sante", "ets_sante"},
	{"decheterie", "decheterie"},
	{"point d'apport volontaire prive", "pav_prive"},
	{"plateforme inertes", "plateforme_inertes"},
	{"magasin / franchise, enseigne commerciale / distributeur / point de vente / franchise, enseigne commerciale / distributeur / point de vente", "commerce"},
	{"point d'apport volontaire ephemere / ponctuel", "pav_ponctuel"},
}

// ActeurTypeCodes returns the acteur_type codes the mapping can produce
// (for checking them against the reference data).
func ActeurTypeCodes() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range acteurTypeMapping {
		if !seen[e.value] {
			seen[e.value] = true
			out = append(out, e.value)
		}
	}
	sort.Strings(out)
	return out
}

// CleanActeurTypeCode is clean_acteur_type_code. An unknown type is an
// ActeurTypeCodeError (blocking). (Python crashes on a non-string; here its
// str() is looked up, and a missing value is unknown.)
func CleanActeurTypeCode(v Value, _ *SourceConfig) (Value, error) {
	text := v.Str()
	if !v.IsString() && !v.IsMissing() {
		text = v.PyStr()
	}
	if code, ok := acteurTypeMapping.get(formatLibelleToCode(text)); ok {
		return String(code), nil
	}
	return Missing, newBlocking(ExcActeurTypeCodeError,
		"Acteur type `%s` not found in mapping : %s", v.PyStr(), acteurTypeMapping.pyKeys())
}

// publicAccueilliMapping gives the ActeurPublicAccueilli value; "" is
// UNKNOWN.
var publicAccueilliMapping = mapping{
	{"particuliers et professionnels", "Particuliers et professionnels"},
	{"professionnels", "Professionnels"},
	{"particuliers", "Particuliers"},
	{"aucun", "Aucun"},
	{"dma/pro", "Particuliers et professionnels"},
	{"dma", "Particuliers"},
	{"pro", "Professionnels"},
	{"np", ""},
}

// CleanPublicAccueilli is clean_public_accueilli: an empty value is ""
// (unknown), an unmapped one a PublicAccueilliWarning.
func CleanPublicAccueilli(v Value, _ *SourceConfig) (Value, error) {
	return cleanEnum(v, publicAccueilliMapping, ExcPublicAccueilliWarning, "Public accueilli")
}

// repriseMapping gives the ActeurReprise value; "" is UNKNOWN.
var repriseMapping = mapping{
	{"1 pour 0", "1 pour 0"},
	{"1 pour 1", "1 pour 1"},
	{"non", "1 pour 0"},
	{"oui", "1 pour 1"},
}

// CleanReprise is clean_reprise: an empty value is "" (unknown), an
// unmapped one a RepriseWarning.
func CleanReprise(v Value, _ *SourceConfig) (Value, error) {
	return cleanEnum(v, repriseMapping, ExcRepriseWarning, "Reprise")
}

func cleanEnum(v Value, m mapping, exc, what string) (Value, error) {
	if !v.Truthy() {
		return String(""), nil
	}
	if out, ok := m.get(pyStrip(pyLower(v.PyStr()))); ok {
		return String(out), nil
	}
	return Missing, newWarning(exc, "%s `%s` not found in mapping : %s", what, v.PyStr(), m.pyKeys())
}

// CleanCodeList is clean_code_list: "a | B||c" gives ["a", "b", "c"].
func CleanCodeList(v Value, _ *SourceConfig) (Value, error) {
	if v.IsMissing() {
		return List(), nil
	}
	return Strings(splitCodes(v.PyStr())...), nil
}

// splitCodes splits on '|', trims and lower-cases each code and skips the
// empty ones.
func splitCodes(s string) []string {
	var out []string
	for _, part := range strings.Split(s, "|") {
		if code := pyLower(pyStrip(part)); code != "" {
			out = append(out, code)
		}
	}
	return out
}
