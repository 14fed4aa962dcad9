package suggest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"iter"
)

// Data moves between the steps as streams, so that a step holds one row at
// a time. A stream read once is an iter.Seq2[T, error]; one read several
// times (the changes and the logs, which Write reads once to count and once
// to insert) is a Source, which starts a new pass at each call. Between two
// task functions, streams travel as JSON-lines artifacts: JSONLines reads
// one, JSONLWriter writes one.

// Source is a stream that can be read several times: each call starts a
// new pass.
type Source[T any] func() iter.Seq2[T, error]

// Sink receives the items of a stream.
type Sink[T any] interface {
	Put(T) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc[T any] func(T) error

// Put calls f.
func (f SinkFunc[T]) Put(v T) error { return f(v) }

// Discard is a sink that drops everything.
func Discard[T any]() Sink[T] { return SinkFunc[T](func(T) error { return nil }) }

// SliceSource reads a slice (tests, small data).
func SliceSource[T any](items []T) Source[T] {
	return func() iter.Seq2[T, error] {
		return func(yield func(T, error) bool) {
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}

// Concat reads several sources one after the other.
func Concat[T any](sources ...Source[T]) Source[T] {
	return func() iter.Seq2[T, error] {
		return func(yield func(T, error) bool) {
			for _, s := range sources {
				if s == nil {
					continue
				}
				for v, err := range s() {
					if !yield(v, err) || err != nil {
						return
					}
				}
			}
		}
	}
}

// Slice is an in-memory sink (tests, small data).
type Slice[T any] struct{ Items []T }

// Put appends v.
func (s *Slice[T]) Put(v T) error {
	s.Items = append(s.Items, v)
	return nil
}

// Source reads the items collected so far.
func (s *Slice[T]) Source() Source[T] { return SliceSource(s.Items) }

// maxLine bounds one JSON line (an acteur row is a few KB).
const maxLine = 64 << 20

// JSONLines decodes one JSON value per line of r (blank lines skipped).
// Errors name the line. The iterator reads r once.
func JSONLines[T any](r io.Reader) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), maxLine)
		line := 0
		for sc.Scan() {
			line++
			if len(sc.Bytes()) == 0 {
				continue
			}
			var v T
			var err error
			if d, ok := any(&v).(lineDecoder); ok {
				err = d.decodeLine(sc.Bytes())
			} else {
				err = json.Unmarshal(sc.Bytes(), &v)
			}
			if err != nil {
				var zero T
				yield(zero, fmt.Errorf("error decoding line %d: %w", line, err))
				return
			}
			if !yield(v, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			var zero T
			yield(zero, fmt.Errorf("error reading line %d: %w", line+1, err))
		}
	}
}

// lineDecoder is a type that decodes its JSON lines itself (faster than
// encoding/json, same result).
type lineDecoder interface {
	decodeLine(line []byte) error
}

// JSONLSource reads a JSON-lines artifact that open opens again at each
// pass (a file, an S3 object…).
func JSONLSource[T any](open func() (io.ReadCloser, error)) Source[T] {
	return func() iter.Seq2[T, error] {
		return func(yield func(T, error) bool) {
			rc, err := open()
			if err != nil {
				var zero T
				yield(zero, fmt.Errorf("error opening stream: %w", err))
				return
			}
			defer rc.Close()
			for v, err := range JSONLines[T](rc) {
				if !yield(v, err) || err != nil {
					return
				}
			}
		}
	}
}

// JSONLWriter writes one JSON value per line; Flush before closing the
// underlying writer.
type JSONLWriter[T any] struct {
	bw  *bufio.Writer
	enc *json.Encoder
	buf []byte
}

// NewJSONLWriter buffers the lines written to w.
func NewJSONLWriter[T any](w io.Writer) *JSONLWriter[T] {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &JSONLWriter[T]{bw: bw, enc: enc}
}

// Put writes v as one line.
func (w *JSONLWriter[T]) Put(v T) error {
	if a, ok := any(v).(jsonAppender); ok {
		w.buf = append(a.AppendJSON(w.buf[:0]), '\n')
		_, err := w.bw.Write(w.buf)
		return err
	}
	return w.enc.Encode(v)
}

// jsonAppender is a type that encodes itself as JSON (faster than
// encoding/json, same JSON).
type jsonAppender interface {
	AppendJSON(b []byte) []byte
}

// Flush writes the buffered lines.
func (w *JSONLWriter[T]) Flush() error { return w.bw.Flush() }
