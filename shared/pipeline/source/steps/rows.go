package steps

import (
	"bufio"
	"bytes"
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

// WriteLine writes a row already encoded (a line read from a rows
// artifact).
func (r *rowWriter) WriteLine(b []byte) error {
	r.count++
	if _, err := r.bw.Write(b); err != nil || (len(b) > 0 && b[len(b)-1] == '\n') {
		return err
	}
	return r.bw.WriteByte('\n')
}

func (r *rowWriter) WriteJSON(v any) error {
	if a, ok := v.(interface{ AppendJSON([]byte) []byte }); ok {
		r.buf = append(a.AppendJSON(r.buf[:0]), '\n')
		r.count++
		_, err := r.bw.Write(r.buf)
		return err
	}
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

// readRows streams the rows of an upstream task's artifact: JSON lines, one
// row per line as rowWriter writes them.
func readRows(ctx context.Context, t *runtime.Task, taskID, name string) iter.Seq2[transform.Row, error] {
	return func(yield func(transform.Row, error) bool) {
		rc, err := t.OpenArtifact(ctx, taskID, name)
		if err != nil {
			yield(transform.Row{}, fmt.Errorf("error reading %s of %s: %w", name, taskID, err))
			return
		}
		defer rc.Close()
		lines := newLineReader(rc)
		for line := 1; ; line++ {
			b, err := lines.next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(transform.Row{}, fmt.Errorf("%s of %s, row %d: %w", name, taskID, line, err))
				return
			}
			row, err := transform.DecodeRow(b)
			if err != nil {
				yield(transform.Row{}, fmt.Errorf("%s of %s, row %d: %w", name, taskID, line, err))
				return
			}
			if !yield(row, nil) {
				return
			}
		}
	}
}

// lineReader returns the non-blank lines of a stream, of any length. A
// line is valid until the next call.
type lineReader struct {
	r    *bufio.Reader
	long []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 256<<10)}
}

func (l *lineReader) next() ([]byte, error) {
	for {
		b, err := l.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			l.long = append(l.long[:0], b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = l.r.ReadSlice('\n')
				l.long = append(l.long, b...)
			}
			b = l.long
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if len(bytes.TrimSpace(b)) > 0 {
			return b, nil
		}
		if err != nil {
			return nil, err
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
