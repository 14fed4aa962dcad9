package suggest

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

func TestChangeJSONLineMatchesEncodingJSON(t *testing.T) {
	sugg := transform.NewRow(
		transform.Field{Name: "identifiant_unique", Value: transform.String("eco_<1>&")},
		transform.Field{Name: "latitude", Value: transform.Float(48.5)},
		transform.Field{Name: "n", Value: transform.Int(3)},
		transform.Field{Name: "label_codes", Value: transform.Strings("a", "b")},
		transform.Field{Name: "vide", Value: transform.Missing},
	)
	for _, c := range []Change{
		{Action: ActionCreate, IdentifiantUnique: "eco_1", Suggestion: sugg},
		{Action: ActionUpdate, IdentifiantUnique: "eco_\u00e9\n", Contexte: json.RawMessage(`{"nom": "Ancien <nom>", "n": 1.50}`),
			Suggestion: sugg, Fields: []string{"nom", "adresse"}},
		{Action: ActionDelete, IdentifiantUnique: "eco_3", Contexte: json.RawMessage(`null`)},
	} {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var ref Change
		if err := json.Unmarshal(want, &ref); err != nil {
			t.Fatal(err)
		}
		var got Change
		if err := got.decodeLine(c.AppendJSON(nil)); err != nil {
			t.Fatalf("%s: %v", c.AppendJSON(nil), err)
		}
		if !json.Valid(c.AppendJSON(nil)) {
			t.Errorf("not JSON: %s", c.AppendJSON(nil))
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(ref)
		if string(a) != string(b) || !reflect.DeepEqual(got.Fields, ref.Fields) {
			t.Errorf("round trip:\n got %s\nwant %s", a, b)
		}
		// A line with other keys still decodes (through encoding/json).
		var other Change
		if err := other.decodeLine([]byte(`{"Action":"AJOUT","identifiant_unique":"x","suggestion":{}}`)); err != nil || other.Action != ActionCreate {
			t.Errorf("fallback: %+v %v", other, err)
		}
	}
}

func TestChangeHeadReadsActionAndActeur(t *testing.T) {
	c := Change{Action: ActionUpdate, IdentifiantUnique: "eco_\u00e91", Contexte: json.RawMessage(`{"nom":"x"}`),
		Suggestion: transform.NewRow(transform.Field{Name: "nom", Value: transform.Strings("a")}), Fields: []string{"nom"}}
	for _, line := range [][]byte{c.AppendJSON(nil), []byte(`{"Action":"MODIF","identifiant_unique":"eco_\u00e91"}`)} {
		var h ChangeHead
		if err := h.decodeLine(line); err != nil || h.Action != ActionUpdate || h.IdentifiantUnique != c.IdentifiantUnique {
			t.Errorf("%s: %+v %v", line, h, err)
		}
	}
}
