package steps

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/lvao/dataplatform/shared/artifact"
	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
	"github.com/lvao/dataplatform/shared/runtime"
)

// rowWriter streams rows (or any JSON values) into an artifact of the task.
type rowWriter struct {
	w     *artifact.Writer
	bw    *bufio.Writer
	buf   []byte
	count int64
}

func createRows(ctx context.Context, t *runtime.Task, name string) (*rowWriter, error) {
	w, err := t.CreateArtifact(ctx, name)
	if err != nil {
		return nil, err
	}
	return &rowWriter{w: w, bw: bufio.NewWriterSize(w, 256<<10)}, nil
}

func (r *rowWriter) WriteRow(row transform.Row) error {
	r.buf = row.AppendJSON(r.buf[:0])
	r.buf = append(r.buf, '\n')
	r.count++
	_, err := r.bw.Write(r.buf)
	return err
}

func (r *rowWriter) WriteJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	r.count++
	b = append(b, '\n')
	_, err = r.bw.Write(b)
	return err
}

// Close completes the artifact.
func (r *rowWriter) Close() error {
	if err := r.bw.Flush(); err != nil {
		r.w.Abort()
		return err
	}
	return r.w.Close()
}

// Abort discards it.
func (r *rowWriter) Abort() { r.w.Abort() }

// readRows streams the rows of an upstream task's artifact.
func readRows(ctx context.Context, t *runtime.Task, taskID, name string) iter.Seq2[transform.Row, error] {
	return func(yield func(transform.Row, error) bool) {
		rc, err := t.OpenArtifact(ctx, taskID, name)
		if err != nil {
			yield(transform.Row{}, fmt.Errorf("error reading %s of %s: %w", name, taskID, err))
			return
		}
		defer rc.Close()
		dec := json.NewDecoder(bufio.NewReaderSize(rc, 256<<10))
		dec.UseNumber()
		for line := 1; ; line++ {
			v, err := transform.ReadValue(dec)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(transform.Row{}, fmt.Errorf("%s of %s, row %d: %w", name, taskID, line, err))
				return
			}
			row, ok := v.ObjectRow()
			if !ok {
				yield(transform.Row{}, fmt.Errorf("%s of %s, row %d: not an object", name, taskID, line))
				return
			}
			if !yield(row, nil) {
				return
			}
		}
	}
}

// readJSON streams JSON values of type T from an upstream task's artifact.
func readJSON[T any](ctx context.Context, t *runtime.Task, taskID, name string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		rc, err := t.OpenArtifact(ctx, taskID, name)
		if err != nil {
			yield(zero, fmt.Errorf("error reading %s of %s: %w", name, taskID, err))
			return
		}
		defer rc.Close()
		r := artifact.NewJSONLReader(rc)
		for {
			var v T
			err := r.Next(&v)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(zero, fmt.Errorf("%s of %s: %w", name, taskID, err))
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}
