package compute

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Data test kinds (dbt's generic tests and the dbt_utils / LVAO ones the
// LVAO schema.yml files use).
const (
	testNotNull           = "not_null"
	testUnique            = "unique"
	testAcceptedValues    = "accepted_values"
	testRelationships     = "relationships"
	testNotEmptyString    = "not_empty_string"
	testUniqueCombination = "unique_combination_of_columns"
)

// DataTest is one data test of a model: the query returns the offending
// rows, and any row fails the test (dbt semantics: NULLs pass every test
// but not_null).
type DataTest struct {
	Kind   string
	Model  string
	Column string
	// Values are accepted_values' values.
	Values []any
	// To and Field are relationships' parent model and column.
	To, Field string
	// Columns are unique_combination_of_columns' columns.
	Columns []string
}

// Name is how logs and errors name the test: kind(column).
func (t DataTest) Name() string {
	switch {
	case t.Kind == testUniqueCombination:
		return t.Kind + "(" + strings.Join(t.Columns, ", ") + ")"
	case t.Kind == testRelationships:
		return fmt.Sprintf("%s(%s → %s.%s)", t.Kind, t.Column, t.To, t.Field)
	case t.Column != "":
		return t.Kind + "(" + t.Column + ")"
	}
	return t.Kind
}

func (t DataTest) check() error {
	needColumn := func() error {
		if t.Column == "" {
			return fmt.Errorf("test %s must be declared on a column", t.Kind)
		}
		return nil
	}
	switch t.Kind {
	case testNotNull, testUnique, testNotEmptyString:
		return needColumn()
	case testAcceptedValues:
		if len(t.Values) == 0 {
			return fmt.Errorf("accepted_values on %s needs values", t.Column)
		}
		return needColumn()
	case testRelationships:
		if t.To == "" || t.Field == "" {
			return fmt.Errorf("relationships on %s needs to and field", t.Column)
		}
		return needColumn()
	case testUniqueCombination:
		if len(t.Columns) == 0 {
			return fmt.Errorf("unique_combination_of_columns needs combination_of_columns")
		}
		return nil
	}
	return fmt.Errorf("unknown data test %q", t.Kind)
}

// query returns the SQL listing the offending rows of table (the model's
// table being built), one text description per row.
func (t DataTest) query(table, schema string) string {
	col := func(c string) string { return "t." + pgx.Identifier{c}.Sanitize() }
	row := "left(row_to_json(t)::text, 500)"
	switch t.Kind {
	case testNotNull:
		return fmt.Sprintf("SELECT %s FROM %s t WHERE %s IS NULL", row, table, col(t.Column))
	case testNotEmptyString:
		return fmt.Sprintf("SELECT %s FROM %s t WHERE btrim(%s::text) = ''", row, table, col(t.Column))
	case testAcceptedValues:
		vals := make([]string, len(t.Values))
		for i, v := range t.Values {
			vals[i] = quoteLiteral(literalText(v))
		}
		// Compared as text so that booleans and numbers are accepted too.
		return fmt.Sprintf("SELECT %s FROM %s t WHERE %s IS NOT NULL AND %s::text NOT IN (%s)",
			row, table, col(t.Column), col(t.Column), strings.Join(vals, ", "))
	case testRelationships:
		parent := pgx.Identifier{schema, t.To}.Sanitize()
		if t.To == t.Model {
			parent = table // a self reference (parent_id → identifiant_unique)
		}
		return fmt.Sprintf("SELECT %s FROM %s t WHERE %s IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %s p WHERE p.%s = %s)",
			row, table, col(t.Column), parent, pgx.Identifier{t.Field}.Sanitize(), col(t.Column))
	case testUnique:
		return fmt.Sprintf("SELECT format('%%s = %%s (%%s rows)', %s, v, n) FROM (SELECT %s::text AS v, count(*) AS n FROM %s t WHERE %s IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d",
			quoteLiteral(t.Column), col(t.Column), table, col(t.Column))
	case testUniqueCombination:
		cols := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			cols[i] = col(c)
		}
		return fmt.Sprintf("SELECT format('(%s) = %%s (%%s rows)', v, n) FROM (SELECT row(%s)::text AS v, count(*) AS n FROM %s t GROUP BY %s HAVING count(*) > 1) d",
			strings.ReplaceAll(strings.Join(t.Columns, ", "), "%", "%%"), strings.Join(cols, ", "), table, strings.Join(cols, ", "))
	}
	return ""
}

func literalText(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// TestFailure is a data test that found offending rows.
type TestFailure struct {
	Test DataTest
	// Count is the number of offending rows; Rows describes the first ones
	// (a JSON row, or the duplicated value for unique tests).
	Count int64
	Rows  []string
}

func (e *TestFailure) Error() string {
	return fmt.Sprintf("data test %s on %s failed: %d offending row(s), first %d: %s",
		e.Test.Name(), e.Test.Model, e.Count, len(e.Rows), strings.Join(e.Rows, " | "))
}

// run executes the test on table and returns a *TestFailure listing at most
// limit rows when it fails.
func (t DataTest) run(ctx context.Context, tx pgx.Tx, table, schema string, limit int) error {
	q := fmt.Sprintf("SELECT r, count(*) OVER () FROM (%s) AS q(r) LIMIT %d", t.query(table, schema), limit)
	rows, err := tx.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("error running data test %s on %s: %w", t.Name(), t.Model, err)
	}
	f := &TestFailure{Test: t}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r, &f.Count); err != nil {
			rows.Close()
			return fmt.Errorf("error reading data test %s on %s: %w", t.Name(), t.Model, err)
		}
		f.Rows = append(f.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("error running data test %s on %s: %w", t.Name(), t.Model, err)
	}
	if f.Count > 0 {
		return f
	}
	return nil
}
