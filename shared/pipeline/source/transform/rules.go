package transform

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// The normalisation rule engine (source_data_normalize), row by row so that
// a source of 10⁶ rows streams through in bounded memory. For each row,
// in the order of sources.json's rule_application_order:
//
//  1. null-like cells ("null", "n/a", "-", … and missing) become "";
//  2. renames, 3. column transforms, 4. default values,
//  5. dataframe transforms, 6. removals — each kind in rule-list order;
//  7. a row with a blocking error is dropped (its logs are kept);
//  8. OCA sources: one row per source_code, prefixed, identifiant_unique
//     recomputed;
//  9. the row must have exactly the expected columns;
//  10. DAG-specific steps.
//
// The whole-table step (RemoveUndesiredLines) runs after all rows.

// nullLike are the cell values (trimmed, lower-cased) sources use for "no
// value"; they become "".
var nullLike = map[string]bool{
	"null": true, "none": true, "nan": true, "na": true, "n/a": true,
	"non applicable": true, "aucun": true, "-": true,
}

// IsNullLike reports whether a text means "no value".
func IsNullLike(s string) bool {
	if len(s) > 32 { // longer than any null-like word with some spaces
		return false
	}
	return nullLike[pyLower(pyStrip(s))]
}

// ReplaceNullLike is _replace_explicit_null_values for one cell: missing and
// null-like text become ""; null-like text items are removed from lists.
func ReplaceNullLike(v Value) Value {
	switch v.Kind() {
	case KindMissing:
		return String("")
	case KindString:
		if IsNullLike(v.str) {
			return String("")
		}
	case KindList:
		drop := false
		for _, it := range v.Items() {
			if it.IsString() && IsNullLike(it.str) {
				drop = true
				break
			}
		}
		if drop {
			kept := make([]Value, 0, len(v.Items()))
			for _, it := range v.Items() {
				if !(it.IsString() && IsNullLike(it.str)) {
					kept = append(kept, it)
				}
			}
			return List(kept...)
		}
	}
	return v
}

// pharmacieIDColumn is the pharmacies' id column in the Ordre des
// pharmaciens file.
const pharmacieIDColumn = "Numéro d'établissement"

// Options tune a Normalizer. The zero value behaves as the upstream task.
type Options struct {
	// Registry holds the transformations; nil means DefaultRegistry().
	Registry *Registry
	// Lenient drops (and logs as blocking) a row whose error fails the whole
	// task upstream: a blocking error raised by a column transform
	// (e.g. an unknown acteur type) or a plain KeyError/ValueError raised by
	// a transformation (e.g. an unknown product label, or
	// clean_identifiant_unique after identifiant_externe was blanked).
	// Default false: such an error is returned as a *FatalError.
	Lenient bool
	// DagSpecific runs after the expected-columns check (the pharmacies DAG
	// geocodes there, which needs I/O the caller provides). keep false drops
	// the row. Nil: nothing.
	DagSpecific func(r Row) (out Row, keep bool, err error)
}

// Normalizer applies a source DAG's normalisation rules. It keeps state for
// SINOE's year check: use one per run, from one goroutine.
type Normalizer struct {
	cfg      SourceConfig
	opts     Options
	reg      Registry
	byKind   map[RuleKind][]Rule
	expected map[string]bool
	removed  map[string]bool
	sinoe    SinoeYearCheck
	// sinoeRows counts the rows that reached the year check.
	sinoeRows int
	rowIndex  int
}

// NewNormalizer checks the rules (every transformation must exist, with the
// right shape) and returns a normalizer for them.
func NewNormalizer(cfg SourceConfig, opts Options) (*Normalizer, error) {
	reg := DefaultRegistry()
	if opts.Registry != nil {
		reg = *opts.Registry
	}
	n := &Normalizer{cfg: cfg, opts: opts, reg: reg, byKind: map[RuleKind][]Rule{}, expected: cfg.ExpectedColumns(), removed: map[string]bool{}}
	for i, r := range cfg.NormalizationRules {
		switch r.Kind {
		case RuleColumnTransform:
			if reg.Column[r.Transformation] == nil {
				return nil, fmt.Errorf("error building normalizer: %q is not a column transformation", r.Transformation)
			}
		case RuleDataframeTransform:
			if reg.Row[r.Transformation] == nil {
				return nil, fmt.Errorf("error building normalizer: %q is not a dataframe transformation", r.Transformation)
			}
			if err := probeOrigins(reg.Row[r.Transformation], r, cfg); err != nil {
				return nil, fmt.Errorf("error building normalizer: normalization_rules[%d]: %w", i, err)
			}
		case RuleRename, RuleDefaultValue, RuleRemove, RuleKeep:
		default:
			return nil, fmt.Errorf("error building normalizer: rule of unknown kind %d", r.Kind)
		}
		n.byKind[r.Kind] = append(n.byKind[r.Kind], r)
		if r.Kind == RuleRemove {
			n.removed[r.Column] = true
		}
	}
	return n, nil
}

// probeOrigins calls a dataframe transformation once on its origin columns
// (empty): a KeyError then says the rule does not give it a column it
// reads (compute_location with origin [latitude] only). Upstream that
// KeyError failed the task on the first row; here, on every row, it
// dropped every located acteur (or, lenient, every row) with no word of
// the rule.
func probeOrigins(fn RowFunc, r Rule, cfg SourceConfig) error {
	cfg.AddressLookup, cfg.ValidateAddressWithBAN = nil, false // no I/O
	in := Row{}
	for _, o := range r.Origins {
		in.Set(o, String(""))
	}
	if _, err := fn(in, &cfg); ExceptionName(err) == ExcKeyError {
		return fmt.Errorf("%s reads a column its origin %q lacks: KeyError: %s", r.Transformation, r.Origins, errorMessage(err))
	}
	return nil
}

// RowResult is what became of one input row.
type RowResult struct {
	// Rows holds the normalised row; none when dropped, several when an OCA
	// row names several sources.
	Rows []Row
	// Dropped is true when a blocking error dropped the row.
	Dropped bool
	// KeepIDs are the identifiant_unique of the acteurs a dropped row stands
	// for (one per OCA source), when the upstream task would have failed on
	// the row instead of dropping it (Options.Lenient: a blocking error of a
	// column transform, any fatal error): its absence from the data says
	// nothing about those acteurs, so they must be neither updated nor
	// deleted. Rows dropped as upstream drops them (a blocking error of a
	// dataframe transform) have none: upstream deletes their acteurs.
	KeepIDs []string
	// Logs are the warnings and blocking errors met, for the suggestion log.
	Logs []Log
}

// NormalizeRow normalises one downloaded row. A *FatalError means the task
// must fail (as the upstream task would).
func (n *Normalizer) NormalizeRow(in Row) (RowResult, error) {
	idx := n.rowIndex
	n.rowIndex++
	// Room for the columns the rules add, so the row grows in place.
	r := Row{fields: append(make([]Field, 0, in.Len()+len(n.expected)), in.fields...)}
	var res RowResult
	fatal := func(step string, err error) (RowResult, error) {
		return RowResult{}, &FatalError{Step: step, Row: idx, Cause: err}
	}
	switch n.cfg.DagID {
	case "pharmacies":
		// The apostrophe of this column name could not go through Airflow's
		// configuration, so the DAG renames it in code.
		if r.Has(pharmacieIDColumn) {
			r.Delete("identifiant_externe")
			r.Rename(pharmacieIDColumn, "identifiant_externe")
		}
	}
	for i := range r.fields {
		r.fields[i].Value = ReplaceNullLike(r.fields[i].Value)
	}
	for _, rule := range n.byKind[RuleRename] {
		// pandas' rename ignores an absent origin (the destination, if the
		// data has it, stays) and renaming a column to itself changes
		// nothing: deleting the destination first lost it in both cases.
		if rule.Origin == rule.Destination || !r.Has(rule.Origin) {
			continue
		}
		r.Delete(rule.Destination)
		r.Rename(rule.Origin, rule.Destination)
	}
	blocked := false
	upstreamFails := false // a lenient drop: upstream fails the task on this row
	for _, rule := range n.byKind[RuleColumnTransform] {
		origin := originValue(r, rule.Origin)
		out, err := n.reg.Column[rule.Transformation](origin, &n.cfg)
		if err != nil {
			sev := SeverityOf(err)
			if sev != SeverityWarning && (!n.opts.Lenient || errors.Is(err, ErrUnavailable)) {
				return fatal(rule.Transformation, err)
			}
			res.Logs = append(res.Logs, Log{
				Function:           rule.Transformation,
				OriginColumns:      []string{rule.Origin},
				OriginValues:       []string{origin.PyStr()},
				DestinationColumns: []string{rule.Destination},
				Message:            errorMessage(err),
				Exception:          exceptionOrGo(err),
				Blocking:           sev != SeverityWarning,
			})
			blocked = blocked || sev != SeverityWarning
			upstreamFails = upstreamFails || sev != SeverityWarning
			out = String("")
		}
		r.Set(rule.Destination, out)
		if !n.expected[rule.Origin] {
			r.Delete(rule.Origin)
		}
	}
	for _, rule := range n.byKind[RuleDefaultValue] {
		r.Set(rule.Column, rule.Value)
	}
	for _, rule := range n.byKind[RuleDataframeTransform] {
		for _, d := range rule.Destinations {
			if !r.Has(d) {
				r.Set(d, String(""))
			}
		}
		origin := r.Select(rule.Origins, String(""))
		out, err := n.reg.Row[rule.Transformation](origin, &n.cfg)
		if err != nil {
			sev := SeverityOf(err)
			if sev == SeverityFatal && (!n.opts.Lenient || errors.Is(err, ErrUnavailable)) {
				return fatal(rule.Transformation, err)
			}
			res.Logs = append(res.Logs, Log{
				Function:           rule.Transformation,
				OriginColumns:      append([]string(nil), rule.Origins...),
				OriginValues:       pyStrs(origin),
				DestinationColumns: append([]string(nil), rule.Destinations...),
				Message:            errorMessage(err),
				Exception:          exceptionOrGo(err),
				Blocking:           sev != SeverityWarning,
			})
			blocked = blocked || sev != SeverityWarning
			upstreamFails = upstreamFails || sev == SeverityFatal
			for _, d := range rule.Destinations {
				if strings.HasSuffix(d, "_codes") {
					r.Set(d, List())
				} else {
					r.Set(d, String(""))
				}
			}
			continue
		}
		for i, f := range out.fields {
			if i < len(rule.Destinations) {
				r.Set(rule.Destinations[i], f.Value)
			}
		}
	}
	r.DeleteColumns(n.removed)
	id := r.Get("identifiant_unique")
	for i := range res.Logs {
		res.Logs[i].IdentifiantUnique = textOf(id)
	}
	if blocked {
		res.Dropped = true
		if upstreamFails {
			res.KeepIDs = n.acteurIDs(r)
		}
		return res, nil
	}
	rows := []Row{r}
	if n.cfg.OCA != nil {
		var err error
		if rows, err = n.applyOCA(r); err != nil {
			if n.opts.Lenient {
				res.Logs = append(res.Logs, Log{IdentifiantUnique: textOf(id), Function: "clean_identifiant_unique",
					OriginColumns: []string{"identifiant_externe", "source_code"}, Message: errorMessage(err),
					Exception: exceptionOrGo(err), Blocking: true})
				res.Dropped = true
				return res, nil
			}
			return fatal("oca", err)
		}
	}
	for i := range rows {
		if err := n.checkColumns(rows[i]); err != nil {
			return fatal("expected_columns_check", err)
		}
	}
	if n.cfg.DagID == "source_sinoe" {
		// df_normalize_sinoe runs after the expected-columns check: ANNEE is
		// a kept column until then.
		for i := range rows {
			n.sinoeRows++
			if err := n.sinoe.Check(&rows[i]); err != nil {
				return fatal("df_normalize_sinoe", err)
			}
		}
	}
	if n.opts.DagSpecific != nil {
		kept := rows[:0]
		for _, row := range rows {
			out, keep, err := n.opts.DagSpecific(row)
			if err != nil {
				return fatal("dag_specific_steps", err)
			}
			if keep {
				kept = append(kept, out)
			}
		}
		rows = kept
	}
	res.Rows = rows
	return res, nil
}

// originValue is a column transform's input. An absent column is "": the
// upstream frame holds every column for every row (nulls made ""), while a
// streamed row may simply lack the key.
func originValue(r Row, col string) Value {
	if v, ok := r.Lookup(col); ok {
		return v
	}
	return String("")
}

func pyStrs(r Row) []string {
	out := make([]string, r.Len())
	for i, f := range r.fields {
		out[i] = f.Value.PyStr()
	}
	return out
}

func exceptionOrGo(err error) string {
	if name := ExceptionName(err); name != "" {
		return name
	}
	return "error"
}

// applyOCA is _manage_oca_config: an OCA row lists its eco-organisms in
// source_code ("a|b"); with deduplication_source it becomes one row per
// source; the prefix makes "<prefix>_<source>"; identifiant_unique is
// computed again from the new source_code.
func (n *Normalizer) applyOCA(r Row) ([]Row, error) {
	oca := n.cfg.OCA
	sources := []Value{r.Get("source_code")}
	if oca.DeduplicationSource {
		sources = sources[:0]
		for _, s := range strings.Split(r.Get("source_code").PyStr(), "|") {
			sources = append(sources, String(s))
		}
	}
	out := make([]Row, 0, len(sources))
	for _, src := range sources {
		row := r.Clone()
		if oca.Prefix != "" {
			src = String(oca.Prefix + "_" + pyLower(pyStrip(src.PyStr())))
		}
		row.Set("source_code", src)
		id, err := CleanIdentifiantUnique(row.Select([]string{"identifiant_externe", "source_code"}, Missing), &n.cfg)
		if err != nil {
			return nil, err
		}
		row.Set("identifiant_unique", id.Get("identifiant_unique"))
		out = append(out, row)
	}
	return out, nil
}

// MissingColumns returns the columns the rules read (the origins of column
// and dataframe transforms) that neither the data's columns nor an earlier
// rule provide, in rule order. On such a table pandas' df[origin] raised
// KeyError and the upstream task failed, whereas NormalizeRow reads an
// absent column as empty (a JSON row may leave out a null key). A file's
// header names every column of every row: a missing one means the file
// changed (a renamed header, another separator), and normalising anyway
// would blank that field on every acteur.
func (n *Normalizer) MissingColumns(columns []string) []string {
	have := make(map[string]bool, len(columns))
	for _, c := range columns {
		have[c] = true
	}
	if n.cfg.DagID == "pharmacies" && have[pharmacieIDColumn] {
		have["identifiant_externe"] = true
	}
	var missing []string
	need := func(c string) {
		if !have[c] && !contains(missing, c) {
			missing = append(missing, c)
		}
	}
	for _, r := range n.byKind[RuleRename] {
		if have[r.Origin] {
			have[r.Destination] = true
		}
	}
	for _, r := range n.byKind[RuleColumnTransform] {
		need(r.Origin)
		have[r.Destination] = true
	}
	for _, r := range n.byKind[RuleDefaultValue] {
		have[r.Column] = true
	}
	for _, r := range n.byKind[RuleDataframeTransform] {
		for _, o := range r.Origins {
			need(o)
		}
		for _, d := range r.Destinations {
			have[d] = true
		}
	}
	return missing
}

// acteurIDs are the identifiant_unique a normalised row stands for: its
// own, or with OCA those of the rows it explodes into. Ids that cannot be
// computed are left out.
func (n *Normalizer) acteurIDs(r Row) []string {
	rows := []Row{r}
	if n.cfg.OCA != nil {
		var err error
		if rows, err = n.applyOCA(r); err != nil {
			return nil
		}
	}
	var ids []string
	for _, row := range rows {
		if id := textOf(row.Get("identifiant_unique")); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// checkColumns fails unless the row has exactly the expected columns.
func (n *Normalizer) checkColumns(r Row) error {
	var extra, missing []string
	for _, f := range r.fields {
		if !n.expected[f.Name] {
			extra = append(extra, f.Name)
		}
	}
	for c := range n.expected {
		if !r.Has(c) {
			missing = append(missing, c)
		}
	}
	if len(extra) == 0 && len(missing) == 0 {
		return nil
	}
	sort.Strings(extra)
	sort.Strings(missing)
	return newFatal(ExcValueError,
		"Le dataframe normalisé (données sources) n'a pas les colonnes attendues. Colonnes en trop: %v Colonnes manquantes: %v",
		extra, missing)
}

// Finish runs the checks that need every row (SINOE's year check). When
// blocking errors dropped every row, there is no year to check: the caller
// reports that no row is left.
func (n *Normalizer) Finish() error {
	if n.cfg.DagID == "source_sinoe" && n.sinoeRows > 0 {
		if err := n.sinoe.Done(); err != nil {
			return &FatalError{Step: "df_normalize_sinoe", Row: -1, Cause: err}
		}
	}
	return nil
}

// Result is the outcome of Normalize on a whole table.
type Result struct {
	Rows     []Row
	Errors   []Log // blocking errors: their rows were dropped
	Warnings []Log
	// Metadata counts rows dropped by RemoveUndesiredLines.
	Metadata map[string]string
}

// Normalize is source_data_normalize on a whole table: every row through
// NormalizeRow, then RemoveUndesiredLines. No row left is an error, as
// upstream.
func Normalize(rows []Row, cfg SourceConfig, opts Options) (*Result, error) {
	n, err := NewNormalizer(cfg, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	var out []Row
	for _, in := range rows {
		rr, err := n.NormalizeRow(in)
		if err != nil {
			return nil, err
		}
		for _, l := range rr.Logs {
			if l.Blocking {
				res.Errors = append(res.Errors, l)
			} else {
				res.Warnings = append(res.Warnings, l)
			}
		}
		out = append(out, rr.Rows...)
	}
	if err := n.Finish(); err != nil {
		return nil, err
	}
	if res.Rows, res.Metadata, err = RemoveUndesiredLines(out); err != nil {
		return nil, &FatalError{Step: "remove_undesired_lines", Row: -1, Cause: err}
	}
	if len(res.Rows) == 0 {
		return nil, &FatalError{Step: "source_data_normalize", Row: -1,
			Cause: newFatal(ExcValueError, "Plus aucune donnée disponible après normalisation")}
	}
	return res, nil
}
