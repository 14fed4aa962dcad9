package transform

import (
	"sort"
)

// Whole-table steps after the row rules: a source may list one acteur on
// several rows (one per product family, say); they are merged on
// identifiant_unique, then rows LVAO cannot use are dropped.

// Metadata keys counting the rows dropped by RemoveUndesiredLines, as the
// Airflow task reported them.
const (
	MetadataNoSousCategorieFiltered = "Nombre d'acteurs filtrés car sans sous_categorie"
	MetadataDuplicatesFiltered      = "Nombre d'acteurs filtrés car doublons sur identifiant_unique"
	MetadataNoLocationFiltered      = "Nombre d'acteurs filtrés car sans localisation (non digitaux)"
)

// columnsOf returns the columns of a table in first-seen order (pandas
// builds a frame from rows with the union of their keys).
func columnsOf(rows []Row) []string {
	seen := map[string]bool{}
	var cols []string
	for _, r := range rows {
		for _, f := range r.fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				cols = append(cols, f.Name)
			}
		}
	}
	return cols
}

// valueKey is a hashable form of a value for grouping (1 and 1.0 group
// together as in pandas).
func valueKey(v Value) string {
	if n, ok := v.Number(); ok {
		return "n" + pyFloatRepr(n)
	}
	return string(rune('a'+v.kind)) + v.pyRepr()
}

// MergeDuplicates is merge_duplicates: rows sharing groupColumn are merged
// into one. List columns become the sorted union of their lists;
// proposition-service columns the union of sous_categories per action
// (actions and sous_categories sorted); other columns take the group's
// first non-missing value. Rows without duplicate come first, unchanged, in
// their order; merged rows follow, ordered by group value. A row whose
// group value is missing and duplicated disappears (pandas' groupby drops
// missing keys).
func MergeDuplicates(rows []Row, groupColumn string, listColumns, propositionServiceColumns []string) ([]Row, error) {
	cols := columnsOf(rows)
	for _, c := range append(append([]string{}, listColumns...), propositionServiceColumns...) {
		if !contains(cols, c) {
			return nil, newFatal(ExcValueError, "Column %s not found in DataFrame", c)
		}
	}
	groups := map[string][]int{}
	var order []string
	for i, r := range rows {
		k := valueKey(r.Get(groupColumn))
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	var out []Row
	var merged []Row
	for _, r := range rows {
		if len(groups[valueKey(r.Get(groupColumn))]) == 1 {
			out = append(out, r)
		}
	}
	if len(out) == len(rows) {
		return rows, nil
	}
	for _, k := range order {
		idx := groups[k]
		if len(idx) < 2 || rows[idx[0]].Get(groupColumn).IsMissing() {
			continue
		}
		group := make([]Row, len(idx))
		for j, i := range idx {
			group[j] = rows[i]
		}
		merged = append(merged, mergeGroup(group, cols, groupColumn, listColumns, propositionServiceColumns))
	}
	sort.SliceStable(merged, func(i, j int) bool {
		return compareValues(merged[i].Get(groupColumn), merged[j].Get(groupColumn)) < 0
	})
	return append(out, merged...), nil
}

func mergeGroup(group []Row, cols []string, groupColumn string, listColumns, psColumns []string) Row {
	out := Row{fields: make([]Field, 0, len(cols))}
	for _, c := range cols {
		var v Value
		switch {
		case c == groupColumn:
			v = group[0].Get(c)
		case contains(listColumns, c):
			v = mergeLists(group, c)
		case contains(psColumns, c):
			v = MergePropositionServices(columnValues(group, c)...)
		default:
			for _, r := range group {
				if x := r.Get(c); !x.IsMissing() {
					v = x
					break
				}
			}
		}
		out.fields = append(out.fields, Field{Name: c, Value: v})
	}
	return out
}

func columnValues(rows []Row, col string) []Value {
	out := make([]Value, len(rows))
	for i, r := range rows {
		out[i] = r.Get(col)
	}
	return out
}

func mergeLists(group []Row, col string) Value {
	seen := map[string]bool{}
	var all []string
	for _, r := range group {
		for _, s := range r.Get(col).StringItems() {
			if !seen[s] {
				seen[s] = true
				all = append(all, s)
			}
		}
	}
	return Strings(sortedStrings(all)...)
}

// MergePropositionServices merges proposition_service lists: one
// {action, sous_categories} per action, actions sorted, each with the sorted
// union of its sous_categories.
func MergePropositionServices(lists ...Value) Value {
	byAction := map[string]map[string]bool{}
	for _, l := range lists {
		for _, ps := range l.Items() {
			obj, ok := ps.ObjectRow()
			if !ok {
				continue
			}
			action := obj.Get("action").PyStr()
			if byAction[action] == nil {
				byAction[action] = map[string]bool{}
			}
			for _, s := range obj.Get("sous_categories").StringItems() {
				byAction[action][s] = true
			}
		}
	}
	actions := make([]string, 0, len(byAction))
	for a := range byAction {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	out := make([]Value, len(actions))
	for i, a := range actions {
		sscats := make([]string, 0, len(byAction[a]))
		for s := range byAction[a] {
			sscats = append(sscats, s)
		}
		sort.Strings(sscats)
		out[i] = Object(NewRow(Field{"action", String(a)}, Field{"sous_categories", Strings(sscats...)}))
	}
	return List(out...)
}

// HasSousCategorie reports whether a row has at least one sous_categorie
// (rows without are dropped).
func HasSousCategorie(r Row) bool {
	v := r.Get("sous_categorie_codes")
	switch v.Kind() {
	case KindList:
		return len(v.Items()) > 0
	case KindString:
		return v.str != ""
	case KindObject:
		return v.Truthy()
	}
	return false
}

// LacksLocation reports whether a physical (non-digital) acteur has no
// location (such rows are dropped).
func LacksLocation(r Row) bool {
	return r.Get("location").IsMissing() && r.Get("acteur_type_code").Str() != ActeurTypeDigital
}

// RemoveUndesiredLines is _remove_undesired_lines (in memory; UndesiredLines
// is the same over a stream): merge rows sharing an
// identifiant_unique (when label_codes, acteur_service_codes and
// proposition_service_codes exist), drop rows without sous_categorie, drop
// remaining identifiant_unique duplicates (keeping the first), drop
// non-digital rows without location. The metadata counts what was dropped.
func RemoveUndesiredLines(rows []Row) ([]Row, map[string]string, error) {
	u := NewUndesiredLines()
	for _, r := range rows {
		u.Observe(r)
	}
	f := u.Filter()
	out := rows[:0:0]
	for i, r := range rows {
		switch f.Route(i) {
		case Keep:
			out = append(out, r)
		case Hold:
			f.Hold(i, r)
		}
	}
	merged, meta := f.Finish()
	return append(out, merged...), meta, nil
}
