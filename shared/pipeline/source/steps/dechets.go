package steps

import (
	"context"
	"fmt"

	"github.com/lvao/dataplatform/shared/pipeline/source/download"
	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
	"github.com/lvao/dataplatform/shared/runtime"
)

// resolveDechetMapping fetches SINOE's waste nomenclature when the
// dechet_mapping parameter says where it is instead of giving it (the DAG's
// default: LVAO fetched it when the DAG file was parsed). A mapping given
// in the run's conf is used as is.
func (d *Deps) resolveDechetMapping(ctx context.Context, t *runtime.Task, cfg *transform.SourceConfig) error {
	src := cfg.DechetMappingSource
	if src == nil || cfg.DechetMapping != nil {
		return nil
	}
	if src.ResponseListKey != "" && src.ResponseListKey != "results" {
		return &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("dechet_mapping: response_list_key %q is not supported (only data-fair's \"results\")", src.ResponseListKey)}
	}
	if src.KeyField == "" || src.ValueField == "" {
		return &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("dechet_mapping: key_field and value_field are required")}
	}
	m := map[string]string{}
	n := 0
	_, err := download.Download(ctx, download.Config{
		Endpoint: src.URL, FetchMode: download.ModeDataFair, HTTPClient: d.httpClient(), Logger: t.Logger,
	}, func(r transform.Row) error {
		n++
		key := r.Get(src.KeyField)
		if key.IsMissing() || key.PyStr() == "" {
			return fmt.Errorf("row %d has no %s", n, src.KeyField)
		}
		value := r.Get(src.ValueField)
		if (value.IsMissing() || value.PyStr() == "") && src.ValueFieldFallback != "" {
			value = r.Get(src.ValueFieldFallback)
		}
		label := ""
		if !value.IsMissing() {
			label = value.PyStr()
		}
		m[key.PyStr()] = label
		return nil
	})
	if err != nil {
		return fmt.Errorf("error fetching dechet_mapping from %s: %w", src.URL, err)
	}
	t.Logger.Info("dechet_mapping fetched", "url", src.URL, "codes", len(m))
	cfg.DechetMapping = m
	return nil
}
