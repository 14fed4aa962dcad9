package apply

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Python/Django behaviours reproduced without a database.

func TestPyFloatRepr(t *testing.T) {
	t.Parallel()
	for f, want := range map[float64]string{1: "1.0", 1.5: "1.5", 1e16: "1e+16", 1e15: "1000000000000000.0",
		0.0001: "0.0001", 0.00001: "1e-05", 48.8686: "48.8686", -2.5: "-2.5"} {
		if got := pyFloatRepr(f); got != want {
			t.Errorf("repr(%v) = %s, want %s", f, got, want)
		}
	}
	if got := pyNumberStr(json.Number("75001")); got != "75001" {
		t.Errorf("str(75001) = %s", got)
	}
}

func TestPyDumpsKeepsOrderAndEscapes(t *testing.T) {
	t.Parallel()
	v, err := loadsOrdered(`[{"z": 1, "a": "é\"\n"}, 2.50, null, true]`)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"z": 1, "a": "\u00e9\"\n"}, 2.5, null, true]`
	if got := pyDumps(v); got != want {
		t.Errorf("dumps = %s, want %s", got, want)
	}
	if got := pyDumps("😀"); got != `"\ud83d\ude00"` {
		t.Errorf("dumps(emoji) = %s", got)
	}
}

func TestConvert(t *testing.T) {
	t.Parallel()
	b := acteurModel.byName["siret_is_closed"]
	for in, want := range map[any]any{"True": true, "f": false, "1": true, "": nil, true: true} {
		if got, err := b.convert("Acteur", in); err != nil || got != want {
			t.Errorf("bool(%v) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := b.convert("Acteur", "oui"); err == nil {
		t.Error("bool(oui) accepted")
	}
	fk := acteurModel.byName["acteur_type_id"]
	if got, err := fk.convert("Acteur", json.Number("3")); err != nil || got != int32(3) {
		t.Errorf("id(3) = %v, %v", got, err)
	}
	if _, err := fk.convert("Acteur", "commerce"); err == nil || err.Error() != "Field 'id' expected a number but got 'commerce'." {
		t.Errorf("id(commerce) error = %v", err)
	}
	txt := acteurModel.byName["code_postal"]
	if got, _ := txt.convert("Acteur", json.Number("75001")); got != "75001" {
		t.Errorf("str(75001) = %v", got)
	}
}

func TestValidEmail(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"a@b.fr": true, "jean.dupont+x@mairie-paris.fr": true, "a@localhost": true,
		"pas un email": false, "a@b": false, "@b.fr": false, "a@b.fr-": false, "a@é.fr": true} {
		if got := validEmail(s); got != want {
			t.Errorf("validEmail(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestComputeIdentifiantUnique(t *testing.T) {
	t.Parallel()
	got, err := computeIdentifiantUnique("ecomaison", " A/B 12 ")
	if err != nil || got != "ecomaison_A-B12" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := computeIdentifiantUnique("ecomaison", ""); err == nil {
		t.Error("empty identifiant_externe accepted")
	}
}

func TestValidationErrorText(t *testing.T) {
	t.Parallel()
	v := &validationError{}
	v.add("nom", "This field cannot be blank.")
	v.add("parent", "You can't define a Parent which is already a duplicate.")
	want := `{'nom': ['This field cannot be blank.'], 'parent': ["You can't define a Parent which is already a duplicate."]}`
	if v.Error() != want {
		t.Errorf("got %s", v.Error())
	}
}

// Every statement named in the code exists in queries.sql and renders.
func TestQueriesRender(t *testing.T) {
	t.Parallel()
	// Statement names appear as string literals (query("X", …) or lists
	// of names passed to it).
	names := regexp.MustCompile(`"([A-Z][A-Za-z]+)"`)
	seen := map[string]bool{}
	files, _ := filepath.Glob("*.go")
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		for _, m := range names.FindAllStringSubmatch(mustRead(t, file), -1) {
			if _, ok := queryTemplates[m[1]]; ok {
				seen[m[1]] = true
			}
		}
	}
	for _, m := range []*model{acteurModel, revisionModel} {
		for name := range seen {
			p := m.params()
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("query %s: %v", name, r)
					}
				}()
				_ = query(name, p)
			}()
		}
	}
	for name := range queryTemplates {
		if !seen[name] {
			t.Errorf("query %s is never used", name)
		}
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
