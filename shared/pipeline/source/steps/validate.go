package steps

import (
	"context"

	"github.com/lvao/dataplatform/shared/pipeline/source/suggest"
	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
	"github.com/lvao/dataplatform/shared/runtime"
)

// StatsArtifact carries source_data_validate's statistics (source codes,
// dropped ids) to keep_acteur_changed.
const StatsArtifact = "stats.json"

// validate checks the normalised rows against the reference tables: a row
// with an unknown code is dropped with an ERROR log naming the row, the
// column and the value; the rest goes on.
func (d *Deps) validate(ctx context.Context, t *runtime.Task, cfg Config) (any, error) {
	pool, err := d.Webapp()
	if err != nil {
		return nil, err
	}
	ref, err := suggest.LoadRefData(ctx, pool)
	if err != nil {
		return nil, err
	}
	out, err := createRows(ctx, t, RowsArtifact)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	logs, err := createRows(ctx, t, LogsArtifact)
	if err != nil {
		return nil, err
	}
	defer logs.Abort()
	st, err := suggest.Validate(ctx, ref, readRows(ctx, t, TaskNormalize, RowsArtifact),
		suggest.SinkFunc[transform.Row](out.WriteRow),
		suggest.SinkFunc[transform.Log](func(l transform.Log) error {
			t.Logger.Warn("row dropped", "identifiant_unique", l.IdentifiantUnique, "column", l.OriginColumns, "value", l.OriginValues, "message", l.Message)
			return logs.WriteJSON(l)
		}),
		suggest.ValidateOptions{ProductMapping: cfg.ProductMapping, Logger: t.Logger})
	if err != nil {
		return nil, err
	}
	for _, w := range []*rowWriter{out, logs} {
		if err := w.Close(); err != nil {
			return nil, err
		}
	}
	sw, err := createRows(ctx, t, StatsArtifact)
	if err != nil {
		return nil, err
	}
	if err := sw.WriteJSON(st); err != nil {
		sw.Abort()
		return nil, err
	}
	if err := sw.Close(); err != nil {
		return nil, err
	}
	t.Logger.Info("validated", "rows", st.Rows, "valid", st.Valid, "dropped", st.Dropped, "source_codes", st.SourceCodes)
	return map[string]any{"rows": st.Rows, "valid": st.Valid, "dropped": st.Dropped, "source_codes": st.SourceCodes}, nil
}
