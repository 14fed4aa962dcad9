package suggest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// Factories for the tests: normalised rows as an eo-* DAG produces them,
// and acteurs stored in the webapp tables.

const testSource = "ecomaison"

// rowOpts overrides the defaults of testRow.
type rowOpts struct {
	nom, ville, acteurType, statut string
	lat, lon                       float64
	labels, sousCategories         []string
	noService                      bool // proposition_service_codes = []
}

// testRow is a normalised row of identifiant_externe ext.
func testRow(ext string, o rowOpts) transform.Row {
	def := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	if o.lat == 0 {
		o.lat, o.lon = 48.8686, 2.3315
	}
	if o.labels == nil {
		o.labels = []string{}
	}
	if o.sousCategories == nil {
		o.sousCategories = []string{"vetement"}
	}
	ps := transform.List(transform.Object(transform.NewRow(
		transform.Field{Name: "action", Value: transform.String("trier")},
		transform.Field{Name: "sous_categories", Value: transform.Strings(o.sousCategories...)},
	)))
	if o.noService {
		ps = transform.List()
	}
	f := func(n string, v transform.Value) transform.Field { return transform.Field{Name: n, Value: v} }
	s := transform.String
	return transform.NewRow(
		f("identifiant_unique", s(testSource+"_"+ext)),
		f("identifiant_externe", s(ext)),
		f("source_code", s(testSource)),
		f("nom", s(def(o.nom, "Acteur "+ext))),
		f("acteur_type_code", s(def(o.acteurType, "commerce"))),
		f("adresse", s("1 rue de la Paix")),
		f("code_postal", s("75002")),
		f("ville", s(def(o.ville, "Paris"))),
		f("latitude", transform.Float(o.lat)),
		f("longitude", transform.Float(o.lon)),
		f("location", s("0101000000")),
		f("statut", s(def(o.statut, StatutActif))),
		f("label_codes", transform.Strings(o.labels...)),
		f("acteur_service_codes", transform.Strings("structure_de_collecte")),
		f("action_codes", transform.Strings("trier")),
		f("sous_categorie_codes", transform.Strings(o.sousCategories...)),
		f("proposition_service_codes", ps),
		f("lieu_prestation", s("SUR_PLACE")),
		f("perimetre_adomicile_codes", transform.List()),
		f("uniquement_sur_rdv", transform.Missing),
	)
}

// acteurOpts describes a stored acteur; zero fields match testRow's
// defaults.
type acteurOpts struct {
	nom, ville, statut string
	lat, lon           float64
	labels             []string
	revisionParent     string // non-empty: a revision exists, with this parent
	id                 string // identifiant_unique; default <source>_<ext>
}

func mustExec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// insertActeur stores the acteur of identifiant_externe ext, with the
// relations testRow produces.
func insertActeur(t *testing.T, pool *pgxpool.Pool, ext string, o acteurOpts) {
	t.Helper()
	def := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	if o.lat == 0 {
		o.lat, o.lon = 48.8686, 2.3315
	}
	id := def(o.id, testSource+"_"+ext)
	mustExec(t, pool, `INSERT INTO qfdmo_acteur (identifiant_unique, nom, acteur_type_id, adresse, code_postal, ville,
		location, source_id, identifiant_externe, statut, public_accueilli, reprise, lieu_prestation)
		VALUES ($1, $2, (SELECT id FROM qfdmo_acteurtype WHERE code = 'commerce'), '1 rue de la Paix', '75002', $3,
		ST_SetSRID(ST_MakePoint($4, $5), 4326)::geography, (SELECT id FROM qfdmo_source WHERE code = $6), $7, $8, '', '', 'SUR_PLACE')`,
		id, def(o.nom, "Acteur "+ext), def(o.ville, "Paris"), o.lon, o.lat, testSource, ext, def(o.statut, StatutActif))
	mustExec(t, pool, `INSERT INTO qfdmo_acteur_labels (acteur_id, labelqualite_id)
		SELECT $1, id FROM qfdmo_labelqualite WHERE code = ANY($2)`, id, o.labels)
	mustExec(t, pool, `INSERT INTO qfdmo_acteur_acteur_services (acteur_id, acteurservice_id)
		SELECT $1, id FROM qfdmo_acteurservice WHERE code = 'structure_de_collecte'`, id)
	mustExec(t, pool, `WITH ps AS (INSERT INTO qfdmo_propositionservice (acteur_id, action_id)
		SELECT $1, id FROM qfdmo_action WHERE code = 'trier' RETURNING id)
		INSERT INTO qfdmo_propositionservice_sous_categories (propositionservice_id, souscategorieobjet_id)
		SELECT ps.id, sc.id FROM ps, qfdmo_souscategorieobjet sc WHERE sc.code = 'vetement'`, id)
	if o.revisionParent != "" {
		mustExec(t, pool, `INSERT INTO qfdmo_revisionacteur (identifiant_unique, public_accueilli, reprise)
			VALUES ($1, '', '') ON CONFLICT DO NOTHING`, o.revisionParent)
		mustExec(t, pool, `INSERT INTO qfdmo_revisionacteur (identifiant_unique, public_accueilli, reprise, parent_id, source_id)
			VALUES ($1, '', '', $2, (SELECT id FROM qfdmo_source WHERE code = $3))`, id, o.revisionParent, testSource)
	}
}

func countRows(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// tableCounts counts the rows of the suggestion tables.
func tableCounts(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"data_suggestioncohorte", "data_suggestiongroupe", "data_suggestionunitaire",
		"data_suggestionlog", "data_suggestion"} {
		out[table] = countRows(t, pool, "SELECT count(*) FROM "+table)
	}
	return out
}

// artifact is a JSON-lines file in the test's temp dir, as a task function
// would write to and read from the artifact store.
type artifact struct{ path string }

func newArtifact(t *testing.T, name string) artifact {
	return artifact{filepath.Join(t.TempDir(), name)}
}

func (a artifact) create(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Create(a.path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (a artifact) open() (io.ReadCloser, error) { return os.Open(a.path) }

// writeJSONL writes items to the artifact.
func writeJSONL[T any](t *testing.T, a artifact, items []T) {
	t.Helper()
	f := a.create(t)
	w := NewJSONLWriter[T](f)
	for _, it := range items {
		if err := w.Put(it); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
