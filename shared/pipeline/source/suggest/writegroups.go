package suggest

import (
	"context"
	"iter"
)

// writeGroups writes the batches' groups and units on the transaction's
// connection, encoding a batch (its units and COPY bytes: the Go side's
// work) while the connection COPYs the batch before (Postgres's work): on
// two cores the write step costs about the larger of the two rather than
// their sum. The connection does, in order: read batch n's acteurs and
// draw its ids, COPY batch n-1 (meanwhile batch n is encoded), and so on.
func (w *cohortWriter) writeGroups(ctx context.Context, batches iter.Seq2[[]Change, error], progress func()) error {
	type buffers struct{ groups, units *binaryCopy }
	bufs := [2]buffers{{newBinaryCopy(), newBinaryCopy()}, {newBinaryCopy(), newBinaryCopy()}}
	var pending *buffers // encoded, not yet sent
	n := 0
	for batch, err := range batches {
		if err != nil {
			return err
		}
		p, err := w.prepareBatch(ctx, batch)
		if err != nil {
			return err
		}
		cur := &bufs[n%2]
		n++
		encoded := make(chan error, 1)
		go func() { encoded <- w.encodeBatch(p, cur.groups, cur.units) }()
		var copyErr error
		if pending != nil {
			copyErr = w.copyBatch(ctx, pending.groups, pending.units)
		}
		encErr := <-encoded // always waited for: the buffers are reused
		if copyErr != nil {
			return copyErr
		}
		if encErr != nil {
			return encErr
		}
		pending = cur
		progress()
	}
	if pending != nil {
		return w.copyBatch(ctx, pending.groups, pending.units)
	}
	return nil
}
