package download

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// decodeRow turns one JSON object, already checked by json.Decoder.Decode
// into a json.RawMessage, into a Row, with the values transform.DecodeRow
// gives (key order kept; a number with '.', 'e' or 'E' a float, any other
// an int). It is the hot path of a download: json.Decoder.Token costs a
// full decode per token, ten times this scan of flat rows. Nested lists and
// objects (rare in sources) go through transform.DecodeValue.
func decodeRow(raw []byte) (transform.Row, bool, error) {
	p := rowParser{b: raw}
	p.ws()
	if !p.eat('{') {
		return transform.Row{}, false, nil // not an object
	}
	fields := make([]transform.Field, 0, 48)
	p.ws()
	if p.eat('}') {
		return transform.NewRow(), true, nil
	}
	for {
		p.ws()
		key, err := p.str()
		if err != nil {
			return transform.Row{}, true, err
		}
		p.ws()
		if !p.eat(':') {
			return transform.Row{}, true, p.fail("expected ':'")
		}
		p.ws()
		v, err := p.value()
		if err != nil {
			return transform.Row{}, true, err
		}
		fields = append(fields, transform.Field{Name: key, Value: v})
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return transform.NewRow(fields...), true, nil
		}
		return transform.Row{}, true, p.fail("expected ',' or '}'")
	}
}

type rowParser struct {
	b []byte
	i int
}

func (p *rowParser) fail(msg string) error {
	return fmt.Errorf("error decoding row at byte %d: %s", p.i, msg)
}

func (p *rowParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *rowParser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a JSON string; one with escapes is unquoted by encoding/json.
func (p *rowParser) str() (string, error) {
	if !p.eat('"') {
		return "", p.fail("expected a string")
	}
	start, escaped := p.i, false
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '\\':
			escaped = true
			p.i += 2
			continue
		case '"':
			p.i++
			if !escaped {
				return string(p.b[start : p.i-1]), nil
			}
			var s string
			if err := json.Unmarshal(p.b[start-1:p.i], &s); err != nil {
				return "", err
			}
			return s, nil
		}
		p.i++
	}
	return "", p.fail("unterminated string")
}

func (p *rowParser) value() (transform.Value, error) {
	if p.i >= len(p.b) {
		return transform.Missing, p.fail("expected a value")
	}
	switch c := p.b[p.i]; {
	case c == '"':
		s, err := p.str()
		return transform.String(s), err
	case c == 'n' && bytes.HasPrefix(p.b[p.i:], []byte("null")):
		p.i += 4
		return transform.Missing, nil
	case c == 't' && bytes.HasPrefix(p.b[p.i:], []byte("true")):
		p.i += 4
		return transform.Bool(true), nil
	case c == 'f' && bytes.HasPrefix(p.b[p.i:], []byte("false")):
		p.i += 5
		return transform.Bool(false), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == '[' || c == '{':
		end, err := p.skipNested()
		if err != nil {
			return transform.Missing, err
		}
		v, err := transform.DecodeValue(p.b[p.i:end])
		p.i = end
		return v, err
	}
	return transform.Missing, p.fail("unexpected character")
}

func (p *rowParser) number() (transform.Value, error) {
	start, isFloat := p.i, false
	for ; p.i < len(p.b); p.i++ {
		c := p.b[p.i]
		if c == '.' || c == 'e' || c == 'E' {
			isFloat = true
		} else if !(c == '-' || c == '+' || (c >= '0' && c <= '9')) {
			break
		}
	}
	s := string(p.b[start:p.i])
	if !isFloat {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return transform.Int(n), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return transform.Missing, p.fail("bad number " + s)
	}
	return transform.Float(f), nil
}

// skipNested returns the end of the list or object starting at p.i.
func (p *rowParser) skipNested() (int, error) {
	depth, inStr := 0, false
	for j := p.i; j < len(p.b); j++ {
		c := p.b[j]
		switch {
		case inStr && c == '\\':
			j++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			if depth--; depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, p.fail("unterminated list or object")
}
