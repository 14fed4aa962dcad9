package compute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config is what a Runner needs.
type Config struct {
	// Webapp is the LVAO webapp database (the sources, and the published
	// tables). Required.
	Webapp *pgxpool.Pool
	// Warehouse is the database of the models' tables; it may be the
	// webapp's. Required.
	Warehouse *pgxpool.Pool
	// Schema is the warehouse schema. Default DefaultWarehouseSchema.
	Schema string
	// Logger default: slog.Default().
	Logger *slog.Logger
	// FailRows is how many offending rows a failed data test reports.
	// Default 10.
	FailRows int
	// Project overrides the embedded models (tests). Default: Embedded
	// loaded in Schema.
	Project *Project
	// SwapLockTimeout bounds each attempt to take the locks of a swap (so
	// that a long reader never queues the webapp's requests behind the
	// swap for long). Default 5s; SwapAttempts (default 5) attempts.
	SwapLockTimeout time.Duration
	SwapAttempts    int
}

// Runner builds models in the warehouse and publishes exposure tables to
// the webapp.
type Runner struct {
	cfg Config
	p   *Project
	log *slog.Logger
}

// New loads the project and returns a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Webapp == nil || cfg.Warehouse == nil {
		return nil, errors.New("compute: Webapp and Warehouse pools are required")
	}
	if cfg.Schema == "" {
		cfg.Schema = DefaultWarehouseSchema
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.FailRows <= 0 {
		cfg.FailRows = 10
	}
	if cfg.SwapLockTimeout <= 0 {
		cfg.SwapLockTimeout = 5 * time.Second
	}
	if cfg.SwapAttempts <= 0 {
		cfg.SwapAttempts = 5
	}
	p := cfg.Project
	if p == nil {
		var err error
		if p, err = LoadProject(Embedded, cfg.Schema); err != nil {
			return nil, err
		}
	}
	return &Runner{cfg: cfg, p: p, log: cfg.Logger}, nil
}

// Project is the runner's models.
func (r *Runner) Project() *Project { return r.p }

// ModelResult is what building one model did.
type ModelResult struct {
	Name    string  `json:"name"`
	Rows    int64   `json:"rows"`
	Tests   int     `json:"tests"`
	Seconds float64 `json:"seconds"`
}

// Build materializes the selected models (Project.Select) in dependency
// order, each as a table of the warehouse schema followed by its data
// tests. A model is built as <name>__next, tested, then renamed over the
// previous <name> in the same transaction: a failed model or data test
// leaves the previous table in place and stops the build with the error
// (a *TestFailure for a data test, naming the offending rows).
func (r *Runner) Build(ctx context.Context, selectors ...string) ([]ModelResult, error) {
	models, err := r.p.Select(selectors...)
	if err != nil {
		return nil, err
	}
	if err := PrepareWarehouse(ctx, r.cfg.Warehouse, r.cfg.Schema); err != nil {
		return nil, err
	}
	if err := r.checkUpstreamBuilt(ctx, models); err != nil {
		return nil, err
	}
	var src *sourceSnapshot
	defer func() {
		if src != nil {
			src.close()
		}
	}()
	var out []ModelResult
	for _, m := range models {
		start := time.Now()
		var rows int64
		if m.OnWebapp {
			if src == nil {
				if src, err = openSourceSnapshot(ctx, r.cfg.Webapp); err != nil {
					return out, err
				}
			}
			rows, err = r.materialize(ctx, m, func(tx pgx.Tx, table string) (int64, error) {
				return src.copyInto(ctx, m, tx, table)
			})
		} else {
			rows, err = r.materialize(ctx, m, func(tx pgx.Tx, table string) (int64, error) {
				tag, err := tx.Exec(ctx, "CREATE TABLE "+table+" AS\n"+m.SQL)
				return tag.RowsAffected(), err
			})
		}
		if err != nil {
			return out, err
		}
		res := ModelResult{Name: m.Name, Rows: rows, Tests: len(m.Tests), Seconds: time.Since(start).Seconds()}
		r.log.Info("model built", "model", m.Name, "path", m.Path, "rows", rows, "tests", len(m.Tests), "seconds", res.Seconds)
		out = append(out, res)
	}
	return out, nil
}

// materialize creates the model's table with create (given the __next
// table name), runs the data tests on it and swaps it in, in one warehouse
// transaction.
func (r *Runner) materialize(ctx context.Context, m *Model, create func(tx pgx.Tx, table string) (int64, error)) (int64, error) {
	next := pgx.Identifier{r.cfg.Schema, m.Name + "__next"}.Sanitize()
	final := pgx.Identifier{r.cfg.Schema, m.Name}.Sanitize()
	var rows int64
	err := pgx.BeginFunc(ctx, r.cfg.Warehouse, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+searchPath(r.cfg.Schema)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+next); err != nil {
			return err
		}
		var err error
		if rows, err = create(tx, next); err != nil {
			return fmt.Errorf("error building model %s (%s): %w", m.Name, m.Path, err)
		}
		// Fresh statistics so that downstream models get sensible plans.
		if _, err := tx.Exec(ctx, "ANALYZE "+next); err != nil {
			return err
		}
		for _, t := range m.Tests {
			if err := t.run(ctx, tx, next, r.cfg.Schema, r.cfg.FailRows); err != nil {
				var f *TestFailure
				if errors.As(err, &f) {
					for _, row := range f.Rows {
						r.log.Error("data test failed", "model", m.Name, "test", t.Name(), "failing_rows", f.Count, "row", row)
					}
				}
				return err
			}
		}
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+final+" CASCADE"); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "ALTER TABLE "+next+" RENAME TO "+pgx.Identifier{m.Name}.Sanitize())
		return err
	})
	return rows, err
}

// checkUpstreamBuilt fails early when a selected model needs a model that
// is neither selected nor already in the warehouse (a DAG task run out of
// order).
func (r *Runner) checkUpstreamBuilt(ctx context.Context, models []*Model) error {
	selected := map[string]bool{}
	for _, m := range models {
		selected[m.Name] = true
	}
	for _, m := range models {
		for _, d := range m.Deps {
			if selected[d] {
				continue
			}
			var exists bool
			err := r.cfg.Warehouse.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", pgx.Identifier{r.cfg.Schema, d}.Sanitize()).Scan(&exists)
			if err != nil {
				return fmt.Errorf("error looking for table %s: %w", d, err)
			}
			if !exists {
				return fmt.Errorf("model %s needs model %s, which is not built yet: build %q first", m.Name, d, dotted(r.p.byName[d].Path))
			}
		}
	}
	return nil
}

func dotted(path string) string {
	out := []byte(path)
	for i, c := range out {
		if c == '/' {
			out[i] = '.'
		}
	}
	return string(out)
}
