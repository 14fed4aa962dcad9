package suggest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sort"
	"strings"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// source_data_validate (sources/tasks/business_logic/source_data_validate.py)
// checks the normalised rows against the webapp's reference tables. LVAO
// fails the whole task when one row has a code the tables do not know (an
// unknown acteur type, label, service, source or sous-catégorie): one bad
// row blocks a whole source. Here such a row is dropped and an ERROR
// suggestion log names it; the other rows go on. The checks that say the
// data set itself is broken still fail the task: no rows, a mandatory
// column missing, a duplicate identifiant_unique.

// MandatoryColumns are the columns every normalised row must have
// (MANDATORY_COLUMNS_AFTER_NORMALISATION in transform_df.py).
var MandatoryColumns = []string{
	"identifiant_unique", "identifiant_externe", "nom", "acteur_service_codes", "label_codes",
	"proposition_service_codes", "source_code", "acteur_type_code", "statut",
}

// checkedColumns are the columns checked against a reference table, in
// the order source_data_validate checks them.
var checkedColumns = []string{"acteur_type_code", "source_code", "acteur_service_codes", "label_codes", "sous_categorie_codes"}

// ValidateFunction names the validation step in the suggestion logs it
// writes (fonction_de_transformation).
const ValidateFunction = "source_data_validate"

// CodeChecker lists the codes of a row that the reference tables do not
// know, by column. *transform.RefData implements it (LoadRefData reads one
// from the webapp database).
type CodeChecker interface {
	UnknownCodes(r transform.Row) map[string][]string
}

// ErrNoValidRows is returned when no row is left to compare: LVAO fails on
// an empty data set, and comparing nothing with the database would suggest
// deleting every acteur of the source.
var ErrNoValidRows = errors.New("no valid row left after validation")

// ValidateOptions tune Validate. The zero value is valid.
type ValidateOptions struct {
	// ProductMapping is the DAG's product mapping (label → code or codes),
	// checked when ref is a *transform.RefData. Codes it maps to that are
	// not sous-catégories are reported in ValidateStats.UnknownMappingCodes;
	// LVAO fails the task on them, here only the rows that carry such a
	// code are dropped (by the sous_categorie_codes check). Nil: not
	// checked.
	ProductMapping map[string]transform.Value
	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger
}

// ValidateStats is what Validate saw. It travels as a JSON artifact to the
// next step (Diff needs SourceCodes and DroppedIDs).
type ValidateStats struct {
	// Rows is the number of rows read, Valid of rows passed on, Dropped of
	// rows dropped for an unknown code.
	Rows    int `json:"rows"`
	Valid   int `json:"valid"`
	Dropped int `json:"dropped"`
	// DroppedIDs are the identifiant_unique of the dropped rows: Diff keeps
	// their acteurs (neither updated nor deleted).
	DroppedIDs []string `json:"dropped_ids,omitempty"`
	// SourceCodes are the distinct source codes of the rows read that the
	// reference tables know, sorted: the sources whose acteurs Diff reads
	// (db_read_acteur reads the source codes of the normalised data).
	SourceCodes []string `json:"source_codes"`
	// UnknownMappingCodes are the product mapping's unknown codes, sorted.
	UnknownMappingCodes []string `json:"unknown_mapping_codes,omitempty"`
}

// Validate reads the normalised rows, passes the valid ones to valid and,
// for each dropped row, one ERROR log per column with unknown codes to
// logs. It fails on no rows at all, on no valid row, on a row without a
// mandatory column, and on a duplicate identifiant_unique.
func Validate(ctx context.Context, ref CodeChecker, rows iter.Seq2[transform.Row, error], valid Sink[transform.Row], logs Sink[transform.Log], opts ValidateOptions) (ValidateStats, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	var st ValidateStats
	if opts.ProductMapping != nil {
		if rd, ok := ref.(*transform.RefData); ok {
			st.UnknownMappingCodes = rd.UnknownProductCodes(opts.ProductMapping)
			if len(st.UnknownMappingCodes) > 0 {
				logger.Warn("product_mapping: codes pas dans DB; rows using them are dropped",
					"codes", st.UnknownMappingCodes)
			}
		}
	}
	seen := map[string]struct{}{}
	sources := map[string]struct{}{}
	unknownCounts := map[string]int{} // "<column>: '<code>'" -> rows
	for row, err := range rows {
		if err != nil {
			return st, fmt.Errorf("error reading normalised rows: %w", err)
		}
		if st.Rows%1024 == 0 && ctx.Err() != nil {
			return st, ctx.Err()
		}
		st.Rows++
		for _, col := range MandatoryColumns {
			if !row.Has(col) {
				return st, fmt.Errorf("error validating row %d: a mandatory column is missing: %s", st.Rows, col)
			}
		}
		id := cellText(row.Get("identifiant_unique"))
		if _, dup := seen[id]; dup {
			return st, fmt.Errorf("error validating row %d: Doublons sur identifiant_unique: %q", st.Rows, id)
		}
		seen[id] = struct{}{}
		unknown := ref.UnknownCodes(row)
		// An empty acteur type or source is not a code of the tables either
		// (LVAO's set difference keeps ''); the checker skips empty codes.
		for _, col := range []string{"acteur_type_code", "source_code"} {
			if cellText(row.Get(col)) == "" {
				if unknown == nil {
					unknown = map[string][]string{}
				}
				unknown[col] = append(unknown[col], "")
			}
		}
		if _, bad := unknown["source_code"]; !bad {
			sources[cellText(row.Get("source_code"))] = struct{}{}
		}
		if len(unknown) == 0 {
			st.Valid++
			if err := valid.Put(row); err != nil {
				return st, fmt.Errorf("error writing valid row: %w", err)
			}
			continue
		}
		st.Dropped++
		st.DroppedIDs = append(st.DroppedIDs, id)
		for _, col := range checkedColumns {
			codes, ok := unknown[col]
			if !ok {
				continue
			}
			if err := logs.Put(unknownCodeLog(id, col, row.Get(col), codes)); err != nil {
				return st, fmt.Errorf("error writing validation log: %w", err)
			}
			for _, c := range codes {
				if k := fmt.Sprintf("%s: %s", col, pyQuote(c)); len(unknownCounts) < 1000 || unknownCounts[k] > 0 {
					unknownCounts[k]++
				}
			}
		}
	}
	if st.Rows == 0 {
		return st, errors.New("error validating: No data in dataframe from normalisation")
	}
	if st.Valid == 0 {
		return st, fmt.Errorf("error validating %d rows: %w: codes pas dans DB, most frequent: %s",
			st.Rows, ErrNoValidRows, mostFrequent(unknownCounts, 3))
	}
	for s := range sources {
		st.SourceCodes = append(st.SourceCodes, s)
	}
	sort.Strings(st.SourceCodes)
	if st.Dropped > 0 {
		logger.Warn("rows dropped: codes pas dans DB", "dropped", st.Dropped, "rows", st.Rows)
	}
	return st, nil
}

// mostFrequent lists the n most frequent keys of counts with their counts.
func mostFrequent(counts map[string]int, n int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, 0, n)
	for _, k := range keys[:min(n, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, counts[k]))
	}
	return strings.Join(parts, "; ")
}

func pyQuote(c string) string { return "'" + strings.ReplaceAll(c, "'", `\'`) + "'" }

// unknownCodeLog is the ERROR log of a row dropped for unknown codes. Its
// message follows source_data_validate's ("<column>: codes pas dans DB:
// {…}") and names the row.
func unknownCodeLog(id, col string, cell transform.Value, codes []string) transform.Log {
	quoted := make([]string, len(codes))
	for i, c := range codes {
		quoted[i] = pyQuote(c)
	}
	return transform.Log{
		IdentifiantUnique:  id,
		Function:           ValidateFunction,
		OriginColumns:      []string{col},
		OriginValues:       []string{cell.PyStr()},
		DestinationColumns: []string{col},
		Message: fmt.Sprintf("%s: codes pas dans DB: {%s} (acteur %s ignoré)",
			col, strings.Join(quoted, ", "), id),
		Exception: transform.ExcValueError,
		Blocking:  true,
	}
}

// cellText is the text of a cell ("" when missing).
func cellText(v transform.Value) string {
	if v.IsMissing() {
		return ""
	}
	return v.PyStr()
}
