package engine

import (
	"context"
	"encoding/json"
)

// SucceedTogether records successes as one batch, as the successes that
// arrive together in a busy process are.
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
	}
	if err := e.afterBatch(ctx, answers[0].ev, answers[0].again); err != nil {
		return nil, err
	}
	return out, nil
}
