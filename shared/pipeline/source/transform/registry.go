package transform

import "sort"

// ColumnFunc is a column transformation: one cell in, one cell out. It
// returns a *TransformError (warning, blocking or fatal) when the value
// cannot be used.
type ColumnFunc func(v Value, cfg *SourceConfig) (Value, error)

// RowFunc is a dataframe transformation: it gets the rule's origin columns
// of one row, in the rule's order (some functions read "the first column"),
// and returns values for the destination columns, which the rule assigns by
// position.
type RowFunc func(in Row, cfg *SourceConfig) (Row, error)

// Registry maps transformation names, as the DAGs' normalization_rules write
// them, to functions (LVAO's TRANSFORMATION_MAPPING).
type Registry struct {
	Column map[string]ColumnFunc
	Row    map[string]RowFunc
}

// DefaultRegistry returns a new registry holding every LVAO transformation.
// Callers may add or replace entries (tests inject fakes this way).
func DefaultRegistry() Registry {
	return Registry{
		Column: map[string]ColumnFunc{
			"cast_eo_boolean_or_string_to_boolean": CastEOBooleanOrStringToBoolean,
			"clean_acteur_type_code":               CleanActeurTypeCode,
			"clean_code_list":                      CleanCodeList,
			"clean_code_postal":                    CleanCodePostal,
			"clean_horaires_osm":                   CleanHorairesOSM,
			"clean_public_accueilli":               CleanPublicAccueilli,
			"clean_reprise":                        CleanReprise,
			"clean_siren":                          stringColumn(CleanSiren),
			"clean_siret":                          stringColumn(CleanSiret),
			"clean_sous_categorie_codes_sinoe":     CleanSousCategorieCodesSinoe,
			"clean_sous_categorie_codes":           CleanSousCategorieCodes,
			"clean_url":                            CleanURL,
			"clean_email":                          CleanEmail,
			"convert_opening_hours":                ConvertOpeningHours,
			"strip_lower_string":                   StripLowerString,
			"strip_string":                         StripString,
		},
		Row: map[string]RowFunc{
			"clean_acteur_service_codes":    CleanActeurServiceCodes,
			"clean_action_codes":            CleanActionCodes,
			"clean_adresse":                 CleanAdresse,
			"clean_identifiant_externe":     CleanIdentifiantExterne,
			"clean_identifiant_unique":      CleanIdentifiantUnique,
			"clean_label_codes":             CleanLabelCodes,
			"clean_proposition_services":    CleanPropositionServices,
			"clean_service_a_domicile":      CleanServiceADomicile,
			"clean_siret_and_siren":         CleanSiretAndSiren,
			"clean_telephone":               CleanTelephone,
			"clean_url_from_multi_columns":  CleanURLFromMultiColumns,
			"compute_location":              ComputeLocation,
			"get_latlng_from_geopoint":      GetLatLngFromGeopoint,
			"merge_sous_categories_columns": MergeSousCategoriesColumns,
		},
	}
}

// stringColumn adapts clean_siren / clean_siret, which take no
// configuration. (Upstream registers them too, but calling them from a
// rule would fail with a TypeError; no DAG does.)
func stringColumn(f func(Value) (string, error)) ColumnFunc {
	return func(v Value, _ *SourceConfig) (Value, error) {
		s, err := f(v)
		if err != nil {
			return Missing, err
		}
		return String(s), nil
	}
}

// Names returns every transformation name, sorted.
func (r Registry) Names() []string {
	out := make([]string, 0, len(r.Column)+len(r.Row))
	for n := range r.Column {
		out = append(out, n)
	}
	for n := range r.Row {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
