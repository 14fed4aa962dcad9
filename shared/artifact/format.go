package artifact

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
)

// JSONLWriter writes one JSON value per line.
type JSONLWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

// NewJSONLWriter wraps w (an artifact Writer) with a buffered JSON lines encoder.
func NewJSONLWriter(w io.Writer) *JSONLWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &JSONLWriter{bw: bw, enc: json.NewEncoder(bw)}
}

// Write encodes v as one line.
func (j *JSONLWriter) Write(v any) error { return j.enc.Encode(v) }

// Flush writes buffered lines to the artifact (call before its Close).
func (j *JSONLWriter) Flush() error { return j.bw.Flush() }

// JSONLReader reads one JSON value per line.
type JSONLReader struct {
	sc   *bufio.Scanner
	line int
}

// NewJSONLReader reads JSON lines of up to 16 MiB each.
func NewJSONLReader(r io.Reader) *JSONLReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	return &JSONLReader{sc: sc}
}

// Next decodes the next line into v; io.EOF at the end. Errors name the line.
func (j *JSONLReader) Next(v any) error {
	for j.sc.Scan() {
		j.line++
		if len(j.sc.Bytes()) == 0 {
			continue
		}
		if err := json.Unmarshal(j.sc.Bytes(), v); err != nil {
			return fmt.Errorf("line %d: %w", j.line, err)
		}
		return nil
	}
	if err := j.sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", j.line+1, err)
	}
	return io.EOF
}

// NewCSVWriter returns a CSV writer on the artifact (call Flush before Close).
func NewCSVWriter(w io.Writer, comma rune) *csv.Writer {
	cw := csv.NewWriter(w)
	if comma != 0 {
		cw.Comma = comma
	}
	return cw
}

// NewCSVReader returns a CSV reader that reuses records (streaming).
func NewCSVReader(r io.Reader, comma rune) *csv.Reader {
	cr := csv.NewReader(r)
	if comma != 0 {
		cr.Comma = comma
	}
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	return cr
}
