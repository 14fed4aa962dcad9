package download

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// emitter is the last step of every mode: it drops the rows the DAG ignores,
// gives numbers the form pandas gave them, adds the expected columns a row
// lacks, keeps the column statistics and calls the sink.
type emitter struct {
	sink     func(transform.Row) error
	expected []string // schema columns, in schema order; nil: no schema
	stats    *Stats

	// ignore is IgnoreRowsWithNullOrEmptyFields (JSON modes only).
	ignore []string
	// castNumbers turns JSON numbers into strings (see castNumbers).
	castNumbers bool

	seen map[string]bool // data columns seen so far
	// seenDropped: the ignore columns that dropped rows had (null or "").
	seenDropped map[string]bool
	dataCols    []string // in order of first appearance

	log *slog.Logger // nil: no warning for removed NUL characters
}

func newEmitter(sink func(transform.Row) error, expected []string, st *Stats) *emitter {
	return &emitter{sink: sink, expected: expected, stats: st, seen: map[string]bool{}, seenDropped: map[string]bool{}}
}

// emit handles one row as it comes from the source.
func (e *emitter) emit(r transform.Row) error {
	if len(e.ignore) > 0 && transform.HasNullOrEmptyField(r, e.ignore) {
		e.stats.Dropped++
		for _, c := range e.ignore {
			if r.Has(c) {
				e.seenDropped[c] = true
			}
		}
		return nil
	}
	e.removeNULFromNames(&r)
	for _, f := range r.Fields() {
		if !e.seen[f.Name] {
			e.seen[f.Name] = true
			e.dataCols = append(e.dataCols, f.Name)
		}
	}
	if e.castNumbers {
		castNumbers(&r)
	}
	e.removeNUL(&r)
	for _, c := range e.expected {
		if !r.Has(c) {
			r.Set(c, transform.String(""))
		}
	}
	e.stats.Rows++
	return e.sink(r)
}

// castNumbers mirrors constants.download.non_string_columns for JSON rows:
// pandas cast int and float columns with str(), so a number becomes its
// Python text ("75001", "48.85", "1e-05"). Bools, strings, lists, objects
// and null stay as they are.
//
// pandas decides per column, once the whole table is loaded: a numeric
// column with a null cell became object dtype and kept its numbers (an int
// column even turned into floats). A stream cannot see the whole column
// before sending the first row, so every number is cast here; str() of
// the kept number is the same text except for that int-to-float artefact
// ("75001" here, 75001.0 in pandas).
func castNumbers(r *transform.Row) {
	for _, f := range r.Fields() {
		switch f.Value.Kind() {
		case transform.KindInt, transform.KindFloat:
			r.Set(f.Name, transform.String(f.Value.PyStr()))
		}
	}
}

// maxNULWarnings bounds the warnings naming a cleaned cell.
const maxNULWarnings = 20

// removeNUL removes the NUL characters of the row's strings (cells and
// items of list cells). Postgres text cannot hold U+0000: the suggestion
// write of the row's whole cohort would fail ("invalid byte sequence for
// encoding UTF8: 0x00") without naming the row.
func (e *emitter) removeNUL(r *transform.Row) {
	for _, f := range r.Fields() {
		v, changed := withoutNUL(f.Value)
		if !changed {
			continue
		}
		r.Set(f.Name, v)
		if e.stats.NULCellsCleaned++; e.log != nil && e.stats.NULCellsCleaned <= maxNULWarnings {
			e.log.Warn("download: NUL characters removed (Postgres text cannot hold them)",
				"row", e.stats.Rows+e.stats.Dropped+1, "column", f.Name, "value", strings.ReplaceAll(f.Value.PyStr(), "\x00", `\x00`))
		}
	}
}

// removeNULFromNames removes the NUL characters of the row's column names
// (a JSON key may hold "\u0000"): the download's result lists the columns,
// and Postgres jsonb refuses U+0000, so the task's outcome could not be
// recorded and a download that had succeeded ended as a zombie. A cleaned
// name that another column already has is dropped, with a warning.
func (e *emitter) removeNULFromNames(r *transform.Row) {
	for _, f := range r.Fields() {
		if strings.IndexByte(f.Name, 0) < 0 {
			continue
		}
		clean := strings.ReplaceAll(f.Name, "\x00", "")
		warn := "download: NUL characters removed from a column name (Postgres text cannot hold them)"
		if r.Has(clean) {
			r.Delete(f.Name)
			warn = "download: column dropped: its name without NUL characters is another column's"
		} else {
			r.Rename(f.Name, clean)
		}
		if e.stats.NULCellsCleaned++; e.log != nil && e.stats.NULCellsCleaned <= maxNULWarnings {
			e.log.Warn(warn, "row", e.stats.Rows+e.stats.Dropped+1, "column", strings.ReplaceAll(f.Name, "\x00", `\x00`))
		}
		e.removeNULFromNames(r) // the fields moved: start again
		return
	}
}

func withoutNUL(v transform.Value) (transform.Value, bool) {
	switch v.Kind() {
	case transform.KindString:
		if strings.IndexByte(v.Str(), 0) >= 0 {
			return transform.String(strings.ReplaceAll(v.Str(), "\x00", "")), true
		}
	case transform.KindList:
		items := v.Items()
		var out []transform.Value
		for i, it := range items {
			c, changed := withoutNUL(it)
			if changed && out == nil {
				out = append(make([]transform.Value, 0, len(items)), items[:i]...)
			}
			if out != nil {
				out = append(out, c)
			}
		}
		if out != nil {
			return transform.List(out...), true
		}
	}
	return v, false
}

// absent says which of columns no row had (those of the rows dropped by
// IgnoreRowsWithNullOrEmptyFields included): "" when every one was seen.
func (e *emitter) absent(columns []string) string {
	var out []string
	for _, c := range columns {
		if !e.seen[c] && !e.seenDropped[c] {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return fmt.Sprintf(" (no row has the column(s) %q: KeyError upstream)", out)
}

// finish fills Stats.Columns, ExtraColumns and MissingColumns.
func (e *emitter) finish() {
	cols := append([]string(nil), e.dataCols...)
	var missing []string
	for _, c := range e.expected {
		if !e.seen[c] {
			missing = append(missing, c)
			cols = append(cols, c)
		}
	}
	e.stats.Columns = cols
	e.stats.MissingColumns = missing
	e.stats.ExtraColumns = nil
	if e.expected == nil {
		return
	}
	want := make(map[string]bool, len(e.expected))
	for _, c := range e.expected {
		want[c] = true
	}
	for _, c := range e.dataCols {
		if !want[c] {
			e.stats.ExtraColumns = append(e.stats.ExtraColumns, c)
		}
	}
	sort.Strings(e.stats.ExtraColumns)
}
