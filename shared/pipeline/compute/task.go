package compute

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/runtime"
)

// Deps are what the compute-acteurs task function needs.
type Deps struct {
	// Webapp opens the webapp database pool (search_path on the webapp
	// schema). Required.
	Webapp func() (*pgxpool.Pool, error)
	// Warehouse opens the warehouse database pool; it may be the webapp's
	// server. Required.
	Warehouse func() (*pgxpool.Pool, error)
	// WarehouseSchema default DefaultWarehouseSchema.
	WarehouseSchema string
}

// Args are a compute-acteurs task's args (DAG compute_acteurs):
//
//	{"select": ["marts.carte"]}        build these models and run their data tests
//	{"publish": ["epci", "displayed"]} swap these table groups into the webapp
//	{}                                 everything: all models, then all groups
//
// A task may both select and publish; publishing comes after the build.
type Args struct {
	// Select lists model folders in dotted form ("base", "intermediate",
	// "marts.carte", "exposure.carte") or model names.
	Select []string `json:"select"`
	// Publish lists publication groups (keys of Publications).
	Publish []string `json:"publish"`
	// FailRows is how many offending rows a failed data test reports.
	// Default 10.
	FailRows int `json:"fail_rows"`
}

// Result is the task's result: what was built and published.
type Result struct {
	Models    []ModelResult   `json:"models,omitempty"`
	Published []PublishResult `json:"published,omitempty"`
}

// Task is the compute-acteurs task function: LVAO's compute_acteurs DAG
// (dbt run/test per layer, check_model_table_consistency,
// replace_acteur_table) as one function called with different args.
func Task(d *Deps) runtime.TaskFunc {
	return func(ctx context.Context, t *runtime.Task) (any, error) {
		var a Args
		if err := t.DecodeArgs(&a); err != nil {
			return nil, err
		}
		for _, g := range a.Publish {
			if _, ok := Publications[g]; !ok {
				return nil, &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("unknown publication %q", g)}
			}
		}
		web, err := d.Webapp()
		if err != nil {
			return nil, err
		}
		wh, err := d.Warehouse()
		if err != nil {
			return nil, err
		}
		r, err := New(Config{Webapp: web, Warehouse: wh, Schema: d.WarehouseSchema, Logger: t.Logger, FailRows: a.FailRows})
		if err != nil {
			return nil, err
		}
		if _, err := r.Project().Select(a.Select...); err != nil {
			return nil, &runtime.ArgsError{Task: t.TaskID, Err: err}
		}
		var res Result
		everything := len(a.Select) == 0 && len(a.Publish) == 0
		if everything || len(a.Select) > 0 {
			if res.Models, err = r.Build(ctx, a.Select...); err != nil {
				return res, err
			}
		}
		if everything || len(a.Publish) > 0 {
			if res.Published, err = r.Publish(ctx, a.Publish...); err != nil {
				return res, err
			}
		}
		return res, nil
	}
}
