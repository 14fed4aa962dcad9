package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// slowDecode is the reference: json.Decoder tokens.
func slowDecode(data []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return decodeValue(dec)
}

func TestFastDecodeMatchesTokenDecoder(t *testing.T) {
	inputs := []string{
		`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `12`, `-7`, `1.5`, `1e3`, `1E-2`, `-0.0`,
		`9223372036854775807`, `9223372036854775808`, `123456789012345678901234567890`,
		`"plain"`, `"é à ç"`, `"tab\tquote\" slash\/ u\u00e9 \ud83d\ude00"`, `"bad \ud800 surrogate"`,
		"\"invalid \xff utf8\"",
		` { "a" : 1 , "b":[1,2.0,"x",null,{"c":[]}], "a": "again" } `,
		`{"identifiant_unique":"x_1","proposition_service_codes":[{"action":"donner","sous_categories":["a","b"]}],"latitude":48.5,"n":null}`,
		`[[[]],{}, {"":""}]`,
	}
	for _, in := range inputs {
		fast, ok := fastDecode([]byte(in))
		if !ok {
			t.Errorf("%s: fast path refused it", in)
			continue
		}
		slow, err := slowDecode([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if fast.Kind() != slow.Kind() || !fast.Equal(slow) || string(fast.AppendJSON(nil)) != string(slow.AppendJSON(nil)) {
			t.Errorf("%s: fast %s, slow %s", in, fast.AppendJSON(nil), slow.AppendJSON(nil))
		}
	}
}

func TestFastDecodeRefusesInvalidJSON(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `.5`, `1e`, `-`, `tru`, `nul`,
		`"unterminated`, "\"ctl\x01\"", `{"a":1} x`, `{a:1}`, `"\x"`} {
		if v, ok := fastDecode([]byte(in)); ok {
			t.Errorf("%q: accepted as %s", in, v.AppendJSON(nil))
		}
		if _, err := DecodeValue([]byte(in)); err == nil && in != `"\x"` {
			t.Errorf("%q: DecodeValue accepted it", in)
		}
	}
}

func TestAppendJSONStringMatchesMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", `quote" back\ slash/`, "<a href='x'>&amp;</a>", "\b\f\n\r\t\x00\x01\x1f\x7f",
		"é à ç 😀", "bad \xff\xfe utf8 \xe2\x82", "line\u2028para\u2029", "mixed\u00e9\n<\xff>"} {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

// A JSON integer beyond int64 keeps its digits: Python's json gives an int,
// whose str() the pipeline uses (an id, a siret), not a float's
// "1.2345678901234567e+19". Both decoders agree, and the JSON of the value
// reads back the same.
func TestBigIntegerKeepsItsDigits(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"12345678901234567890", "-9223372036854775809", "1" + strings.Repeat("0", 400)} {
		for name, decode := range map[string]func([]byte) (Value, error){"fast": func(b []byte) (Value, error) {
			v, ok := fastDecode(b)
			if !ok {
				return v, errors.New("fast path refused it")
			}
			return v, nil
		}, "slow": slowDecode} {
			v, err := decode([]byte(in))
			if err != nil {
				t.Fatalf("%s %s: %v", name, in, err)
			}
			if v.PyStr() != in || string(v.AppendJSON(nil)) != in {
				t.Errorf("%s %s: str %q, JSON %s", name, in, v.PyStr(), v.AppendJSON(nil))
			}
			if n, ok := v.Number(); !ok || (n < 1e18 && n > -1e18) {
				t.Errorf("%s %s: Number() = %v, %v", name, in, n, ok)
			}
		}
	}
	if v, _ := fastDecode([]byte("1.5e300")); v.PyStr() != "1.5e+300" {
		t.Errorf("a float literal: str %q", v.PyStr())
	}
}
