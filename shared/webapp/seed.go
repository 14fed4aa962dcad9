package webapp

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The webapp's reference fixtures (webapp/qfdmo/fixtures/*.json, copied
// byte for byte from shared/lvao/fixtures). They use Django natural keys:
// no pk, and a foreign key or many-to-many target is written ["<code>"].
//
// localfixtures/ adds, in the same format, what the source DAGs' product
// mappings (db_mapping.json) name but the fixtures lack, so that every
// source DAG runs on a locally seeded schema: the sous-categorie
// huile_alimentaire of sous_categories_sinoe.
//
//go:embed fixtures/*.json localfixtures/*.json
var fixtureFS embed.FS

// colKind tells how a fixture value is bound.
type colKind uint8

const (
	kindText colKind = iota
	kindBool
	kindInt
	kindFK // natural key ["code"] resolved to the target's id
)

// seedColumn is one column of a seeded table. def is the Django app
// default used when the fixture omits the field (nil: NULL, or no default).
type seedColumn struct {
	field  string // fixture field name
	column string // table column
	kind   colKind
	def    any
	target string // kindFK: referenced table (by code)
}

// seedM2M is a many-to-many field of a seeded model.
type seedM2M struct {
	field, table, ownColumn, targetColumn, target string
}

// seedTable is one reference model and the fixture file that holds it.
type seedTable struct {
	file, model, table string
	// local: a file of localfixtures/ seeded with file.
	local   string
	columns []seedColumn
	m2m     []seedM2M
}

// seedTables lists the reference tables in dependency order, with the app
// defaults of webapp_schema.md.
var seedTables = []seedTable{
	{file: "acteur_types.json", model: "qfdmo.acteurtype", table: "qfdmo_acteurtype", columns: []seedColumn{
		{field: "code"}, {field: "libelle", def: "?"},
	}},
	{file: "sources.json", model: "qfdmo.source", table: "qfdmo_source", columns: []seedColumn{
		{field: "libelle"}, {field: "code"}, {field: "afficher", kind: kindBool, def: true},
		{field: "url"}, {field: "logo_file"}, {field: "licence", def: "NO_LICENSE"},
	}},
	{file: "labels.json", model: "qfdmo.labelqualite", table: "qfdmo_labelqualite", columns: []seedColumn{
		{field: "order", column: `"order"`, kind: kindInt, def: 0}, {field: "libelle"}, {field: "code"},
		{field: "afficher", kind: kindBool, def: true}, {field: "filtre", kind: kindBool, def: false},
		{field: "filtre_label", def: ""}, {field: "filtre_texte_d_aide", def: ""},
		{field: "logo_filtre"}, {field: "logo_file"}, {field: "bonus", kind: kindBool, def: false},
		{field: "type_enseigne", kind: kindBool, def: false}, {field: "url"},
	}},
	{file: "actions.json", model: "qfdmo.actiondirection", table: "qfdmo_actiondirection", columns: []seedColumn{
		{field: "code"}, {field: "order", column: `"order"`, kind: kindInt, def: 0}, {field: "libelle"},
	}},
	{file: "actions.json", model: "qfdmo.groupeaction", table: "qfdmo_groupeaction", columns: []seedColumn{
		{field: "code"}, {field: "afficher", kind: kindBool, def: true}, {field: "description"},
		{field: "order", column: `"order"`, kind: kindInt, def: 0}, {field: "couleur", def: "#C3992A"},
		{field: "couleur_claire", def: "#C3992A"}, {field: "fill", kind: kindBool, def: false}, {field: "icon"},
	}},
	{file: "actions.json", model: "qfdmo.action", table: "qfdmo_action", columns: []seedColumn{
		{field: "code"}, {field: "libelle", def: ""}, {field: "libelle_groupe", def: ""},
		{field: "afficher", kind: kindBool, def: true}, {field: "description"},
		{field: "order", column: `"order"`, kind: kindInt, def: 0}, {field: "couleur", def: "#C3992A"}, {field: "icon"},
		{field: "groupe_action", column: "groupe_action_id", kind: kindFK, target: "qfdmo_groupeaction"},
	}, m2m: []seedM2M{
		{field: "directions", table: "qfdmo_action_directions", ownColumn: "action_id", targetColumn: "actiondirection_id", target: "qfdmo_actiondirection"},
	}},
	{file: "acteur_services.json", model: "qfdmo.acteurservice", table: "qfdmo_acteurservice", columns: []seedColumn{
		{field: "code"}, {field: "libelle"},
	}, m2m: []seedM2M{
		{field: "actions", table: "qfdmo_acteurservice_actions", ownColumn: "acteurservice_id", targetColumn: "action_id", target: "qfdmo_action"},
	}},
	{file: "categories.json", model: "qfdmo.categorieobjet", table: "qfdmo_categorieobjet", columns: []seedColumn{
		{field: "libelle"}, {field: "code"},
	}},
	{file: "categories.json", model: "qfdmo.souscategorieobjet", table: "qfdmo_souscategorieobjet", columns: []seedColumn{
		{field: "libelle"}, {field: "categorie", column: "categorie_id", kind: kindFK, target: "qfdmo_categorieobjet"},
		{field: "code"}, {field: "afficher", kind: kindBool, def: true},
		{field: "afficher_carte", kind: kindBool, def: false}, {field: "reemploi_possible", kind: kindBool, def: true},
	}, local: "souscategories.json"},
}

// fixtureObject is one object of a Django fixture.
type fixtureObject struct {
	Model  string                     `json:"model"`
	Fields map[string]json.RawMessage `json:"fields"`
}

// seedReferenceTables fills each empty reference table (and its
// many-to-many tables) from the fixtures. A table that already has rows is
// left alone: the webapp owns its content once it exists.
func seedReferenceTables(ctx context.Context, tx pgx.Tx) error {
	for _, st := range seedTables {
		var nonEmpty bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+st.table+")").Scan(&nonEmpty); err != nil {
			return fmt.Errorf("error reading %s: %w", st.table, err)
		}
		if nonEmpty {
			continue
		}
		objs, err := readFixture("fixtures/" + st.file)
		if err != nil {
			return err
		}
		if st.local != "" {
			local, err := readFixture("localfixtures/" + st.local)
			if err != nil {
				return err
			}
			objs = append(objs, local...)
		}
		if err := seedTableRows(ctx, tx, st, objs); err != nil {
			return err
		}
	}
	return nil
}

func readFixture(name string) ([]fixtureObject, error) {
	data, err := fixtureFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("error reading fixture %s: %w", name, err)
	}
	var objs []fixtureObject
	if err := json.Unmarshal(data, &objs); err != nil {
		return nil, fmt.Errorf("error decoding fixture %s: %w", name, err)
	}
	return objs, nil
}

// seedTableRows inserts the fixture objects of one model in one batch.
// Foreign keys and many-to-many links are resolved by code in SQL.
func seedTableRows(ctx context.Context, tx pgx.Tx, st seedTable, objs []fixtureObject) error {
	cols := make([]string, len(st.columns))
	vals := make([]string, len(st.columns))
	for i, c := range st.columns {
		cols[i] = c.column
		if cols[i] == "" {
			cols[i] = c.field
		}
		vals[i] = fmt.Sprintf("$%d", i+1)
		if c.kind == kindFK {
			vals[i] = fmt.Sprintf("(SELECT id FROM %s WHERE code = $%d)", c.target, i+1)
		}
	}
	insert := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", st.table, strings.Join(cols, ", "), strings.Join(vals, ", "))
	batch := &pgx.Batch{}
	n := 0
	for _, o := range objs {
		if o.Model != st.model {
			continue
		}
		args := make([]any, len(st.columns))
		for i, c := range st.columns {
			v, err := fixtureValue(o.Fields[c.field], c)
			if err != nil {
				return fmt.Errorf("error reading %s.%s in %s: %w", st.model, c.field, st.file, err)
			}
			args[i] = v
		}
		batch.Queue(insert, args...)
		code, err := textValue(o.Fields["code"])
		if err != nil {
			return fmt.Errorf("error reading %s.code in %s: %w", st.model, st.file, err)
		}
		for _, m := range st.m2m {
			keys, err := naturalKeys(o.Fields[m.field])
			if err != nil {
				return fmt.Errorf("error reading %s.%s in %s: %w", st.model, m.field, st.file, err)
			}
			if len(keys) == 0 {
				continue
			}
			batch.Queue(fmt.Sprintf(`INSERT INTO %s (%s, %s) SELECT o.id, t.id FROM %s o, %s t
				WHERE o.code = $1 AND t.code = ANY($2)`, m.table, m.ownColumn, m.targetColumn, st.table, m.target), code, keys)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("error seeding %s: no %s object in %s", st.table, st.model, st.file)
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("error seeding %s: %w", st.table, err)
	}
	return nil
}

// fixtureValue converts a fixture field to the column's Go value.
func fixtureValue(raw json.RawMessage, c seedColumn) (any, error) {
	if raw == nil {
		return c.def, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	switch c.kind {
	case kindBool:
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	case kindInt:
		var i int64
		err := json.Unmarshal(raw, &i)
		return i, err
	case kindFK:
		keys, err := naturalKeys(json.RawMessage("[" + string(raw) + "]"))
		if err != nil || len(keys) == 0 {
			return nil, err
		}
		return keys[0], nil
	}
	return textValue(raw)
}

func textValue(raw json.RawMessage) (string, error) {
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// naturalKeys reads [["a"], ["b"]] (Django natural keys of a
// many-to-many) as ["a", "b"].
func naturalKeys(raw json.RawMessage) ([]string, error) {
	if raw == nil {
		return nil, nil
	}
	var ks [][]string
	if err := json.Unmarshal(raw, &ks); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ks))
	for _, k := range ks {
		if len(k) > 0 {
			out = append(out, k[0])
		}
	}
	return out, nil
}
