package download

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// TestColumnKinds: pandas' typing of text columns, then the download
// task's cast of numeric columns to str.
func TestColumnKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		cells []string
		want  []transform.Value
	}{
		{"ints", []string{"007", "+12", "-3"}, []transform.Value{transform.String("7"), transform.String("12"), transform.String("-3")}},
		{"floats", []string{"1.50", "2", "1e-5"}, []transform.Value{transform.String("1.5"), transform.String("2.0"), transform.String("1e-05")}},
		{"ints with NA", []string{"75001", "", "NA"}, []transform.Value{transform.Float(75001), transform.Missing, transform.Missing}},
		{"bools", []string{"True", "false", "null"}, []transform.Value{transform.Bool(true), transform.Bool(false), transform.Missing}},
		{"text", []string{"01000", "Paris", "n/a"}, []transform.Value{transform.String("01000"), transform.String("Paris"), transform.Missing}},
		{"blank is text", []string{"1", " "}, []transform.Value{transform.String("1"), transform.String(" ")}},
		{"all NA", []string{"", "NaN"}, []transform.Value{transform.Missing, transform.Missing}},
		{"not Go floats", []string{"0x1p3", "1_000", "1,5"}, []transform.Value{transform.String("0x1p3"), transform.String("1_000"), transform.String("1,5")}},
	}
	for _, c := range cases {
		var st colStats
		for _, cell := range c.cells {
			st.add(cell)
		}
		k := st.kind()
		for i, cell := range c.cells {
			if got := cellValue(k, cell); got.Kind() != c.want[i].Kind() || !got.Equal(c.want[i]) {
				t.Errorf("%s: cell %q gives %s, want %s", c.name, cell, got.AppendJSON(nil), c.want[i].AppendJSON(nil))
			}
		}
	}
}

func TestColumnNames(t *testing.T) {
	t.Parallel()
	got := columnNames([]string{"a", "", "a", "a", "a.1", "b"})
	want := []string{"a", "Unnamed: 1", "a.1", "a.2", "a.1.1", "b"}
	if !slices.Equal(got, want) {
		t.Errorf("columnNames = %q, want %q", got, want)
	}
}

// TestDecodeRowMatchesTransform: the fast row decoder gives what
// transform.DecodeRow gives.
func TestDecodeRowMatchesTransform(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{}`,
		` { "a" : 1 , "b":-2.50,"c":1e3,"d":-0,"e":12345678901234567890 } `,
		`{"s":"caf\u00e9 \"quoted\" \\ \/ \n","emoji":"\ud83d\ude00","plain":"Répar'Tout"}`,
		`{"t":true,"f":false,"n":null}`,
		`{"list":["a]",{"b}":"[x"}],"obj":{"k":[1,2.0,null]},"empty":[]}`,
		`{"dup":1,"other":2,"dup":"last"}`,
		`{"esc\"key":"v"}`,
	} {
		want, err := transform.DecodeRow([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got, ok, err := decodeRow([]byte(in))
		if err != nil || !ok {
			t.Errorf("%s: ok %v, err %v", in, ok, err)
			continue
		}
		if string(got.AppendJSON(nil)) != string(want.AppendJSON(nil)) || !got.Equal(want) {
			t.Errorf("%s:\n got %s\nwant %s", in, got.AppendJSON(nil), want.AppendJSON(nil))
		}
		for _, f := range want.Fields() {
			if got.Get(f.Name).Kind() != f.Value.Kind() {
				t.Errorf("%s: %s kind %d, want %d", in, f.Name, got.Get(f.Name).Kind(), f.Value.Kind())
			}
		}
	}
	if _, ok, _ := decodeRow([]byte(`[1]`)); ok {
		t.Error("an array decoded as a row")
	}
}

// BenchmarkDecodeRow: one flat data-fair row of 40 columns.
func BenchmarkDecodeRow(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("{")
	for i := 0; i < 40; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `"column_%d":"value number %d, rue de l'Église",`+`"n_%d":%d.5`, i, i, i, i)
	}
	sb.WriteString("}")
	raw := []byte(sb.String())
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, ok, err := decodeRow(raw); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
