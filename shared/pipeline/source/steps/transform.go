package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/lvao/dataplatform/shared/pipeline/source/download"
	"github.com/lvao/dataplatform/shared/pipeline/source/suggest"
	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
	"github.com/lvao/dataplatform/shared/runtime"
)

// Transform is the source-transform function: source_config_validate,
// source_data_normalize and source_data_validate, by args.step.
func Transform(d *Deps) runtime.TaskFunc {
	return func(ctx context.Context, t *runtime.Task) (any, error) {
		a, cfg, err := parse(t)
		if err != nil {
			return nil, err
		}
		switch a.Step {
		case "config_validate":
			return d.configValidate(ctx, t, cfg)
		case "normalize":
			return d.normalize(ctx, t, cfg)
		case "validate":
			return d.validate(ctx, t, cfg)
		}
		return nil, &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("step %q is not one of config_validate, normalize, validate", a.Step)}
	}
}

// configValidate checks the rules (every transformation exists, with the
// right shape) and that every product_mapping code is a sous_categorie.
func (d *Deps) configValidate(ctx context.Context, t *runtime.Task, cfg Config) (any, error) {
	if _, err := transform.NewNormalizer(cfg.SourceConfig, transform.Options{}); err != nil {
		return nil, &runtime.ArgsError{Task: t.TaskID, Err: err}
	}
	if err := transform.CheckProductMapping(cfg.ProductMapping); err != nil {
		return nil, &runtime.ArgsError{Task: t.TaskID, Err: err}
	}
	pool, err := d.Webapp()
	if err != nil {
		return nil, err
	}
	ref, err := suggest.LoadRefData(ctx, pool)
	if err != nil {
		return nil, err
	}
	if unknown := ref.UnknownProductCodes(cfg.ProductMapping); len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("product_mapping: codes not in qfdmo_souscategorieobjet: %s", strings.Join(unknown, ", "))}
	}
	t.Logger.Info("configuration valid", "rules", len(cfg.NormalizationRules), "product_mapping", len(cfg.ProductMapping))
	return map[string]any{"rules": len(cfg.NormalizationRules), "product_mapping": len(cfg.ProductMapping)}, nil
}

// normalize applies the rules to the downloaded rows, a row at a time.
// Rows the upstream Python would fail the whole task on (an unknown acteur
// type or product label) are dropped with an ERROR log instead (Lenient).
// The whole-table step (merge the rows of one identifiant_unique, drop rows
// without sous_categorie or location) needs all rows: the normalised rows
// are written out as they come while transform.UndesiredLines notes a few
// bytes per row; when that step would change anything, the artifact is
// read back and written again filtered (see rewriteNormalized).
func (d *Deps) normalize(ctx context.Context, t *runtime.Task, cfg Config) (any, error) {
	opts := transform.Options{Lenient: true}
	if err := d.resolveDechetMapping(ctx, t, &cfg.SourceConfig); err != nil {
		return nil, err
	}
	if cfg.ValidateAddressWithBAN || cfg.DagID == "pharmacies" {
		pool, err := d.Webapp()
		if err != nil {
			return nil, err
		}
		g := d.banGeocoder(pool)
		cfg.AddressLookup = g.Lookup(ctx)
		if cfg.DagID == "pharmacies" {
			opts.DagSpecific = g.PharmaciesStep(ctx)
		}
	}
	n, err := transform.NewNormalizer(cfg.SourceConfig, opts)
	if err != nil {
		return nil, &runtime.ArgsError{Task: t.TaskID, Err: err}
	}
	logs, err := createRows(ctx, t, LogsArtifact)
	if err != nil {
		return nil, err
	}
	defer logs.Abort()
	out, err := createRows(ctx, t, RowsArtifact)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	keepIDs, err := createRows(ctx, t, KeepIDsArtifact)
	if err != nil {
		return nil, err
	}
	defer keepIDs.Abort()
	columns, err := downloadedColumns(ctx, t)
	if err != nil {
		return nil, err
	}
	if err := checkFileColumns(cfg, n, columns); err != nil {
		return nil, err
	}
	undesired := transform.NewUndesiredLines()
	in, warnings, errs, dropped := 0, 0, 0, 0
	reasons := map[string]int{}
	for row, err := range readRows(ctx, t, TaskDownload, RowsArtifact) {
		if err != nil {
			return nil, err
		}
		padColumns(&row, columns)
		if in++; in%50000 == 0 {
			t.Logger.Info("normalize progress", "rows", in, "warnings", warnings, "errors", errs)
		}
		rr, err := n.NormalizeRow(row)
		if err != nil {
			return nil, err
		}
		for _, l := range rr.Logs {
			if l.Blocking {
				errs++
				reasons[fmt.Sprintf("%s on %s (%s)", l.Function, strings.Join(l.OriginColumns, ", "), firstLine(l.Message))]++
			} else {
				warnings++
			}
			if err := logs.WriteJSON(l); err != nil {
				return nil, err
			}
		}
		if rr.Dropped {
			dropped++
		}
		for _, id := range rr.KeepIDs {
			if err := keepIDs.WriteJSON(id); err != nil {
				return nil, err
			}
		}
		for _, r := range rr.Rows {
			undesired.Observe(r)
			if err := out.WriteRow(r); err != nil {
				return nil, err
			}
		}
	}
	if err := n.Finish(); err != nil {
		return nil, err
	}
	// noRows names the rows dropped by blocking errors (a row may have
	// several), then those the whole-table step dropped (metadata).
	noRows := func(metadata map[string]string) error {
		var table []string
		for k, v := range metadata {
			table = append(table, k+": "+v)
		}
		sort.Strings(table)
		msg := ""
		if len(table) > 0 {
			msg = "; then " + strings.Join(table, "; ")
		}
		return fmt.Errorf("no row left after normalisation: %d rows read, %d dropped by blocking errors (%d errors)%s%s",
			in, dropped, errs, topReasons(reasons), msg)
	}
	if undesired.Rows() == 0 {
		return nil, noRows(nil)
	}
	if err := out.Close(); err != nil {
		return nil, err
	}
	kept, metadata := undesired.Rows(), map[string]string{}
	if undesired.Changes() {
		if kept, metadata, err = rewriteNormalized(ctx, t, undesired); err != nil {
			return nil, err
		}
		if kept == 0 {
			return nil, noRows(metadata)
		}
	}
	for _, w := range []*rowWriter{logs, keepIDs} {
		if err := w.Close(); err != nil {
			return nil, err
		}
	}
	t.Logger.Info("normalised", "rows_in", in, "rows_out", kept, "warnings", warnings, "errors", errs)
	return map[string]any{"rows_in": in, "rows_out": kept, "warnings": warnings, "errors": errs, "metadata": metadata}, nil
}

// downloadedColumns are the columns of the whole download (its result's
// "columns": every key of any row, then the schema's): the frame LVAO
// normalised had them all.
func downloadedColumns(ctx context.Context, t *runtime.Task) ([]string, error) {
	raw, err := t.UpstreamResult(ctx, TaskDownload)
	if err != nil || len(raw) == 0 {
		return nil, err
	}
	var res struct {
		Columns []string `json:"columns"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("error reading the result of %s: %w", TaskDownload, err)
	}
	return res.Columns, nil
}

// checkFileColumns fails when a file source (the pharmacies CSV, an S3
// xlsx) lacks a column the rules read: its header names every column, so a
// missing one is a changed file (a renamed header, another separator), on
// which LVAO failed with KeyError. JSON sources leave out null keys: their
// absent columns stay empty, as before.
func checkFileColumns(cfg Config, n *transform.Normalizer, columns []string) error {
	mode := cfg.FetchMode
	if mode == "" {
		mode, _ = download.ModeForEndpoint(cfg.Endpoint)
	}
	if (mode != download.ModePharmacies && mode != download.ModeS3XLSX) || len(columns) == 0 {
		return nil
	}
	missing := n.MissingColumns(columns)
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("the downloaded file lacks the column(s) %q that the normalization rules read (KeyError upstream); its columns are %q",
		missing, columns)
}

// padColumns adds the columns a row lacks as null, as pandas built one
// frame from JSON rows that do not all carry the same keys (data-fair and
// the CMA API leave out null fields).
func padColumns(r *transform.Row, columns []string) {
	if r.Len() >= len(columns) {
		return
	}
	for _, c := range columns {
		if !r.Has(c) {
			r.Set(c, transform.Missing)
		}
	}
}

// rewriteNormalized is the second pass of the whole-table step: it reads
// the normalised rows back and writes them again under the same name
// (complete only when the new one closes), the kept rows unchanged as
// their lines, the merged rows after them.
func rewriteNormalized(ctx context.Context, t *runtime.Task, undesired *transform.UndesiredLines) (int, map[string]string, error) {
	out, err := createRows(ctx, t, RowsArtifact)
	if err != nil {
		return 0, nil, err
	}
	defer out.Abort()
	filter := undesired.Filter()
	kept := 0
	err = func() error {
		rc, err := t.OpenArtifact(ctx, t.TaskID, RowsArtifact)
		if err != nil {
			return fmt.Errorf("error reading back %s: %w", RowsArtifact, err)
		}
		defer rc.Close()
		lines := newLineReader(rc)
		for i := 0; ; i++ {
			b, err := lines.next()
			if errors.Is(err, io.EOF) {
				if i != undesired.Rows() {
					return fmt.Errorf("error reading back %s: %d rows, %d written", RowsArtifact, i, undesired.Rows())
				}
				return nil
			}
			if err != nil {
				return fmt.Errorf("error reading back %s: %w", RowsArtifact, err)
			}
			if i >= undesired.Rows() {
				return fmt.Errorf("error reading back %s: more rows than written", RowsArtifact)
			}
			switch filter.Route(i) {
			case transform.Keep:
				kept++
				if err := out.WriteLine(b); err != nil {
					return err
				}
			case transform.Hold:
				r, err := transform.DecodeRow(b)
				if err != nil {
					return fmt.Errorf("error reading back %s, row %d: %w", RowsArtifact, i+1, err)
				}
				filter.Hold(i, r)
			}
		}
	}()
	if err != nil {
		return 0, nil, err
	}
	merged, metadata := filter.Finish()
	for _, r := range merged {
		kept++
		if err := out.WriteRow(r); err != nil {
			return 0, nil, err
		}
	}
	if kept == 0 {
		return 0, metadata, nil
	}
	return kept, metadata, out.Close()
}

// topReasons lists the most frequent causes of dropped rows.
func topReasons(reasons map[string]int) string {
	if len(reasons) == 0 {
		return ""
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if reasons[keys[i]] != reasons[keys[j]] {
			return reasons[keys[i]] > reasons[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	b.WriteString("; most frequent: ")
	for i, k := range keys {
		if i == 3 {
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s ×%d", k, reasons[k])
	}
	return b.String()
}

// firstLine is the first line of s, cut to 120 characters (runes: a cut
// inside a multi-byte character would make the task's error invalid UTF-8,
// which Postgres refuses, so the failure could not be recorded and the
// attempt ended as a zombie without its message).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	const limit = 120
	n := 0
	for i := range s {
		if n == limit {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
