package suggest

import (
	"math"
	"sort"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// pyJSONDumps is Python's json.dumps(v) with its defaults, the text LVAO
// stores in data_suggestionunitaire.valeurs for the *_codes fields
// (SuggestionSourceModel.from_json): ", " and ": " separators, non-ASCII
// escaped as \uXXXX (ensure_ascii), NaN and infinities as NaN/Infinity.
func pyJSONDumps(v transform.Value) string {
	return string(appendPyJSON(nil, v))
}

func appendPyJSON(b []byte, v transform.Value) []byte {
	switch v.Kind() {
	case transform.KindMissing:
		return append(b, "null"...)
	case transform.KindString:
		return appendPyJSONString(b, v.Str())
	case transform.KindBool:
		if t, _ := v.BoolValue(); t {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case transform.KindInt:
		return append(b, v.PyStr()...)
	case transform.KindFloat:
		f, _ := v.Number()
		switch {
		case math.IsInf(f, 1):
			return append(b, "Infinity"...)
		case math.IsInf(f, -1):
			return append(b, "-Infinity"...)
		}
		return append(b, v.PyStr()...) // float.__repr__
	case transform.KindList:
		b = append(b, '[')
		for i, it := range v.Items() {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyJSON(b, it)
		}
		return append(b, ']')
	case transform.KindObject:
		o, _ := v.ObjectRow()
		b = append(b, '{')
		for i, f := range o.Fields() {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyJSONString(b, f.Name)
			b = append(b, ": "...)
			b = appendPyJSON(b, f.Value)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// appendPyJSONString quotes s as json.dumps does with ensure_ascii=True:
// every character outside ' '…'~' is escaped, astral ones as a surrogate
// pair.
func appendPyJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	u4 := func(b []byte, r rune) []byte {
		return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	b = append(b, '"')
	for _, r := range s {
		switch r {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			switch {
			case r >= ' ' && r <= '~':
				b = append(b, byte(r))
			case r > 0xffff:
				r -= 0x10000
				b = u4(b, 0xd800+(r>>10)&0x3ff)
				b = u4(b, 0xdc00+r&0x3ff)
			default:
				b = u4(b, r)
			}
		}
	}
	return append(b, '"')
}

// canonicalCodes puts a *_codes value in one order whatever the order of
// the source or of the database: objects with their keys sorted, lists
// sorted (strings by value, other items by their JSON text). LVAO compares
// the JSON texts, so a label list read in another order would make a
// suggestion; its webapp shows the same fields sorted
// (SuggestionSourceModel.from_acteur).
func canonicalCodes(v transform.Value) transform.Value {
	switch v.Kind() {
	case transform.KindObject:
		o, _ := v.ObjectRow()
		fields := make([]transform.Field, 0, o.Len())
		for _, f := range o.Fields() {
			fields = append(fields, transform.Field{Name: f.Name, Value: canonicalCodes(f.Value)})
		}
		sort.SliceStable(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
		return transform.Object(transform.NewRow(fields...))
	case transform.KindList:
		items := make([]transform.Value, len(v.Items()))
		keys := make([]string, len(items))
		for i, it := range v.Items() {
			items[i] = canonicalCodes(it)
			if it.IsString() {
				keys[i] = it.Str()
			} else {
				keys[i] = pyJSONDumps(items[i])
			}
		}
		order := make([]int, len(items))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
		out := make([]transform.Value, len(items))
		for i, j := range order {
			out[i] = items[j]
		}
		return transform.List(out...)
	}
	return v
}
