package transform

import (
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// A direct scan of JSON bytes into Values: every step reads each row it
// streams, and json.Decoder.Token (a full decode per token) cost most of
// their CPU. It gives the values decodeValue gives (key order kept, a
// duplicate key set in place, a number with '.', 'e' or 'E' a float, any
// other an int). On anything it does not accept as plain valid JSON it
// reports failure, and DecodeValue then takes the slow path, whose result
// (or error) is the reference.

type fastParser struct {
	b []byte
	i int
}

// fastDecode decodes data as one JSON value followed only by whitespace.
func fastDecode(data []byte) (Value, bool) {
	p := fastParser{b: data}
	p.ws()
	v, ok := p.value(0)
	if !ok {
		return Missing, false
	}
	p.ws()
	return v, p.i == len(p.b)
}

// maxFastDepth bounds the nesting the fast path recurses into.
const maxFastDepth = 64

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) literal(s string, v Value) (Value, bool) {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return Missing, false
	}
	p.i += len(s)
	return v, true
}

func (p *fastParser) value(depth int) (Value, bool) {
	if p.i >= len(p.b) || depth > maxFastDepth {
		return Missing, false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		s, ok := p.str(false)
		return String(s), ok
	case c == 'n':
		return p.literal("null", Missing)
	case c == 't':
		return p.literal("true", Bool(true))
	case c == 'f':
		return p.literal("false", Bool(false))
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == '[':
		return p.list(depth)
	case c == '{':
		r, ok := p.object(depth)
		if !ok {
			return Missing, false
		}
		return Object(r), true
	}
	return Missing, false
}

func (p *fastParser) list(depth int) (Value, bool) {
	p.i++ // '['
	items := []Value{}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return List(items...), true
	}
	for {
		p.ws()
		v, ok := p.value(depth + 1)
		if !ok {
			return Missing, false
		}
		items = append(items, v)
		p.ws()
		if p.i >= len(p.b) {
			return Missing, false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return List(items...), true
		default:
			return Missing, false
		}
	}
}

func (p *fastParser) object(depth int) (Row, bool) {
	p.i++ // '{'
	var r Row
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return r, true
	}
	// Rows of one file have the same columns: a top-level object starts
	// with the size of the last one (growing 8 → 64 for a source's 40
	// columns was a tenth of the normalize step's CPU).
	capacity := 8
	if depth == 0 {
		capacity = max(capacity, int(lastRowFields.Load()))
	}
	r.fields = make([]Field, 0, capacity)
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return Row{}, false
		}
		key, ok := p.str(true)
		if !ok {
			return Row{}, false
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return Row{}, false
		}
		p.i++
		p.ws()
		v, ok := p.value(depth + 1)
		if !ok {
			return Row{}, false
		}
		r.Set(key, v)
		p.ws()
		if p.i >= len(p.b) {
			return Row{}, false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			if depth == 0 {
				lastRowFields.Store(int32(min(len(r.fields), 1024)))
			}
			return r, true
		default:
			return Row{}, false
		}
	}
}

// lastRowFields is the number of columns of the last top-level object
// decoded (a capacity hint).
var lastRowFields atomic.Int32

// str reads a string at p.i (a '"'). Plain strings (no escape, valid
// UTF-8) are cut from the input; others are unquoted by encoding/json.
func (p *fastParser) str(key bool) (string, bool) {
	start := p.i + 1
	plain := true
	for j := start; j < len(p.b); j++ {
		c := p.b[j]
		switch {
		case c == '\\':
			plain = false
			j++
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			plain = false
		case c == '"':
			p.i = j + 1
			raw := p.b[start:j]
			if plain || utf8.Valid(raw) && !hasBackslash(raw) {
				if key {
					return internKey(raw), true
				}
				return string(raw), true
			}
			var s string
			if err := json.Unmarshal(p.b[start-1:j+1], &s); err != nil {
				return "", false
			}
			return s, true
		}
	}
	return "", false
}

func hasBackslash(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// number reads a number with JSON's grammar.
func (p *fastParser) number() (Value, bool) {
	b, start, j := p.b, p.i, p.i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
	default:
		return Missing, false
	}
	isFloat := false
	if j < len(b) && b[j] == '.' {
		isFloat = true
		j++
		d := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == d {
			return Missing, false
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		isFloat = true
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		d := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == d {
			return Missing, false
		}
	}
	p.i = j
	s := b[start:j]
	if !isFloat {
		if n, err := strconv.ParseInt(string(s), 10, 64); err == nil {
			return Int(n), true
		}
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if !isFloat && (err == nil || errors.Is(err, strconv.ErrRange)) {
		return bigInt(string(s), f), true
	}
	if err != nil {
		return Missing, false // the slow path reports it
	}
	return Float(f), true
}

// Column names repeat on every row: they are shared rather than allocated
// per row. The table is bounded (names past it are allocated as usual).
// Reads take no lock (a copy-on-write map: a read-write mutex taken for
// every key of every row, from the steps' goroutines on every core, cost
// more than the rest of the parse), nor does a miss once the table is full.
type internTable struct {
	mu sync.Mutex // serialises writers
	m  atomic.Pointer[map[string]string]
}

// keys is the process's table (a warm function instance decodes source
// after source: it fills with the first ones' names).
var keys internTable

const maxInterned = 1024

func internKey(b []byte) string { return keys.intern(b) }

func (t *internTable) intern(b []byte) string {
	if m := t.m.Load(); m != nil {
		if s, ok := (*m)[string(b)]; ok {
			return s
		}
		if len(*m) >= maxInterned {
			// Full for good: every name it lacks (every column of a
			// later source) took the writers' lock, per key per row.
			return string(b)
		}
	}
	s := string(b)
	if len(b) > 64 {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.m.Load()
	if old != nil {
		if k, ok := (*old)[s]; ok {
			return k
		}
		if len(*old) >= maxInterned {
			return s
		}
	}
	next := make(map[string]string, 1+len(mapOrEmpty(old)))
	for k, v := range mapOrEmpty(old) {
		next[k] = v
	}
	next[s] = s
	t.m.Store(&next)
	return s
}

func mapOrEmpty(m *map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	return *m
}

// ObjectSpans calls f with each key of the JSON object data, in order, and
// the bytes of its value (valid until data changes). It returns false when
// data is not an object the direct scan accepts, or when f does; values
// are only delimited here, their decoding is f's.
func ObjectSpans(data []byte, f func(key string, raw []byte) bool) bool {
	p := fastParser{b: data}
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return false
	}
	p.i++
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		p.ws()
		return p.i == len(p.b)
	}
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return false
		}
		key, ok := p.str(true)
		if !ok {
			return false
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return false
		}
		p.i++
		p.ws()
		start := p.i
		if !p.skip(0) || !f(key, p.b[start:p.i]) {
			return false
		}
		p.ws()
		if p.i >= len(p.b) {
			return false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			p.ws()
			return p.i == len(p.b)
		default:
			return false
		}
	}
}

// skip moves past one value without building it.
func (p *fastParser) skip(depth int) bool {
	if p.i >= len(p.b) || depth > maxFastDepth {
		return false
	}
	switch c := p.b[p.i]; c {
	case '"':
		for j := p.i + 1; j < len(p.b); j++ {
			switch p.b[j] {
			case '\\':
				j++
			case '"':
				p.i = j + 1
				return true
			}
		}
		return false
	case '[', '{':
		closing := byte(']')
		if c == '{' {
			closing = '}'
		}
		p.i++
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == closing {
			p.i++
			return true
		}
		for {
			p.ws()
			if c == '{' {
				if p.i >= len(p.b) || p.b[p.i] != '"' || !p.skip(depth+1) {
					return false
				}
				p.ws()
				if p.i >= len(p.b) || p.b[p.i] != ':' {
					return false
				}
				p.i++
				p.ws()
			}
			if !p.skip(depth + 1) {
				return false
			}
			p.ws()
			if p.i >= len(p.b) {
				return false
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case closing:
				p.i++
				return true
			default:
				return false
			}
		}
	}
	_, ok := p.value(depth)
	return ok
}
