package apply

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// record is one Acteur or RevisionActeur instance: its concrete fields by
// column, as Django holds them between a get and a save.
type record struct {
	m      *model
	id     string
	vals   map[string]any // column name → string | bool | int32 | nil
	exists bool           // loaded from the table (Django's not _state.adding)
	// origParent is the parent_id the revision was loaded with
	// (RevisionActeur._original_parent).
	origParent any
}

// newRecord is <Model>(identifiant_unique=id) with the models' defaults.
func newRecord(m *model, id string) *record {
	r := &record{m: m, id: id, vals: make(map[string]any, len(m.columns))}
	for _, c := range m.columns {
		r.vals[c.name] = c.def
	}
	return r
}

func (r *record) get(col string) any { return r.vals[col] }

func (r *record) str(col string) string {
	s, _ := r.vals[col].(string)
	return s
}

// setAttr is setattr(instance, name, value) with Django's conversion of
// the value on save. Names that are no field of the model are ignored
// (Python sets a plain attribute, which save() never writes): known is
// then false.
func (r *record) setAttr(name string, v any) (known bool, err error) {
	switch name {
	case "identifiant_unique":
		s, err := pyStr(v)
		if err != nil {
			return true, err
		}
		if s != r.id {
			return true, fmt.Errorf("identifiant_unique cannot be changed (%s → %s)", r.id, s)
		}
		return true, nil
	case "cree_le", "modifie_le":
		// auto_now/auto_now_add: the save sets them.
		return true, nil
	case "latitude", "longitude":
		return true, fmt.Errorf("property '%s' of '%s' object has no setter", name, r.m.name)
	}
	if kind, ok := relationNames[name]; ok {
		return true, relationAssignError(kind, name)
	}
	c, ok := r.m.byName[name]
	if !ok {
		return false, nil
	}
	if (c.kind == colFK || c.kind == colParent) && name == c.field && v != nil {
		// acteur.acteur_type = 3: only an instance may be assigned to the
		// relation's name; ids go to acteur_type_id.
		s, _ := pyStr(v)
		return true, fmt.Errorf("Cannot assign %s: \"%s.%s\" must be a \"%s\" instance.", strconv.Quote(s), r.m.name, c.field, refModelName(c))
	}
	val, err := c.convert(r.m.name, v)
	if err != nil {
		return true, err
	}
	r.vals[c.name] = val
	return true, nil
}

func relationAssignError(kind, name string) error {
	return fmt.Errorf("Direct assignment to the %s side of a %s set is prohibited. Use %s.set() instead.",
		kind, map[string]string{"forward": "many-to-many", "reverse": "related"}[kind], name)
}

func refModelName(c *column) string {
	if c.kind == colParent {
		return "RevisionActeurParent"
	}
	return c.refModel
}

// recordSQL are the statements reading and writing a model's row, built
// from its column list.
type recordSQL struct{ selectRow, insertRow, updateRow string }

var recordSQLs = map[*model]recordSQL{acteurModel: buildRecordSQL(acteurModel), revisionModel: buildRecordSQL(revisionModel)}

func buildRecordSQL(m *model) recordSQL {
	var sel, ins, vals, upd []string
	for i, c := range m.columns {
		col := pgx.Identifier{c.name}.Sanitize()
		param := "$" + strconv.Itoa(i+3)
		if c.kind == colLocation {
			// EWKB hex out; WKB/EWKB hex or (E)WKT in.
			sel = append(sel, col+"::text")
			param += "::text::geography"
		} else {
			sel = append(sel, col)
		}
		ins = append(ins, col)
		vals = append(vals, param)
		upd = append(upd, col+" = "+param)
	}
	t := pgx.Identifier{m.table}.Sanitize()
	return recordSQL{
		selectRow: "SELECT " + strings.Join(sel, ", ") + " FROM " + t + " WHERE identifiant_unique = $1",
		insertRow: "INSERT INTO " + t + " (identifiant_unique, cree_le, modifie_le, " + strings.Join(ins, ", ") +
			") VALUES ($1, $2, $2, " + strings.Join(vals, ", ") + ")",
		updateRow: "UPDATE " + t + " SET modifie_le = $2, " + strings.Join(upd, ", ") + " WHERE identifiant_unique = $1",
	}
}

// load reads the row of id; nil when there is none.
func (e *env) load(ctx context.Context, m *model, id string) (*record, error) {
	rows, err := e.tx.Query(ctx, recordSQLs[m].selectRow, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	values, err := rows.Values()
	if err != nil {
		return nil, err
	}
	r := &record{m: m, id: id, vals: make(map[string]any, len(m.columns)), exists: true}
	for i, c := range m.columns {
		v := values[i]
		if n, ok := v.(int64); ok {
			v = int32(n)
		}
		r.vals[c.name] = v
	}
	if m.revision {
		r.origParent = r.vals["parent_id"]
	}
	rows.Close()
	return r, rows.Err()
}

// get is <Model>.objects.get(pk=id).
func (e *env) get(ctx context.Context, m *model, id string) (*record, error) {
	r, err := e.load(ctx, m, id)
	if err == nil && r == nil {
		err = doesNotExist(m.name)
	}
	return r, err
}

// exists is <Model>.objects.filter(pk=id).exists().
func (e *env) exists(ctx context.Context, m *model, id string) (bool, error) {
	r, err := e.load(ctx, m, id)
	return r != nil, err
}

// write inserts or updates the row (Model.save_base: modifie_le is
// auto_now, cree_le auto_now_add).
func (e *env) write(ctx context.Context, r *record) error {
	sqls := recordSQLs[r.m]
	args := make([]any, 0, len(r.m.columns)+2)
	args = append(args, r.id, e.now)
	for _, c := range r.m.columns {
		args = append(args, r.vals[c.name])
	}
	if r.exists {
		tag, err := e.tx.Exec(ctx, sqls.updateRow, args...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		// Deleted meanwhile: Django's save() then inserts.
	}
	if _, err := e.tx.Exec(ctx, sqls.insertRow, args...); err != nil {
		return err
	}
	r.exists = true
	return nil
}

// noRows tells pgx.ErrNoRows.
func noRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
