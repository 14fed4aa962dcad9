package download

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// jsonReader walks one JSON response with a token loop, so that an array of
// rows is decoded one row at a time and never held whole.
type jsonReader struct {
	url string
	dec *json.Decoder
	bom bool // the body starts with a UTF-8 byte order mark
}

// utf8BOM is the UTF-8 byte order mark.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func newJSONReader(url string, body io.Reader) *jsonReader {
	br := bufio.NewReader(body)
	head, _ := br.Peek(len(utf8BOM))
	dec := json.NewDecoder(br)
	dec.UseNumber() // transform.ReadValue needs it: ints stay ints
	return &jsonReader{url: url, dec: dec, bom: bytes.Equal(head, utf8BOM)}
}

// syntaxErr wraps a decoding error as an *InvalidJSONError at the offset of
// the value being read (a failed read does not move the decoder).
func (j *jsonReader) syntaxErr(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if j.bom && j.dec.InputOffset() == 0 {
		// As Python's json ("Unexpected UTF-8 BOM"), but saying what it is
		// rather than "invalid character 'ï'".
		err = fmt.Errorf("the response starts with a UTF-8 byte order mark (BOM), which JSON does not allow: %w", err)
	}
	return &InvalidJSONError{URL: j.url, Offset: j.dec.InputOffset(), Err: err}
}

// shapeErr is valid JSON of the wrong shape.
func (j *jsonReader) shapeErr(format string, args ...any) error {
	return fmt.Errorf("%w from %s (byte offset %d): %s", ErrUnexpectedResponse, j.url,
		j.dec.InputOffset(), fmt.Sprintf(format, args...))
}

func (j *jsonReader) token() (json.Token, error) {
	tok, err := j.dec.Token()
	if err != nil {
		return nil, j.syntaxErr(err)
	}
	return tok, nil
}

// object walks a JSON object: fields[key] reads the value of key; other
// values are skipped. It fails when a required key is absent.
func (j *jsonReader) object(fields map[string]func() error, required ...string) error {
	tok, err := j.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return j.shapeErr("expected a JSON object, got %v", tokenKind(tok))
	}
	return j.objectBody(fields, required...)
}

// objectBody is object after its '{' was read.
func (j *jsonReader) objectBody(fields map[string]func() error, required ...string) error {
	seen := map[string]bool{}
	for j.dec.More() {
		tok, err := j.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		seen[key] = true
		if read, ok := fields[key]; ok {
			if err := read(); err != nil {
				return err
			}
			continue
		}
		if err := j.skip(); err != nil {
			return err
		}
	}
	if _, err := j.token(); err != nil { // '}'
		return err
	}
	for _, k := range required {
		if !seen[k] {
			return j.shapeErr("the object has no %q key", k)
		}
	}
	return nil
}

// skip reads and drops one value.
func (j *jsonReader) skip() error {
	var raw json.RawMessage
	if err := j.dec.Decode(&raw); err != nil {
		return j.syntaxErr(err)
	}
	return nil
}

// end checks that nothing but white space follows the document.
func (j *jsonReader) end() error {
	tok, err := j.dec.Token()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return j.syntaxErr(err)
	}
	return j.syntaxErr(fmt.Errorf("data after the JSON document (%v)", tokenKind(tok)))
}

// rows reads an array of row objects (the value at the current position),
// calling fn with each row's index and the row.
func (j *jsonReader) rows(what string, fn func(int, transform.Row) error) (int, error) {
	tok, err := j.token()
	if err != nil {
		return 0, err
	}
	if tok != json.Delim('[') {
		return 0, j.shapeErr("%s is %v, not an array of rows", what, tokenKind(tok))
	}
	return j.rowsBody(what, fn)
}

// rowsBody is rows after its '[' was read.
func (j *jsonReader) rowsBody(what string, fn func(int, transform.Row) error) (int, error) {
	n := 0
	var raw json.RawMessage
	for j.dec.More() {
		raw = raw[:0]
		if err := j.dec.Decode(&raw); err != nil {
			return n, j.syntaxErr(err)
		}
		r, ok, err := decodeRow(raw)
		if err != nil {
			return n, j.syntaxErr(err)
		}
		if !ok {
			return n, j.shapeErr("item %d of %s is not an object", n, what)
		}
		if err := fn(n, r); err != nil {
			return n, err
		}
		n++
	}
	if _, err := j.token(); err != nil { // ']'
		return n, err
	}
	return n, nil
}

// stringOrNull reads a string, or null as "".
func (j *jsonReader) stringOrNull(what string) (string, error) {
	tok, err := j.token()
	if err != nil {
		return "", err
	}
	switch t := tok.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	}
	return "", j.shapeErr("%s is %v, not a string", what, tokenKind(tok))
}

// number reads a JSON number.
func (j *jsonReader) number(what string) (float64, error) {
	tok, err := j.token()
	if err != nil {
		return 0, err
	}
	n, ok := tok.(json.Number)
	if !ok {
		return 0, j.shapeErr("%s is %v, not a number", what, tokenKind(tok))
	}
	f, err := n.Float64()
	if err != nil {
		return 0, j.shapeErr("%s: %v", what, err)
	}
	return f, nil
}

func tokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case json.Delim:
		switch t {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return fmt.Sprintf("%q", rune(t))
	}
	return fmt.Sprintf("%T", tok)
}

// pageRows is the row callback of a page that may be read more than once
// (a retry after a broken connection): it skips the rows already handled
// by a previous try, so the sink never sees a row twice.
type pageRows struct {
	done int // rows of the page already handled
	emit func(transform.Row) error
}

func (p *pageRows) row(i int, r transform.Row) error {
	if i < p.done {
		return nil
	}
	p.done = i + 1
	return p.emit(r)
}
