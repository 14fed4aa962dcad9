package transform

import "strings"

// LVAO identifies an acteur by identifiant_externe (the source's own id) and
// identifiant_unique ("<source>_<identifiant_externe>"), the key of the
// acteur tables and of suggestions.

// ActeurTypeDigital is the acteur type of online-only acteurs: they have no
// location, and their identifiant_externe gets the "_d" suffix so that a
// shop and its website from one source do not collide.
const ActeurTypeDigital = "acteur_digital"

// CleanIdentifiantExterne is the dataframe transform clean_identifiant_externe
// (origin [<id column>, nom, acteur_type_code]; destination
// [identifiant_externe]); the id is read from the first origin column.
//
// Without an id, it is made from nom: trimmed, '-' removed, ' ' replaced by
// '_', then "__" by '_' (one pass, as Python's str.replace). No id and no nom
// is an IdentifiantExterneError (blocking).
func CleanIdentifiantExterne(in Row, _ *SourceConfig) (Row, error) {
	if in.Len() == 0 {
		return Row{}, newFatal(ExcKeyError, "clean_identifiant_externe needs the id column")
	}
	idCol := in.Fields()[0].Name
	id := in.Fields()[0].Value
	missing := func() error {
		return newBlocking(ExcIdentifiantExterneError,
			"L'identifiant externe est requis, il n'a pas pu être déduite des colonnes `%s` et/ou `nom`", idCol)
	}
	if nom, ok := in.Lookup("nom"); !id.Truthy() && ok {
		if !nom.Truthy() {
			return Row{}, missing()
		}
		s := pyStrip(nom.PyStr())
		s = strings.ReplaceAll(s, "-", "")
		s = strings.ReplaceAll(s, " ", "_")
		s = strings.ReplaceAll(s, "__", "_")
		id = String(s)
	}
	ext := pyStrip(id.PyStr())
	if ext == "" {
		return Row{}, missing()
	}
	if in.Get("acteur_type_code").Str() == ActeurTypeDigital {
		ext += "_d"
	}
	return NewRow(Field{"identifiant_externe", String(ext)}), nil
}

// ComputeIdentifiantUnique is qfdmo's compute_identifiant_unique:
// source_code lower-cased, trimmed, transliterated, spaces as '_'; then '_';
// then identifiant_externe trimmed, '/' as '-', spaces removed.
// An empty identifiant_externe or source_code is an
// IdentifiantUniqueError (blocking).
func ComputeIdentifiantUnique(identifiantExterne, sourceCode Value) (string, error) {
	if !identifiantExterne.Truthy() || !sourceCode.Truthy() {
		return "", newBlocking(ExcIdentifiantUniqueError,
			"L'identifiant unique est requis, il n'a pas pu être déduit des colonnes `identifiant_externe` : `%s` et/ou `source_code`  : `%s`",
			identifiantExterne.PyStr(), sourceCode.PyStr())
	}
	source := strings.ReplaceAll(unidecode(pyStrip(pyLower(sourceCode.PyStr()))), " ", "_")
	id := pyStrip(identifiantExterne.PyStr())
	id = strings.ReplaceAll(id, "/", "-")
	id = strings.ReplaceAll(id, " ", "")
	return source + "_" + id, nil
}

// CleanIdentifiantUnique is the dataframe transform clean_identifiant_unique
// (origin [identifiant_externe, source_code]; destination
// [identifiant_unique]). An empty identifiant_externe is a plain ValueError
// upstream, which the normalize task does not catch: the task fails.
func CleanIdentifiantUnique(in Row, _ *SourceConfig) (Row, error) {
	if !in.Get("identifiant_externe").Truthy() {
		return Row{}, newFatal(ExcValueError, "identifiant_externe is required to generate identifiant_unique")
	}
	if !in.Has("source_code") {
		return Row{}, newFatal(ExcKeyError, "'source_code'")
	}
	id, err := ComputeIdentifiantUnique(in.Get("identifiant_externe"), in.Get("source_code"))
	if err != nil {
		return Row{}, err
	}
	return NewRow(Field{"identifiant_unique", String(id)}), nil
}
