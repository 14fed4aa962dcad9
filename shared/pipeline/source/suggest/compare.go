package suggest

import (
	"sort"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// keep_acteur_changed's ActeurComparator: which fields of a data row differ
// from the acteur as stored. Lists are compared whatever their order
// (sorted), proposition services by action with their sous_categories
// sorted, perimetres by (type, valeur); two missing values are equal
// (pandas' NaN == NaN special case); anything else with Python's ==.

// FieldDiff counts the updates of one field by kind, as LVAO's ColumnDiff:
// Modif when both values are set, Sup when the new one is empty, Ajout when
// the stored one is.
type FieldDiff struct {
	Modif int `json:"modif"`
	Sup   int `json:"sup"`
	Ajout int `json:"ajout"`
}

type comparator struct {
	columns []string
	byField map[string]*FieldDiff
}

func newComparator(columns []string) *comparator {
	return &comparator{columns: columns, byField: map[string]*FieldDiff{}}
}

// changedFields returns the compared columns whose values differ and
// counts them.
func (c *comparator) changedFields(src, db transform.Row) []string {
	var changed []string
	for _, col := range c.columns {
		s, d := src.Get(col), db.Get(col)
		if !valuesDiffer(col, s, d) {
			continue
		}
		changed = append(changed, col)
		fd := c.byField[col]
		if fd == nil {
			fd = &FieldDiff{}
			c.byField[col] = fd
		}
		// _get_diff_type: Python truthiness of the two values.
		switch {
		case !s.Truthy():
			fd.Sup++
		case !d.Truthy():
			fd.Ajout++
		default:
			fd.Modif++
		}
	}
	return changed
}

// stats returns the counts by field.
func (c *comparator) stats() map[string]FieldDiff {
	if len(c.byField) == 0 {
		return nil
	}
	out := make(map[string]FieldDiff, len(c.byField))
	for k, v := range c.byField {
		out[k] = *v
	}
	return out
}

func valuesDiffer(col string, s, d transform.Value) bool {
	switch col {
	case "proposition_service_codes":
		if s.Kind() == transform.KindList && d.Kind() == transform.KindList {
			return !sortedObjects(s, "action").Equal(sortedObjects(d, "action"))
		}
	case "perimetre_adomicile_codes":
		if s.Kind() == transform.KindList && d.Kind() == transform.KindList {
			return !sortedObjects(s, "type", "valeur").Equal(sortedObjects(d, "type", "valeur"))
		}
	default:
		if s.Kind() == transform.KindList && d.Kind() == transform.KindList {
			return !sortedList(s).Equal(sortedList(d))
		}
	}
	return !s.Equal(d)
}

// sortedList sorts a list's items by their text (Python's sorted() on
// strings).
func sortedList(v transform.Value) transform.Value {
	items := append([]transform.Value(nil), v.Items()...)
	sort.SliceStable(items, func(i, j int) bool { return items[i].PyStr() < items[j].PyStr() })
	return transform.List(items...)
}

// sortedObjects sorts a list of objects by the given keys; list fields of
// the objects (sous_categories) are sorted too.
func sortedObjects(v transform.Value, keys ...string) transform.Value {
	items := make([]transform.Value, len(v.Items()))
	for i, it := range v.Items() {
		items[i] = it
		o, ok := it.ObjectRow()
		if !ok {
			continue
		}
		var fields []transform.Field
		for _, f := range o.Fields() {
			if f.Value.Kind() == transform.KindList {
				f.Value = sortedList(f.Value)
			}
			fields = append(fields, f)
		}
		items[i] = transform.Object(transform.NewRow(fields...))
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, _ := items[i].ObjectRow()
		b, _ := items[j].ObjectRow()
		for _, k := range keys {
			x, y := a.Get(k).PyStr(), b.Get(k).PyStr()
			if x != y {
				return x < y
			}
		}
		return false
	})
	return transform.List(items...)
}
