package steps

import (
	"context"
	"fmt"

	"github.com/lvao/dataplatform/shared/runtime"
)

// Suggest is the source-suggest function: keep_acteur_changed,
// db_data_prepare and db_write_type_action_suggestions, by args.step.
func Suggest(d *Deps) runtime.TaskFunc {
	return func(ctx context.Context, t *runtime.Task) (any, error) {
		a, cfg, err := parse(t)
		if err != nil {
			return nil, err
		}
		switch a.Step {
		case "keep_changed":
			return d.keepChanged(ctx, t, cfg)
		case "prepare":
			return d.prepare(ctx, t, cfg)
		case "write":
			return d.write(ctx, t, cfg)
		}
		return nil, &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("step %q is not one of keep_changed, prepare, write", a.Step)}
	}
}
