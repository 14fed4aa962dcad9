package transform

// Steps of the source pipelines that look at more than one row: dropping
// unusable download rows, and SINOE's single-year check.

// DropRowsWithNullOrEmptyFields is drop_rows_with_null_or_empty_fields:
// after download, rows where one of fields is missing, absent or "" are
// dropped (the DAG's ignore_rows_with_null_or_empty_fields). No fields:
// rows are returned as they are.
func DropRowsWithNullOrEmptyFields(rows []Row, fields []string) []Row {
	if len(fields) == 0 {
		return rows
	}
	kept := rows[:0:0]
	for _, r := range rows {
		if !HasNullOrEmptyField(r, fields) {
			kept = append(kept, r)
		}
	}
	return kept
}

// HasNullOrEmptyField reports whether one of fields is missing, absent or
// "" in r (the per-row test of DropRowsWithNullOrEmptyFields, for
// streaming).
func HasNullOrEmptyField(r Row, fields []string) bool {
	for _, f := range fields {
		v := r.Get(f)
		if v.IsMissing() || (v.IsString() && v.Str() == "") {
			return true
		}
	}
	return false
}

// sinoeYearColumn is the year of a SINOE dataset version.
const sinoeYearColumn = "ANNEE"

// SinoeYearCheck is the streaming form of df_normalize_sinoe: the SINOE
// query asks for one year; rows of another year mean the query is wrong and
// the task fails. Feed it every row; it removes the ANNEE column.
type SinoeYearCheck struct {
	year Value
	seen bool
}

// Check verifies the row's year against the first one seen and removes the
// ANNEE column. A missing year does not count (pandas' nunique skips it).
func (c *SinoeYearCheck) Check(r *Row) error {
	v, ok := r.Lookup(sinoeYearColumn)
	if !ok {
		return newFatal(ExcKeyError, "'%s'", sinoeYearColumn)
	}
	r.Delete(sinoeYearColumn)
	if v.IsMissing() {
		return nil
	}
	if !c.seen {
		c.year, c.seen = v, true
		return nil
	}
	if !c.year.Equal(v) {
		return newFatal(ExcValueError, "Plusieurs ANNEE, changer requête API pour n'en avoir qu'une")
	}
	return nil
}

// Done fails when no row had a year (nunique is 0, not 1).
func (c *SinoeYearCheck) Done() error {
	if !c.seen {
		return newFatal(ExcValueError, "Plusieurs ANNEE, changer requête API pour n'en avoir qu'une")
	}
	return nil
}

// NormalizeSinoe is df_normalize_sinoe on a whole table: every row must be
// of one year; the ANNEE column is removed.
func NormalizeSinoe(rows []Row) ([]Row, error) {
	var c SinoeYearCheck
	out := make([]Row, len(rows))
	for i, r := range rows {
		r = r.Clone()
		if err := c.Check(&r); err != nil {
			return nil, err
		}
		out[i] = r
	}
	if err := c.Done(); err != nil {
		return nil, err
	}
	return out, nil
}
