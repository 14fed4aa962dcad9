package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// DecodeValue reads one JSON value. Object key order is kept; a number with
// a '.', 'e' or 'E' is a float, any other an int (as Python's json reads it).
func DecodeValue(data []byte) (Value, error) {
	if v, ok := fastDecode(data); ok {
		return v, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return Missing, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Missing, errors.New("error decoding value: trailing data")
	}
	return v, nil
}

// DecodeRow reads one JSON object as a Row, keeping key order.
func DecodeRow(data []byte) (Row, error) {
	v, err := DecodeValue(data)
	if err != nil {
		return Row{}, err
	}
	r, ok := v.ObjectRow()
	if !ok {
		return Row{}, fmt.Errorf("error decoding row: not a JSON object")
	}
	return r, nil
}

// ReadValue reads the next JSON value from a decoder created with UseNumber,
// so that a caller can stream a large array of rows one row at a time.
func ReadValue(dec *json.Decoder) (Value, error) { return decodeValue(dec) }

func decodeValue(dec *json.Decoder) (Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return Missing, err
	}
	return decodeToken(dec, tok)
}

func decodeToken(dec *json.Decoder, tok json.Token) (Value, error) {
	switch t := tok.(type) {
	case nil:
		return Missing, nil
	case bool:
		return Bool(t), nil
	case string:
		return String(t), nil
	case json.Number:
		return numberValue(string(t))
	case float64:
		return Float(t), nil
	case json.Delim:
		switch t {
		case '[':
			items := []Value{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return Missing, err
				}
				items = append(items, v)
			}
			if _, err := dec.Token(); err != nil {
				return Missing, err
			}
			return List(items...), nil
		case '{':
			var r Row
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return Missing, err
				}
				key, ok := kt.(string)
				if !ok {
					return Missing, errors.New("error decoding object: key is not a string")
				}
				v, err := decodeValue(dec)
				if err != nil {
					return Missing, err
				}
				r.Set(key, v)
			}
			if _, err := dec.Token(); err != nil {
				return Missing, err
			}
			return Object(r), nil
		}
	}
	return Missing, fmt.Errorf("error decoding value: unexpected token %v", tok)
}

func numberValue(s string) (Value, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return Int(i), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if !strings.ContainsAny(s, ".eE") && (err == nil || errors.Is(err, strconv.ErrRange)) {
		return bigInt(s, f), nil
	}
	if err != nil {
		return Missing, fmt.Errorf("error decoding number %q: %w", s, err)
	}
	return Float(f), nil
}

// UnmarshalJSON implements json.Unmarshaler (key order kept).
func (v *Value) UnmarshalJSON(data []byte) error {
	d, err := DecodeValue(data)
	if err != nil {
		return err
	}
	*v = d
	return nil
}

// UnmarshalJSON implements json.Unmarshaler (key order kept).
func (r *Row) UnmarshalJSON(data []byte) error {
	d, err := DecodeRow(data)
	if err != nil {
		return err
	}
	*r = d
	return nil
}

// MarshalJSON implements json.Marshaler: Missing is null.
func (v Value) MarshalJSON() ([]byte, error) { return v.AppendJSON(nil), nil }

// MarshalJSON implements json.Marshaler, keeping column order.
func (r Row) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

// AppendJSON appends the JSON form of v to b.
func (v Value) AppendJSON(b []byte) []byte {
	switch v.kind {
	case KindString:
		return appendJSONString(b, v.str)
	case KindInt:
		return strconv.AppendInt(b, v.int(), 10)
	case KindFloat:
		if v.str != "" { // bigInt: its digits, read back as a bigInt
			return append(b, v.str...)
		}
		if f := v.float(); math.IsInf(f, 0) || math.IsNaN(f) {
			return append(b, "null"...)
		}
		// Python's repr keeps "1.0" a float when read back, so str() of the
		// cell (which clean_number and others use) survives a round trip.
		return append(b, pyFloatRepr(v.float())...)
	case KindBool:
		return strconv.AppendBool(b, v.bits != 0)
	case KindList:
		b = append(b, '[')
		for i, it := range v.Items() {
			if i > 0 {
				b = append(b, ',')
			}
			b = it.AppendJSON(b)
		}
		return append(b, ']')
	case KindObject:
		o, _ := v.ObjectRow()
		return o.AppendJSON(b)
	}
	return append(b, "null"...)
}

// AppendJSON appends the JSON object form of r to b.
func (r Row) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	for i, f := range r.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.Name)
		b = append(b, ':')
		b = f.Value.AppendJSON(b)
	}
	return append(b, '}')
}
