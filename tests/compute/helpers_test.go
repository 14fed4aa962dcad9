// Package compute_test checks LVAO's compute_acteurs rules (shared/pipeline/
// compute) and the open-data export (shared/pipeline/export) on small
// hand-made cases, against the real Postgres: each test has its own webapp
// schema and its own warehouse schema.
package compute_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/compute"
	"github.com/lvao/dataplatform/shared/webapp"
	"github.com/lvao/dataplatform/shared/webapp/webapptest"
)

// env is one test's databases and runner.
type env struct {
	t         *testing.T
	ctx       context.Context
	web       *pgxpool.Pool
	webSchema string
	wh        *pgxpool.Pool
	whSchema  string
	runner    *compute.Runner
	logs      *syncBuffer
	// Reference ids by code.
	types, actions, sscats, labels, services, sources map[string]int
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, logs: &syncBuffer{}}
	e.webSchema = webapptest.Schema(t)
	e.web = webapptest.Pool(t, e.webSchema)
	if err := webapp.Prepare(ctx, e.web, e.webSchema); err != nil {
		t.Fatalf("prepare webapp: %v", err)
	}
	if err := compute.PrepareWebapp(ctx, e.web, e.webSchema); err != nil {
		t.Fatalf("prepare published tables: %v", err)
	}
	e.whSchema = webapptest.Schema(t)
	cfg, err := pgxpool.ParseConfig(webapptest.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	compute.ConfigureWarehousePool(cfg, e.whSchema)
	if e.wh, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.wh.Close)
	logger := slog.New(slog.NewTextHandler(e.logs, nil))
	if e.runner, err = compute.New(compute.Config{Webapp: e.web, Warehouse: e.wh, Schema: e.whSchema, Logger: logger}); err != nil {
		t.Fatal(err)
	}
	e.types = e.ids("qfdmo_acteurtype")
	e.actions = e.ids("qfdmo_action")
	e.sscats = e.ids("qfdmo_souscategorieobjet")
	e.labels = e.ids("qfdmo_labelqualite")
	e.services = e.ids("qfdmo_acteurservice")
	// Sources of the tests: one per licence case.
	for _, s := range []struct{ code, libelle, licence string }{
		{"src_ouverte", "Source Ouverte", "OPEN_LICENSE"},
		{"src_ouverte_bis", "Autre Source Ouverte", "OPEN_LICENSE"},
		{"src_fermee", "Source Fermée", "NO_LICENSE"},
		{"src_odbl", "Source ODBL", "ODBL"},
	} {
		e.exec(`INSERT INTO qfdmo_source (libelle, code, afficher, licence) VALUES ($1, $2, true, $3)`, s.libelle, s.code, s.licence)
	}
	e.sources = e.ids("qfdmo_source")
	return e
}

func (e *env) ids(table string) map[string]int {
	e.t.Helper()
	rows, err := e.web.Query(e.ctx, "SELECT code, id FROM "+table)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var code string
		var id int
		if err := rows.Scan(&code, &id); err != nil {
			e.t.Fatal(err)
		}
		out[code] = id
	}
	if len(out) == 0 {
		e.t.Fatalf("%s is empty", table)
	}
	return out
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.web.Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// point is a WGS84 location.
type point struct{ lon, lat float64 }

// row is a row to insert: column → value (a point becomes a geography).
type row map[string]any

func (e *env) insert(table string, r row) {
	e.t.Helper()
	cols := make([]string, 0, len(r))
	for c := range r {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	var vals []string
	var args []any
	for _, c := range cols {
		if p, ok := r[c].(point); ok {
			args = append(args, p.lon, p.lat)
			vals = append(vals, fmt.Sprintf("ST_SetSRID(ST_MakePoint($%d, $%d), 4326)::geography", len(args)-1, len(args)))
			continue
		}
		args = append(args, r[c])
		vals = append(vals, fmt.Sprintf("$%d", len(args)))
	}
	e.exec("INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ("+strings.Join(vals, ", ")+")", args...)
}

// acteur inserts an imported acteur; r overrides the defaults (an active
// shop of src_ouverte on the map).
func (e *env) acteur(id string, r row) {
	e.t.Helper()
	base := row{"identifiant_unique": id, "nom": "Acteur " + id, "acteur_type_id": e.types["commerce"],
		"source_id": e.sources["src_ouverte"], "identifiant_externe": "ext-" + id, "public_accueilli": "Particuliers",
		"reprise": "", "lieu_prestation": "SUR_PLACE", "location": point{2.35, 48.85}, "ville": "Paris", "code_postal": "75001"}
	for k, v := range r {
		base[k] = v
	}
	e.insert("qfdmo_acteur", base)
}

// revision inserts a revision (a correction of acteur id, or a parent when
// no acteur has this id); unset texts are ” (not corrected).
func (e *env) revision(id string, r row) {
	e.t.Helper()
	base := row{"identifiant_unique": id, "public_accueilli": "", "reprise": ""}
	for k, v := range r {
		base[k] = v
	}
	e.insert("qfdmo_revisionacteur", base)
}

// ps gives acteur id the action with sous-catégories (revision: on the
// revision's propositions).
func (e *env) ps(revision bool, acteurID, action string, sscats ...string) {
	e.t.Helper()
	table, m2m, fk := "qfdmo_propositionservice", "qfdmo_propositionservice_sous_categories", "propositionservice_id"
	if revision {
		table, m2m, fk = "qfdmo_revisionpropositionservice", "qfdmo_revisionpropositionservice_sous_categories", "revisionpropositionservice_id"
	}
	var psID int
	if err := e.web.QueryRow(e.ctx, "INSERT INTO "+table+" (acteur_id, action_id) VALUES ($1, $2) RETURNING id", acteurID, e.actions[action]).Scan(&psID); err != nil {
		e.t.Fatal(err)
	}
	for _, sc := range sscats {
		e.exec("INSERT INTO "+m2m+" ("+fk+", souscategorieobjet_id) VALUES ($1, $2)", psID, e.sscats[sc])
	}
}

// link adds an m2m row (labels, acteur_services) to an acteur or revision.
func (e *env) link(revision bool, kind, acteurID, code string) {
	e.t.Helper()
	owner, table := "acteur_id", "qfdmo_acteur_"+kind
	if revision {
		owner, table = "revisionacteur_id", "qfdmo_revisionacteur_"+kind
	}
	col, id := "labelqualite_id", e.labels[code]
	if kind == "acteur_services" {
		col, id = "acteurservice_id", e.services[code]
	}
	e.exec("INSERT INTO "+table+" ("+owner+", "+col+") VALUES ($1, $2)", acteurID, id)
}

func (e *env) build(selectors ...string) {
	e.t.Helper()
	if _, err := e.runner.Build(e.ctx, selectors...); err != nil {
		e.t.Fatalf("build %v: %v\nlogs:\n%s", selectors, err, e.logs.String())
	}
}

func (e *env) publish(groups ...string) {
	e.t.Helper()
	if _, err := e.runner.Publish(e.ctx, groups...); err != nil {
		e.t.Fatalf("publish %v: %v", groups, err)
	}
}

// strings returns the first column of a query's rows as text, sorted.
func queryStrings(t *testing.T, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql string, args ...any) []string {
	t.Helper()
	rows, err := q.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var s *string
		err := r.Scan(&s)
		if s == nil {
			return "<null>", err
		}
		return *s, err
	})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	sort.Strings(out)
	return out
}

// wh runs a query on the warehouse schema.
func (e *env) whStrings(sql string, args ...any) []string {
	e.t.Helper()
	return queryStrings(e.t, e.wh, sql, args...)
}

func (e *env) webStrings(sql string, args ...any) []string {
	e.t.Helper()
	return queryStrings(e.t, e.web, sql, args...)
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// syncBuffer is a log sink shared by goroutines.
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
