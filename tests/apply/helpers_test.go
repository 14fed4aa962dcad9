// Package apply_test tests the apply_suggestions and
// apply_suggestions_groupe task functions (shared/pipeline/apply) on the
// local Postgres, each test on its own prepared webapp schema.
package apply_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/apply"
	"github.com/lvao/dataplatform/shared/runtime"
	"github.com/lvao/dataplatform/shared/webapp/webapptest"
)

const testSource = "ecomaison"

// fixture is one test's webapp schema and its helpers.
type fixture struct {
	t    *testing.T
	ctx  context.Context
	pool *pgxpool.Pool
	log  *syncBuffer
}

func setup(t *testing.T) *fixture {
	t.Helper()
	t.Parallel()
	return &fixture{t: t, ctx: context.Background(), pool: webapptest.Open(t), log: &syncBuffer{}}
}

// syncBuffer collects the task log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.pool.Exec(f.ctx, sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

func (f *fixture) scalar(dst any, sql string, args ...any) {
	f.t.Helper()
	if err := f.pool.QueryRow(f.ctx, sql, args...).Scan(dst); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

func (f *fixture) count(sql string, args ...any) int {
	f.t.Helper()
	var n int
	f.scalar(&n, sql, args...)
	return n
}

// task runs a task function as the runtime would.
func (f *fixture) task(fn runtime.TaskFunc, groupe bool) (any, error) {
	t := &runtime.Task{DagID: "apply_suggestions", RunID: "manual__test", TaskID: "task",
		Args:   map[string]any{"use_suggestion_groupe": groupe},
		Logger: slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	return fn(f.ctx, t)
}

func (f *fixture) webapp() (*pgxpool.Pool, error) { return f.pool, nil }

// apply runs the apply task on suggestions (groupe false) or groups.
func (f *fixture) apply(groupe bool) apply.Stats {
	f.t.Helper()
	res, err := f.task(apply.Apply(f.webapp), groupe)
	if err != nil {
		f.t.Fatalf("apply: %v", err)
	}
	return res.(apply.Stats)
}

// applyOK applies and fails the test when any row ends in ERREUR.
func (f *fixture) applyOK(groupe bool) {
	f.t.Helper()
	st := f.apply(groupe)
	if st.Failed > 0 {
		table := "data_suggestion"
		if groupe {
			table = "data_suggestiongroupe"
		}
		var errs []string
		rows, _ := f.pool.Query(f.ctx, "SELECT metadata->>'error' FROM "+table+" WHERE statut = 'ERREUR'")
		for rows.Next() {
			var e string
			_ = rows.Scan(&e)
			errs = append(errs, e)
		}
		rows.Close()
		f.t.Fatalf("apply: %d failed: %v", st.Failed, errs)
	}
}

// --- acteurs ---

// acteurOpts describes a stored acteur; zero values are the defaults.
type acteurOpts struct {
	nom, typ, statut, source, lieu, email, commentaires, externe string
	noLocation                                                   bool
	lon, lat                                                     float64
	labels, services                                             []string
	ps                                                           map[string][]string // action → sous-catégories
	perimetres                                                   [][2]string         // type, valeur
}

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// acteur stores an imported acteur with its relations.
func (f *fixture) acteur(id string, o acteurOpts) {
	f.t.Helper()
	if o.lon == 0 {
		o.lon, o.lat = 2.3315, 48.8686
	}
	var loc any = "SRID=4326;POINT(" + ftoa(o.lon) + " " + ftoa(o.lat) + ")"
	if o.noLocation {
		loc = nil
	}
	f.exec(`INSERT INTO qfdmo_acteur (identifiant_unique, nom, acteur_type_id, adresse, code_postal, ville, location,
		source_id, identifiant_externe, statut, public_accueilli, reprise, lieu_prestation, email, commentaires)
		VALUES ($1, $2, (SELECT id FROM qfdmo_acteurtype WHERE code = $3), '1 rue de la Paix', '75002', 'Paris',
		$4::text::geography, (SELECT id FROM qfdmo_source WHERE code = $5), $6, $7, '', '', $8, $9, $10)`,
		id, def(o.nom, "Acteur "+id), def(o.typ, "commerce"), loc, def(o.source, testSource),
		def(o.externe, "ext_"+id), def(o.statut, "ACTIF"), def(o.lieu, "SUR_PLACE"), o.email, o.commentaires)
	f.relations("acteur", id, o.labels, o.services, o.ps, o.perimetres)
}

// revOpts describes a stored revision.
type revOpts struct {
	nom, parent, statut, source, typ, commentaires string
	labels, services                               []string
	ps                                             map[string][]string
	perimetres                                     [][2]string
}

// revision stores a revision (a parent when it has no source and
// children point to it).
func (f *fixture) revision(id string, o revOpts) {
	f.t.Helper()
	var parent, source, typ any
	if o.parent != "" {
		parent = o.parent
	}
	if o.source != "" {
		source = o.source
	}
	if o.typ != "" {
		typ = o.typ
	}
	f.exec(`INSERT INTO qfdmo_revisionacteur (identifiant_unique, nom, parent_id, statut, source_id, acteur_type_id,
		public_accueilli, reprise, commentaires)
		VALUES ($1, $2, $3, $4, (SELECT id FROM qfdmo_source WHERE code = $5), (SELECT id FROM qfdmo_acteurtype WHERE code = $6),
		'', '', $7)`, id, o.nom, parent, def(o.statut, "ACTIF"), source, typ, o.commentaires)
	f.relations("revision", id, o.labels, o.services, o.ps, o.perimetres)
}

func (f *fixture) relations(kind, id string, labels, services []string, ps map[string][]string, perimetres [][2]string) {
	f.t.Helper()
	prefix, owner := "qfdmo_acteur", "acteur_id"
	psTable, perTable, psFK := "qfdmo_propositionservice", "qfdmo_perimetreadomicile", "propositionservice_id"
	if kind == "revision" {
		prefix, owner = "qfdmo_revisionacteur", "revisionacteur_id"
		psTable, perTable, psFK = "qfdmo_revisionpropositionservice", "qfdmo_revisionperimetreadomicile", "revisionpropositionservice_id"
	}
	f.exec(`INSERT INTO `+prefix+`_labels (`+owner+`, labelqualite_id) SELECT $1, id FROM qfdmo_labelqualite WHERE code = ANY($2)`, id, labels)
	f.exec(`INSERT INTO `+prefix+`_acteur_services (`+owner+`, acteurservice_id) SELECT $1, id FROM qfdmo_acteurservice WHERE code = ANY($2)`, id, services)
	for action, scs := range ps {
		f.exec(`WITH ps AS (INSERT INTO `+psTable+` (acteur_id, action_id) SELECT $1, id FROM qfdmo_action WHERE code = $2 RETURNING id)
			INSERT INTO `+psTable+`_sous_categories (`+psFK+`, souscategorieobjet_id)
			SELECT ps.id, sc.id FROM ps, qfdmo_souscategorieobjet sc WHERE sc.code = ANY($3)`, id, action, scs)
	}
	for _, p := range perimetres {
		f.exec(`INSERT INTO `+perTable+` (acteur_id, type, valeur) VALUES ($1, $2, $3)`, id, p[0], p[1])
	}
}

// row reads an acteur or revision row as JSON (location as lon/lat,
// foreign keys as codes); nil when missing.
func (f *fixture) row(table, id string) map[string]any {
	f.t.Helper()
	var raw []byte
	err := f.pool.QueryRow(f.ctx, `SELECT to_jsonb(x) FROM (SELECT t.*, ST_X(t.location::geometry) AS lon, ST_Y(t.location::geometry) AS lat,
		(SELECT code FROM qfdmo_acteurtype WHERE id = t.acteur_type_id) AS acteur_type,
		(SELECT code FROM qfdmo_source WHERE id = t.source_id) AS source
		FROM `+table+` t WHERE identifiant_unique = $1) x`, id).Scan(&raw)
	if err != nil {
		if strings.Contains(err.Error(), "no rows") {
			return nil
		}
		f.t.Fatalf("read %s %s: %v", table, id, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// codes lists a relation of an acteur ("acteur") or revision ("revision"):
// labels, services, ps ("action:sc1,sc2"), perimetres ("TYPE:valeur").
func (f *fixture) codes(kind, rel, id string) []string {
	f.t.Helper()
	prefix, owner := "qfdmo_acteur", "acteur_id"
	psTable, perTable, psFK := "qfdmo_propositionservice", "qfdmo_perimetreadomicile", "propositionservice_id"
	if kind == "revision" {
		prefix, owner = "qfdmo_revisionacteur", "revisionacteur_id"
		psTable, perTable, psFK = "qfdmo_revisionpropositionservice", "qfdmo_revisionperimetreadomicile", "revisionpropositionservice_id"
	}
	var sql string
	switch rel {
	case "labels":
		sql = `SELECT l.code FROM ` + prefix + `_labels x JOIN qfdmo_labelqualite l ON l.id = x.labelqualite_id WHERE x.` + owner + ` = $1`
	case "services":
		sql = `SELECT s.code FROM ` + prefix + `_acteur_services x JOIN qfdmo_acteurservice s ON s.id = x.acteurservice_id WHERE x.` + owner + ` = $1`
	case "ps":
		sql = `SELECT a.code || ':' || COALESCE((SELECT string_agg(sc.code, ',' ORDER BY sc.code) FROM ` + psTable + `_sous_categories x
			JOIN qfdmo_souscategorieobjet sc ON sc.id = x.souscategorieobjet_id WHERE x.` + psFK + ` = ps.id), '')
			FROM ` + psTable + ` ps JOIN qfdmo_action a ON a.id = ps.action_id WHERE ps.acteur_id = $1`
	case "perimetres":
		sql = `SELECT type || ':' || valeur FROM ` + perTable + ` WHERE acteur_id = $1`
	default:
		f.t.Fatalf("unknown relation %s", rel)
	}
	rows, err := f.pool.Query(f.ctx, sql, id)
	if err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// --- suggestions ---

// cohort stores a suggestion cohort of the given type.
func (f *fixture) cohort(typeAction string) int32 {
	f.t.Helper()
	var id int32
	f.scalar(&id, `INSERT INTO data_suggestioncohorte (identifiant_action, identifiant_execution, type_action, statut)
		VALUES ('test', 'run', $1, 'AVALIDER') RETURNING id`, typeAction)
	return id
}

// suggestion stores a legacy suggestion.
func (f *fixture) suggestion(cohort int32, statut string, suggestion any) int32 {
	f.t.Helper()
	b, err := json.Marshal(suggestion)
	if err != nil {
		f.t.Fatal(err)
	}
	var id int32
	f.scalar(&id, `INSERT INTO data_suggestion (suggestion_cohorte_id, statut, suggestion) VALUES ($1, $2, $3) RETURNING id`,
		cohort, statut, b)
	return id
}

// change is one SuggestionChange.
func change(order int, model, id string, data map[string]any) map[string]any {
	params := map[string]any{"id": id}
	if data != nil {
		params["data"] = data
	}
	return map[string]any{"order": order, "reason": "test reason", "model_name": model, "model_params": params}
}

// changes stores a CLUSTERING suggestion ATRAITER with the changes.
func (f *fixture) changes(list ...map[string]any) int32 {
	f.t.Helper()
	return f.suggestion(f.cohort("CLUSTERING"), "ATRAITER", map[string]any{"changes": list})
}

// unitSpec is one data_suggestionunitaire; valeurs are strings or nil.
type unitSpec struct {
	modele                         string
	champs                         []string
	valeurs                        []any
	acteurID, revisionID, parentID string
}

func u(modele string, champs []string, valeurs ...any) unitSpec {
	return unitSpec{modele: modele, champs: champs, valeurs: valeurs}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// groupe stores a suggestion group ATRAITER with its units.
func (f *fixture) groupe(cohort int32, acteurID, revisionID, parentID string, units ...unitSpec) int32 {
	f.t.Helper()
	var id int32
	f.scalar(&id, `INSERT INTO data_suggestiongroupe (suggestion_cohorte_id, statut, acteur_id, revision_acteur_id, parent_revision_acteur_id)
		VALUES ($1, 'ATRAITER', $2, $3, $4) RETURNING id`, cohort, nullable(acteurID), nullable(revisionID), nullable(parentID))
	for _, un := range units {
		vals := make([]*string, len(un.valeurs))
		for i, v := range un.valeurs {
			if s, ok := v.(string); ok {
				vals[i] = &s
			}
		}
		acteur, revision, parent := def(un.acteurID, acteurID), un.revisionID, un.parentID
		if un.modele == "RevisionActeur" {
			acteur, revision = "", def(un.revisionID, revisionID)
		}
		if un.modele == "ParentRevisionActeur" {
			acteur, parent = "", def(un.parentID, parentID)
		}
		f.exec(`INSERT INTO data_suggestionunitaire (suggestion_groupe_id, statut, acteur_id, revision_acteur_id,
			parent_revision_acteur_id, ordre, raison, parametres, suggestion_modele, champs, valeurs)
			VALUES ($1, 'AVALIDER', $2, $3, $4, 1, '', '{}', $5, $6, $7)`,
			id, nullable(acteur), nullable(revision), nullable(parent), un.modele, un.champs, vals)
	}
	return id
}

// statut returns a suggestion's (or group's) statut and metadata error.
func (f *fixture) statut(groupe bool, id int32) (string, string) {
	f.t.Helper()
	table := "data_suggestion"
	if groupe {
		table = "data_suggestiongroupe"
	}
	var statut string
	var errMsg *string
	f.scalar(&statut, "SELECT statut FROM "+table+" WHERE id = $1", id)
	f.scalar(&errMsg, "SELECT metadata->>'error' FROM "+table+" WHERE id = $1", id)
	if errMsg == nil {
		return statut, ""
	}
	return statut, *errMsg
}

// wantStatut checks a row's statut (and, for ERREUR, its error message).
func (f *fixture) wantStatut(groupe bool, id int32, statut, errContains string) {
	f.t.Helper()
	got, msg := f.statut(groupe, id)
	if got != statut {
		f.t.Errorf("row %d: statut = %s (error %q), want %s", id, got, msg, statut)
	}
	if errContains != "" && !strings.Contains(msg, errContains) {
		f.t.Errorf("row %d: error = %q, want it to contain %q", id, msg, errContains)
	}
}

func ftoa(x float64) string {
	b, _ := json.Marshal(x)
	return string(b)
}

// eq compares two values by their JSON.
func eq(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func want(t *testing.T, what string, got, wanted any) {
	t.Helper()
	if !eq(got, wanted) {
		t.Errorf("%s = %v, want %v", what, got, wanted)
	}
}

func checkTask(f *fixture) runtime.TaskFunc { return apply.Check(f.webapp) }
