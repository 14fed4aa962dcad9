package apply

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/runtime"
)

// Args are the args of both task functions (LVAO's use_suggestion_groupe
// switch): false (default) works on data_suggestion (apply_suggestions),
// true on data_suggestiongroupe (apply_suggestions_groupe).
type Args struct {
	UseSuggestionGroupe bool `json:"use_suggestion_groupe"`
}

func (a Args) kind() Kind {
	if a.UseSuggestionGroupe {
		return KindGroupe
	}
	return KindSuggestion
}

// Check is the task db_check_suggestion_to_process (LVAO's
// ShortCircuitOperator): it short-circuits the DAG ({"skip_downstream":
// true}) when nothing is ATRAITER.
func Check(webapp func() (*pgxpool.Pool, error)) runtime.TaskFunc {
	return func(ctx context.Context, t *runtime.Task) (any, error) {
		var a Args
		if err := t.DecodeArgs(&a); err != nil {
			return nil, err
		}
		pool, err := webapp()
		if err != nil {
			return nil, err
		}
		n, err := Pending(ctx, pool, a.kind())
		if err != nil {
			return nil, err
		}
		if n == 0 {
			t.Logger.Info("nothing to process: skipping downstream tasks", "table", a.kind().table())
			return map[string]any{"skip_downstream": true, "pending": 0}, nil
		}
		t.Logger.Info("suggestions to process", "table", a.kind().table(), "pending", n)
		return map[string]any{"pending": n}, nil
	}
}

// Apply is the task db_apply_suggestion_to_process: it applies every row
// ATRAITER (see Run) and returns the Stats.
func Apply(webapp func() (*pgxpool.Pool, error)) runtime.TaskFunc {
	return ApplyWithOptions(webapp, Options{})
}

// ApplyWithOptions is Apply with Run's options (the task's logger is used
// when opts.Logger is nil).
func ApplyWithOptions(webapp func() (*pgxpool.Pool, error), opts Options) runtime.TaskFunc {
	return func(ctx context.Context, t *runtime.Task) (any, error) {
		var a Args
		if err := t.DecodeArgs(&a); err != nil {
			return nil, err
		}
		pool, err := webapp()
		if err != nil {
			return nil, err
		}
		o := opts
		if o.Logger == nil {
			o.Logger = t.Logger
		}
		return Run(ctx, pool, a.kind(), o)
	}
}
