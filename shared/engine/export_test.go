package engine

import (
	"context"
	"encoding/json"
)

// SucceedTogether records successes as one batch, as the successes that
// arrive together in a busy process are (the caller of the first success
// of each run propagates it, here in order).
func (e *Engine) SucceedTogether(ctx context.Context, refs []AttemptRef) ([]bool, error) {
	batch := make([]successCall, len(refs))
	for i, a := range refs {
		batch[i] = successCall{ctx: ctx, a: a, result: json.RawMessage(`{"n": 1}`)}
	}
	answers := e.succeedBatch(batch)
	out := make([]bool, len(refs))
	for i, a := range answers {
		if a.err != nil {
			return nil, a.err
		}
		out[i] = a.recorded
		if a.propagate {
			if err := e.propagate(ctx, refs[i].RunPK); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
