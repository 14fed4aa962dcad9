package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"

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

// normalize applies the rules to the downloaded rows. Rows the upstream
// Python would fail the whole task on (an unknown acteur type or product
// label) are dropped with an ERROR log instead (Lenient). Merging rows of
// one identifiant_unique needs the normalised table: it is held once.
func (d *Deps) normalize(ctx context.Context, t *runtime.Task, cfg Config) (any, error) {
	opts := transform.Options{Lenient: true}
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
	var rows []transform.Row
	in, warnings, errs := 0, 0, 0
	reasons := map[string]int{}
	for row, err := range readRows(ctx, t, TaskDownload, RowsArtifact) {
		if err != nil {
			return nil, err
		}
		in++
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
		rows = append(rows, rr.Rows...)
	}
	if err := n.Finish(); err != nil {
		return nil, err
	}
	kept, metadata, err := transform.RemoveUndesiredLines(rows)
	if err != nil {
		return nil, err
	}
	rows = nil
	if len(kept) == 0 {
		return nil, fmt.Errorf("no row left after normalisation: %d rows read, %d dropped by blocking errors%s", in, errs, topReasons(reasons))
	}
	out, err := createRows(ctx, t, RowsArtifact)
	if err != nil {
		return nil, err
	}
	for _, r := range kept {
		if err := out.WriteRow(r); err != nil {
			out.Abort()
			return nil, err
		}
	}
	if err := out.Close(); err != nil {
		return nil, err
	}
	if err := logs.Close(); err != nil {
		return nil, err
	}
	t.Logger.Info("normalised", "rows_in", in, "rows_out", len(kept), "warnings", warnings, "errors", errs)
	return map[string]any{"rows_in": in, "rows_out": len(kept), "warnings": warnings, "errors": errs, "metadata": metadata}, nil
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

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
