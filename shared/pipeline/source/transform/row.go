package transform

import (
	"math"
	"sort"
	"strconv"

	"github.com/lvao/dataplatform/shared/pyfmt"
)

// Kind tells what a Value holds.
type Kind uint8

const (
	// KindMissing is pandas' missing value: Python None, float NaN and pd.NA
	// are all the same here. It is not the empty string: pandas keeps the two
	// apart (cast_eo_boolean_or_string_to_boolean returns None, clean_* return
	// ""), and so does a Row.
	KindMissing Kind = iota
	KindString
	KindInt
	KindFloat
	KindBool
	KindList
	KindObject
)

// Value is one cell: a string, a number (int or float, as pandas keeps
// them apart when it prints them), a bool, a list, an object (an ordered map,
// e.g. one proposition_service) or missing. The zero Value is missing.
//
// Values are immutable: functions never change a list or an object they
// receive, so rows may share them.
//
// A Value is 40 bytes (rows are copied and compacted often): numbers share
// one word, lists and objects sit behind one pointer.
type Value struct {
	kind Kind
	str  string
	bits uint64    // KindInt, KindBool (0 or 1): int64; KindFloat: float64 bits
	ext  *valueExt // KindList, KindObject
}

type valueExt struct {
	items []Value
	obj   Row
}

func (v Value) int() int64     { return int64(v.bits) }
func (v Value) float() float64 { return math.Float64frombits(v.bits) }

// Missing is the missing value (None, NaN, pd.NA).
var Missing = Value{}

// String returns a string value.
func String(s string) Value { return Value{kind: KindString, str: s} }

// Int returns an integer value.
func Int(i int64) Value { return Value{kind: KindInt, bits: uint64(i)} }

// Float returns a float value; NaN becomes Missing, as pandas treats it.
func Float(f float64) Value {
	if math.IsNaN(f) {
		return Missing
	}
	return Value{kind: KindFloat, bits: math.Float64bits(f)}
}

// bigInt is a JSON integer beyond int64: a float (as its magnitude) that
// keeps its digits, so that str() gives them all as Python's int does
// ("12345678901234567890", not "1.2345678901234567e+19").
func bigInt(digits string, f float64) Value {
	return Value{kind: KindFloat, bits: math.Float64bits(f), str: digits}
}

// Bool returns a boolean value.
func Bool(b bool) Value {
	if b {
		return Value{kind: KindBool, bits: 1}
	}
	return Value{kind: KindBool}
}

// List returns a list value. The slice is not copied: do not change it after.
func List(items ...Value) Value {
	return Value{kind: KindList, ext: &valueExt{items: items}}
}

// Strings returns a list of string values.
func Strings(ss ...string) Value {
	items := make([]Value, len(ss))
	for i, s := range ss {
		items[i] = String(s)
	}
	return Value{kind: KindList, ext: &valueExt{items: items}}
}

// Object returns an object value (an ordered map such as a
// proposition_service {action, sous_categories}).
func Object(r Row) Value { return Value{kind: KindObject, ext: &valueExt{obj: r}} }

// Kind returns the kind of v.
func (v Value) Kind() Kind { return v.kind }

// IsMissing reports whether v is None/NaN/pd.NA.
func (v Value) IsMissing() bool { return v.kind == KindMissing }

// IsString reports whether v is a string.
func (v Value) IsString() bool { return v.kind == KindString }

// Str returns the string of a string value and "" for any other kind.
func (v Value) Str() string {
	if v.kind == KindString {
		return v.str
	}
	return ""
}

// Number returns the value of an int or float as a float64.
func (v Value) Number() (float64, bool) {
	switch v.kind {
	case KindInt:
		return float64(v.int()), true
	case KindFloat:
		return v.float(), true
	}
	return 0, false
}

// BoolValue returns the value of a bool.
func (v Value) BoolValue() (bool, bool) { return v.bits != 0, v.kind == KindBool }

// Items returns the items of a list (nil for other kinds). Do not change them.
func (v Value) Items() []Value {
	if v.kind == KindList && v.ext != nil {
		return v.ext.items
	}
	return nil
}

// ObjectRow returns the fields of an object value.
func (v Value) ObjectRow() (Row, bool) {
	if v.kind == KindObject && v.ext != nil {
		return v.ext.obj, true
	}
	return Row{}, false
}

// StringItems returns the string items of a list (other items as Python str()).
func (v Value) StringItems() []string {
	out := make([]string, 0, len(v.Items()))
	for _, it := range v.Items() {
		out = append(out, it.PyStr())
	}
	return out
}

// Truthy is Python's bool(): missing, "", 0, false, empty list and empty
// object are false. (Python's bool(NaN) is true, but NaN is Missing here;
// in the pipeline a NaN never reaches a transform: nulls become "" first.)
func (v Value) Truthy() bool {
	switch v.kind {
	case KindString:
		return v.str != ""
	case KindInt, KindBool:
		return v.bits != 0
	case KindFloat:
		return v.float() != 0
	case KindList:
		return len(v.Items()) > 0
	case KindObject:
		o, _ := v.ObjectRow()
		return o.Len() > 0
	}
	return false
}

// PyStr is Python's str(v): the text LVAO code gets when it calls str() on a
// cell (e.g. str(75001) is "75001", str(1.0) is "1.0", str(None) is "None").
func (v Value) PyStr() string {
	switch v.kind {
	case KindMissing:
		return "None"
	case KindString:
		return v.str
	case KindInt:
		return strconv.FormatInt(v.int(), 10)
	case KindFloat:
		if v.str != "" { // bigInt
			return v.str
		}
		return pyFloatRepr(v.float())
	case KindBool:
		if v.bits != 0 {
			return "True"
		}
		return "False"
	}
	return v.pyRepr()
}

// pyRepr is Python's repr(v), used for lists and objects.
func (v Value) pyRepr() string {
	switch v.kind {
	case KindString:
		return pyfmt.Repr(v.str)
	case KindList:
		b := []byte{'['}
		for i, it := range v.Items() {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, it.pyRepr()...)
		}
		return string(append(b, ']'))
	case KindObject:
		b := []byte{'{'}
		if o, ok := v.ObjectRow(); ok {
			for i, f := range o.fields {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = append(b, pyfmt.Repr(f.Name)...)
				b = append(b, ": "...)
				b = append(b, f.Value.pyRepr()...)
			}
		}
		return string(append(b, '}'))
	}
	return v.PyStr()
}

// Equal reports whether two values are equal as Python's == sees them
// (1 == 1.0, lists item by item, objects key by key whatever their order).
func (v Value) Equal(w Value) bool {
	if a, ok := v.Number(); ok {
		b, ok := w.Number()
		return ok && a == b
	}
	if v.kind != w.kind {
		return false
	}
	switch v.kind {
	case KindMissing:
		return true
	case KindString:
		return v.str == w.str
	case KindBool:
		return v.bits == w.bits
	case KindList:
		a, b := v.Items(), w.Items()
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if !a[i].Equal(b[i]) {
				return false
			}
		}
		return true
	case KindObject:
		a, _ := v.ObjectRow()
		b, _ := w.ObjectRow()
		return a.Equal(b)
	}
	return false
}

// compareValues orders values for sorting (numbers numerically, strings by
// code point as Python sorts them, other kinds by kind then text).
func compareValues(a, b Value) int {
	an, aok := a.Number()
	bn, bok := b.Number()
	switch {
	case aok && bok:
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	case a.kind != b.kind:
		if a.kind < b.kind {
			return -1
		}
		return 1
	}
	as, bs := a.PyStr(), b.PyStr()
	switch {
	case as < bs:
		return -1
	case as > bs:
		return 1
	}
	return 0
}

// Field is one column of a Row.
type Field struct {
	Name  string
	Value Value
}

// Row is one line of a source: its columns in order (pandas keeps the column
// order, and some LVAO functions read "the first column" of their input).
// Lookups scan the columns: rows have a few dozen of them, which a scan
// handles faster than a map and with less memory per streamed row.
type Row struct {
	fields []Field
}

// NewRow returns a row holding the given fields in order.
func NewRow(fields ...Field) Row {
	r := Row{fields: make([]Field, 0, len(fields))}
	for _, f := range fields {
		r.Set(f.Name, f.Value)
	}
	return r
}

// Len returns the number of columns.
func (r Row) Len() int { return len(r.fields) }

// Fields returns the columns in order. Do not change the slice.
func (r Row) Fields() []Field { return r.fields }

// Columns returns the column names in order.
func (r Row) Columns() []string {
	out := make([]string, len(r.fields))
	for i, f := range r.fields {
		out[i] = f.Name
	}
	return out
}

func (r Row) index(name string) int {
	for i := range r.fields {
		if r.fields[i].Name == name {
			return i
		}
	}
	return -1
}

// Has reports whether the row has the column.
func (r Row) Has(name string) bool { return r.index(name) >= 0 }

// Lookup returns the value of a column and whether the column exists.
func (r Row) Lookup(name string) (Value, bool) {
	if i := r.index(name); i >= 0 {
		return r.fields[i].Value, true
	}
	return Missing, false
}

// Get returns the value of a column, Missing when absent (Python's row.get).
func (r Row) Get(name string) Value {
	v, _ := r.Lookup(name)
	return v
}

// Set gives a column a value: in place when the column exists, appended
// otherwise (as pandas does with df[col] = …).
func (r *Row) Set(name string, v Value) {
	if i := r.index(name); i >= 0 {
		r.fields[i].Value = v
		return
	}
	r.fields = append(r.fields, Field{Name: name, Value: v})
}

// Delete removes a column if it exists.
func (r *Row) Delete(name string) {
	if i := r.index(name); i >= 0 {
		r.fields = append(r.fields[:i], r.fields[i+1:]...)
	}
}

// DeleteColumns removes the named columns in one pass (removing many
// columns one by one would shift the row each time).
func (r *Row) DeleteColumns(names map[string]bool) {
	kept := r.fields[:0]
	for _, f := range r.fields {
		if !names[f.Name] {
			kept = append(kept, f)
		}
	}
	clear(r.fields[len(kept):]) // drop references for the GC
	r.fields = kept
}

// Rename renames a column in place, keeping its position. It does nothing
// when the column does not exist (pandas' rename ignores unknown columns).
func (r *Row) Rename(from, to string) {
	if i := r.index(from); i >= 0 {
		r.fields[i].Name = to
	}
}

// Clone returns a copy whose columns can be changed without touching r
// (values themselves are immutable and shared).
func (r Row) Clone() Row {
	return Row{fields: append(make([]Field, 0, len(r.fields)+4), r.fields...)}
}

// Select returns a new row with the given columns in the given order; an
// absent column is given the value absent.
func (r Row) Select(names []string, absent Value) Row {
	out := Row{fields: make([]Field, len(names))}
	for i, n := range names {
		v, ok := r.Lookup(n)
		if !ok {
			v = absent
		}
		out.fields[i] = Field{Name: n, Value: v}
	}
	return out
}

// Equal reports whether two rows have the same columns with equal values,
// whatever the column order.
func (r Row) Equal(o Row) bool {
	if len(r.fields) != len(o.fields) {
		return false
	}
	for _, f := range r.fields {
		v, ok := o.Lookup(f.Name)
		if !ok || !f.Value.Equal(v) {
			return false
		}
	}
	return true
}

// sortedStrings returns a sorted copy (Python's sorted() on str: code points,
// which is Go's byte order on UTF-8).
func sortedStrings(ss []string) []string {
	out := append([]string(nil), ss...)
	sort.Strings(out)
	return out
}
