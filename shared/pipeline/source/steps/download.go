package steps

import (
	"context"

	"github.com/lvao/dataplatform/shared/pipeline/source/download"
	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
	"github.com/lvao/dataplatform/shared/runtime"
)

// Download is the source-download function (source_data_download): the
// source's rows to the rows.jsonl.gz artifact, streamed.
func Download(d *Deps) runtime.TaskFunc {
	return func(ctx context.Context, t *runtime.Task) (any, error) {
		_, cfg, err := parse(t)
		if err != nil {
			return nil, err
		}
		out, err := createRows(ctx, t, RowsArtifact)
		if err != nil {
			return nil, err
		}
		t.Logger.Info("downloading", "endpoint", cfg.Endpoint, "fetch_mode", cfg.FetchMode)
		progress := int64(0)
		stats, err := download.Download(ctx, download.Config{
			Endpoint: cfg.Endpoint, MetadataEndpoint: cfg.MetadataEndpoint, FetchMode: cfg.FetchMode,
			HTTPClient: d.httpClient(), S3: d.S3, Logger: t.Logger,
			IgnoreRowsWithNullOrEmptyFields: cfg.IgnoreRowsWithNullOrEmptyFields,
		}, func(r transform.Row) error {
			if progress++; progress%50000 == 0 {
				t.Logger.Info("download progress", "rows", progress)
			}
			return out.WriteRow(r)
		})
		if err != nil {
			out.Abort()
			return nil, err
		}
		if err := out.Close(); err != nil {
			return nil, err
		}
		t.Logger.Info("downloaded", "rows", stats.Rows, "pages", stats.Pages, "columns", len(stats.Columns),
			"missing_columns", stats.MissingColumns, "extra_columns", stats.ExtraColumns)
		return map[string]any{"rows": stats.Rows, "pages": stats.Pages, "columns": stats.Columns,
			"missing_columns": stats.MissingColumns, "extra_columns": stats.ExtraColumns, "dropped": stats.Dropped}, nil
	}
}
