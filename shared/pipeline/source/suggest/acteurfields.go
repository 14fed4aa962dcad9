package suggest

// The fields of LVAO's Acteur model as the source pipelines name them
// (utils/django.py get_model_fields(Acteur, with_relationships=True,
// latlong=True)): plain fields by name, location as latitude and longitude,
// a foreign key as <field>_code, a many-to-many or reverse relation as
// <field without s>_codes. Each comes with the SQL that reads it from
// qfdmo_acteur (alias a, source alias s, acteur type alias t).

type fieldKind uint8

const (
	fieldText  fieldKind = iota // varchar/text (NULL only where nullable)
	fieldBool                   // nullable boolean
	fieldFloat                  // latitude/longitude from the geography point
	fieldJSON                   // a code list read as JSON text
)

type acteurField struct {
	name string
	sql  string
	kind fieldKind
	// always: db_read_acteur adds it whatever the DAG's expected columns
	// (the relations), or the diff needs it (identifiant_unique, statut…).
	always bool
}

// sortC sorts codes by byte value, as Python's sorted() does.
const sortC = ` COLLATE "C"`

// acteurFields lists the Acteur fields in model order (cree_le and
// modifie_le, which no DAG produces, are left out).
var acteurFields = []acteurField{
	{name: "identifiant_unique", sql: "a.identifiant_unique", always: true},
	{name: "nom", sql: "a.nom", always: true},
	{name: "description", sql: "a.description"},
	{name: "acteur_type_code", sql: "t.code", always: true},
	{name: "adresse", sql: "a.adresse"},
	{name: "adresse_complement", sql: "a.adresse_complement"},
	{name: "code_postal", sql: "a.code_postal"},
	{name: "ville", sql: "a.ville"},
	{name: "url", sql: "a.url"},
	{name: "email", sql: "a.email"},
	{name: "latitude", sql: "ST_Y(a.location::geometry)", kind: fieldFloat},
	{name: "longitude", sql: "ST_X(a.location::geometry)", kind: fieldFloat},
	{name: "telephone", sql: "a.telephone"},
	{name: "nom_commercial", sql: "a.nom_commercial"},
	{name: "nom_officiel", sql: "a.nom_officiel"},
	{name: "siren", sql: "a.siren"},
	{name: "siret", sql: "a.siret"},
	{name: "siret_is_closed", sql: "a.siret_is_closed", kind: fieldBool},
	{name: "source_code", sql: "s.code", always: true},
	{name: "identifiant_externe", sql: "a.identifiant_externe", always: true},
	{name: "statut", sql: "a.statut", always: true},
	{name: "naf_principal", sql: "a.naf_principal"},
	{name: "commentaires", sql: "a.commentaires"},
	{name: "horaires_osm", sql: "a.horaires_osm"},
	{name: "horaires_description", sql: "a.horaires_description"},
	{name: "public_accueilli", sql: "a.public_accueilli"},
	{name: "reprise", sql: "a.reprise"},
	{name: "exclusivite_de_reprisereparation", sql: "a.exclusivite_de_reprisereparation", kind: fieldBool},
	{name: "uniquement_sur_rdv", sql: "a.uniquement_sur_rdv", kind: fieldBool},
	{name: "action_principale_code", sql: "(SELECT ap.code FROM qfdmo_action ap WHERE ap.id = a.action_principale_id)"},
	{name: "consignes_dacces", sql: "a.consignes_dacces"},
	{name: "lieu_prestation", sql: "a.lieu_prestation"},
	{name: "label_codes", kind: fieldJSON, always: true, sql: `COALESCE((SELECT json_agg(l.code ORDER BY l.code` + sortC + `)
		FROM qfdmo_acteur_labels al JOIN qfdmo_labelqualite l ON l.id = al.labelqualite_id
		WHERE al.acteur_id = a.identifiant_unique), '[]'::json)::text`},
	{name: "acteur_service_codes", kind: fieldJSON, always: true, sql: `COALESCE((SELECT json_agg(x.code ORDER BY x.code` + sortC + `)
		FROM qfdmo_acteur_acteur_services ax JOIN qfdmo_acteurservice x ON x.id = ax.acteurservice_id
		WHERE ax.acteur_id = a.identifiant_unique), '[]'::json)::text`},
	// {action, sous_categories} per proposition service, by action code,
	// sous_categories by code (db_read_acteur's order_by).
	{name: "proposition_service_codes", kind: fieldJSON, always: true, sql: `COALESCE((SELECT json_agg(json_build_object(
			'action', ac.code,
			'sous_categories', COALESCE((SELECT json_agg(sc.code ORDER BY sc.code` + sortC + `)
				FROM qfdmo_propositionservice_sous_categories pssc
				JOIN qfdmo_souscategorieobjet sc ON sc.id = pssc.souscategorieobjet_id
				WHERE pssc.propositionservice_id = ps.id), '[]'::json)) ORDER BY ac.code` + sortC + `)
		FROM qfdmo_propositionservice ps JOIN qfdmo_action ac ON ac.id = ps.action_id
		WHERE ps.acteur_id = a.identifiant_unique), '[]'::json)::text`},
	{name: "perimetre_adomicile_codes", kind: fieldJSON, always: true, sql: `COALESCE((SELECT json_agg(json_build_object(
			'type', p.type, 'valeur', p.valeur) ORDER BY p.type` + sortC + `, p.valeur` + sortC + `)
		FROM qfdmo_perimetreadomicile p WHERE p.acteur_id = a.identifiant_unique), '[]'::json)::text`},
}

// isActeurField tells whether a column of the normalised rows is an Acteur
// field (keep_acteur_changed compares only those).
func isActeurField(name string) bool {
	for _, f := range acteurFields {
		if f.name == name {
			return true
		}
	}
	return false
}

// contexteFields are the fields read from the database for rows with the
// given columns: db_read_acteur reads the DAG's expected columns that are
// Acteur fields, plus the relations it always adds.
func contexteFields(columns []string) []acteurField {
	has := make(map[string]bool, len(columns))
	for _, c := range columns {
		has[c] = true
	}
	var out []acteurField
	for _, f := range acteurFields {
		if f.always || has[f.name] {
			out = append(out, f)
		}
	}
	return out
}

// comparedColumns are the columns keep_acteur_changed compares: the rows'
// columns that are Acteur fields, except identifiant_unique.
func comparedColumns(columns []string) []string {
	has := make(map[string]bool, len(columns))
	for _, c := range columns {
		has[c] = true
	}
	var out []string
	for _, f := range acteurFields {
		if has[f.name] && f.name != "identifiant_unique" {
			out = append(out, f.name)
		}
	}
	return out
}
