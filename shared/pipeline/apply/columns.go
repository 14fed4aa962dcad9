package apply

// The acteur tables as LVAO's Django models define them (qfdmo/models/
// acteur.py: BaseActeur, Acteur, RevisionActeur), with what an apply needs
// of each field: its column, its Django name, how a value is converted, its
// default on a new instance and the checks full_clean runs.

// colKind tells how a column's value is converted and bound.
type colKind uint8

const (
	colText     colKind = iota // CharField/TextField: string or nil
	colBool                    // BooleanField(null=True): bool or nil
	colFK                      // ForeignKey to a reference table: int32 id or nil
	colParent                  // RevisionActeur.parent: identifiant_unique or nil
	colLocation                // PointField(geography): EWKT/WKB hex text or nil
)

// column is one concrete field of an acteur model.
type column struct {
	name  string // database column
	field string // Django field name (the FK's name without _id)
	kind  colKind
	// ref is the table a colFK points to, refModel its Django model name
	// (for "<Model> matching query does not exist.").
	ref, refModel string
	null          bool // Django null=True: nil is a valid value
	blank         bool // Django blank=True: full_clean accepts "" (and nil)
	maxLen        int  // CharField max_length (0: unbounded)
	choices       []string
	email         bool // EmailField / EmptyEmailValidator
	def           any  // the value of a new instance (Django default)
}

// Choices (qfdmo/models/acteur.py).
var (
	statutChoices          = []string{statutActif, statutInactif, statutSupprime}
	publicAccueilliChoices = []string{"Particuliers et professionnels", "Professionnels", "Particuliers", "Aucun", ""}
	repriseChoices         = []string{"1 pour 0", "1 pour 1", ""}
	lieuPrestationChoices  = []string{"A_DOMICILE", "SUR_PLACE", "SUR_PLACE_OU_A_DOMICILE"}
)

// ActeurStatus values.
const (
	statutActif    = "ACTIF"
	statutInactif  = "INACTIF"
	statutSupprime = "SUPPRIME"
)

// Reference codes LVAO's models fall back on.
const (
	// digitalActeurType is core.constants.DIGITAL_ACTEUR_CODE: the only
	// acteur type allowed without a location.
	digitalActeurType = "acteur_digital"
	// defaultSourceCode is DEFAULT_SOURCE_CODE, given to an Acteur saved
	// without a source.
	defaultSourceCode = "communautelvao"
	// defaultActeurType is the type of an Acteur a RevisionActeur creates
	// when it has none.
	defaultActeurType = "commerce"
	// emptyActeurField is EMPTY_ACTEUR_FIELD: in a revision, "__empty__"
	// means "empty, whatever the acteur says"; it becomes "" on the Acteur.
	emptyActeurField = "__empty__"
)

// model is an acteur table and its relation tables.
type model struct {
	name     string // Django model name
	table    string
	revision bool
	columns  []column
	byName   map[string]*column // by column name and by Django field name
	// Relation tables: labels and acteur_services (many-to-many with the
	// owner column), proposition services (with their sous-catégories
	// many-to-many) and perimètres à domicile.
	labels, services, ownerFK       string
	ps, psSousCat, psSousCatOwnerFK string
	psModel                         string
	perimetre                       string
}

func textCol(name string, maxLen int) column {
	return column{name: name, field: name, kind: colText, blank: true, maxLen: maxLen, def: ""}
}

// baseColumns are BaseActeur's concrete fields in model order (cree_le,
// modifie_le and identifiant_unique are handled apart).
func baseColumns(revision bool) []column {
	nom := textCol("nom", 255)
	acteurType := column{name: "acteur_type_id", field: "acteur_type", kind: colFK, ref: "qfdmo_acteurtype", refModel: "ActeurType"}
	email := textCol("email", 254)
	email.email = true
	if revision {
		// RevisionActeur overrides: an empty nom and no type mean "as the
		// acteur".
		acteurType.null, acteurType.blank = true, true
	} else {
		nom.blank = false
	}
	return []column{
		nom,
		{name: "description", field: "description", kind: colText, blank: true, def: ""},
		acteurType,
		textCol("adresse", 255),
		textCol("adresse_complement", 255),
		textCol("code_postal", 10),
		textCol("ville", 255),
		textCol("url", 2048),
		email,
		{name: "location", field: "location", kind: colLocation, null: true, blank: true},
		textCol("telephone", 255),
		textCol("nom_commercial", 255),
		textCol("nom_officiel", 255),
		textCol("siren", 9),
		textCol("siret", 14),
		{name: "siret_is_closed", field: "siret_is_closed", kind: colBool, null: true, blank: true},
		{name: "source_id", field: "source", kind: colFK, ref: "qfdmo_source", refModel: "Source", null: true, blank: true},
		textCol("identifiant_externe", 255),
		{name: "statut", field: "statut", kind: colText, maxLen: 255, choices: statutChoices, def: statutActif},
		textCol("naf_principal", 255),
		{name: "commentaires", field: "commentaires", kind: colText, blank: true, def: ""},
		{name: "horaires_osm", field: "horaires_osm", kind: colText, blank: true, def: ""},
		{name: "horaires_description", field: "horaires_description", kind: colText, blank: true, def: ""},
		{name: "public_accueilli", field: "public_accueilli", kind: colText, blank: true, maxLen: 255, choices: publicAccueilliChoices, def: ""},
		{name: "reprise", field: "reprise", kind: colText, blank: true, maxLen: 255, choices: repriseChoices, def: ""},
		{name: "exclusivite_de_reprisereparation", field: "exclusivite_de_reprisereparation", kind: colBool, null: true, blank: true},
		{name: "uniquement_sur_rdv", field: "uniquement_sur_rdv", kind: colBool, null: true, blank: true},
		{name: "action_principale_id", field: "action_principale", kind: colFK, ref: "qfdmo_action", refModel: "Action", null: true, blank: true},
		{name: "consignes_dacces", field: "consignes_dacces", kind: colText, blank: true, def: ""},
		{name: "lieu_prestation", field: "lieu_prestation", kind: colText, null: true, blank: true, maxLen: 255, choices: lieuPrestationChoices, def: "SUR_PLACE"},
	}
}

func newModel(m *model) *model {
	m.columns = baseColumns(m.revision)
	if m.revision {
		m.columns = append(m.columns,
			column{name: "parent_id", field: "parent", kind: colParent, null: true, blank: true},
			textCol("parent_reason", 255))
	}
	m.byName = map[string]*column{}
	for i := range m.columns {
		c := &m.columns[i]
		m.byName[c.name] = c
		m.byName[c.field] = c
	}
	return m
}

var (
	acteurModel = newModel(&model{
		name: "Acteur", table: "qfdmo_acteur",
		labels: "qfdmo_acteur_labels", services: "qfdmo_acteur_acteur_services", ownerFK: "acteur_id",
		ps: "qfdmo_propositionservice", psSousCat: "qfdmo_propositionservice_sous_categories",
		psSousCatOwnerFK: "propositionservice_id", psModel: "PropositionService",
		perimetre: "qfdmo_perimetreadomicile",
	})
	revisionModel = newModel(&model{
		name: "RevisionActeur", table: "qfdmo_revisionacteur", revision: true,
		labels: "qfdmo_revisionacteur_labels", services: "qfdmo_revisionacteur_acteur_services", ownerFK: "revisionacteur_id",
		ps: "qfdmo_revisionpropositionservice", psSousCat: "qfdmo_revisionpropositionservice_sous_categories",
		psSousCatOwnerFK: "revisionpropositionservice_id", psModel: "RevisionPropositionService",
		perimetre: "qfdmo_revisionperimetreadomicile",
	})
)

// relationNames are the many-to-many and reverse relations of the acteur
// models: Django refuses to assign them directly (labels.set() instead).
var relationNames = map[string]string{
	"labels": "forward", "acteur_services": "forward",
	"proposition_services": "reverse", "perimetre_adomiciles": "reverse", "duplicats": "reverse",
	"suggestion_groupes": "reverse", "suggestion_unitaires": "reverse",
	"suggestion_groupes_from_parent": "reverse", "suggestion_unitaires_from_parent": "reverse",
}
