package apply

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
)

// Python's json module as Acteur.commentaires_ajouter uses it: json.loads
// keeps the keys' order, json.dumps writes ", " and ": " separators and
// escapes non-ASCII characters (ensure_ascii).

// pyObject is a JSON object with its keys in document order.
type pyObject []pyMember

type pyMember struct {
	key   string
	value any
}

// loadsOrdered is json.loads keeping objects' key order (pyObject) and
// numbers' literals (json.Number).
func loadsOrdered(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("Extra data")
	}
	return v, nil
}

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := pyObject{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				obj = append(obj, pyMember{key: kt.(string), value: v})
			}
			_, err := dec.Token() // '}'
			return obj, err
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token() // ']'
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}

// pyDumps is json.dumps(v) with Python's defaults.
func pyDumps(v any) string {
	var b bytes.Buffer
	appendPyDumps(&b, v)
	return b.String()
}

func appendPyDumps(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case json.Number:
		b.WriteString(pyNumberStr(x))
	case float64:
		b.WriteString(pyFloatRepr(x))
	case string:
		appendPyString(b, x)
	case []any:
		b.WriteByte('[')
		for i, it := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			appendPyDumps(b, it)
		}
		b.WriteByte(']')
	case pyObject:
		b.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			appendPyString(b, m.key)
			b.WriteString(": ")
			appendPyDumps(b, m.value)
		}
		b.WriteByte('}')
	case map[string]any:
		obj := pyObject{}
		for _, k := range sortedKeys(x) {
			obj = append(obj, pyMember{k, x[k]})
		}
		appendPyDumps(b, obj)
	default:
		s, _ := pyStr(x)
		appendPyString(b, s)
	}
}

// appendPyString is a JSON string with ensure_ascii.
func appendPyString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r >= 0x7f && r <= 0xffff):
				if r == 0x7f {
					b.WriteRune(r)
					continue
				}
				fmt.Fprintf(b, `\u%04x`, r)
			case r > 0xffff:
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
