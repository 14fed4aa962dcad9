package compute

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestEmbeddedProjectLoadsInDependencyOrder(t *testing.T) {
	t.Parallel()
	p, err := LoadProject(Embedded, "wh")
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, m := range p.Models {
		pos[m.Name] = i
		if len(m.Name)+len("__next") > 63 {
			t.Errorf("model name %s too long for a PostgreSQL identifier with __next", m.Name)
		}
		if strings.Contains(m.SQL, "{{") {
			t.Errorf("model %s: unrendered template", m.Name)
		}
	}
	for _, m := range p.Models {
		for _, d := range m.Deps {
			if pos[d] >= pos[m.Name] {
				t.Errorf("%s comes before its dependency %s", m.Name, d)
			}
		}
	}
	for _, pubs := range Publications {
		for _, pub := range pubs {
			if _, ok := p.Model(pub.Exposure); !ok {
				t.Errorf("publication of %s from unknown model %s", pub.Webapp, pub.Exposure)
			}
		}
	}
	base, err := p.Select("base")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range base {
		if !m.OnWebapp {
			t.Errorf("base model %s does not read the webapp", m.Name)
		}
	}
	if _, err := p.Select("marts.nowhere"); err == nil {
		t.Error("unknown selector accepted")
	}
}

func TestProjectErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]fstest.MapFS{
		"unknown model": {"models/a.sql": {Data: []byte("SELECT * FROM {{ ref('b') }}")}},
		"cycle": {
			"models/a.sql": {Data: []byte("SELECT * FROM {{ ref('b') }}")},
			"models/b.sql": {Data: []byte("SELECT * FROM {{ ref('a') }}")},
		},
		"mixed databases": {
			"models/a.sql": {Data: []byte("SELECT 1")},
			"models/b.sql": {Data: []byte("SELECT * FROM {{ source('qfdmo', 'x') }} JOIN {{ ref('a') }} ON true")},
		},
		"unknown test": {
			"models/a.sql":      {Data: []byte("SELECT 1 AS x")},
			"models/schema.yml": {Data: []byte("models:\n  - name: a\n    columns:\n      - {name: x, data_tests: [positive]}\n")},
		},
		"unknown macro": {"models/a.sql": {Data: []byte("SELECT {{ nope('x') }}")}},
	}
	for name, fsys := range cases {
		if _, err := LoadProject(fsys, "wh"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestRenderMacros(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"macros/pick.sql": {Data: []byte("-- macro pick(table, col)\nSELECT {{ coalesce_empty(col, \"'x'\") }} FROM {{ ref(table) }}")},
		"models/a.sql":    {Data: []byte("SELECT 'v' AS c")},
		"models/b.sql":    {Data: []byte("{{ pick('a', 'c') }}")},
	}
	p, err := LoadProject(fsys, "wh")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Model("b")
	if want := `SELECT COALESCE(NULLIF(c, ''), 'x') FROM "wh"."a"`; b.SQL != want {
		t.Errorf("got %q, want %q", b.SQL, want)
	}
	if len(b.Deps) != 1 || b.Deps[0] != "a" {
		t.Errorf("deps %v", b.Deps)
	}
}
