package suggest

import (
	"slices"
	"testing"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

func TestPyJSONDumpsMatchesPython(t *testing.T) {
	t.Parallel()
	obj := func(fields ...transform.Field) transform.Value { return transform.Object(transform.NewRow(fields...)) }
	cases := []struct {
		in   transform.Value
		want string
	}{
		{transform.Strings(), `[]`},
		{transform.Strings("ess", "reparacteur"), `["ess", "reparacteur"]`},
		{transform.String(`Réparé "ici" \ 🚲`), `"R\u00e9par\u00e9 \"ici\" \\ \ud83d\udeb2"`},
		{transform.String("a\nb\tc\x01\x7f"), `"a\nb\tc\u0001\u007f"`},
		{transform.Missing, `null`},
		{transform.List(transform.Int(3), transform.Float(2.5), transform.Float(48), transform.Bool(true)), `[3, 2.5, 48.0, true]`},
		{transform.List(obj(transform.Field{Name: "action", Value: transform.String("trier")},
			transform.Field{Name: "sous_categories", Value: transform.Strings("a", "b")})),
			`[{"action": "trier", "sous_categories": ["a", "b"]}]`},
	}
	for _, c := range cases {
		if got := pyJSONDumps(c.in); got != c.want {
			t.Errorf("dumps(%v) = %s, want %s", c.in.PyStr(), got, c.want)
		}
	}
}

func TestCanonicalCodesSortsListsAndKeys(t *testing.T) {
	t.Parallel()
	ps := func(action string, sc ...string) transform.Value {
		return transform.Object(transform.NewRow(
			transform.Field{Name: "sous_categories", Value: transform.Strings(sc...)},
			transform.Field{Name: "action", Value: transform.String(action)}))
	}
	got := pyJSONDumps(canonicalCodes(transform.List(ps("trier", "vetement", "chaussures"), ps("donner", "velo"))))
	want := `[{"action": "donner", "sous_categories": ["velo"]}, {"action": "trier", "sous_categories": ["chaussures", "vetement"]}]`
	if got != want {
		t.Errorf("canonical = %s\nwant        %s", got, want)
	}
}

func TestComputeUnits(t *testing.T) {
	t.Parallel()
	f := func(n string, v transform.Value) transform.Field { return transform.Field{Name: n, Value: v} }
	s := transform.String
	stored := transform.NewRow(f("identifiant_unique", s("x_1")), f("nom", s("Ancien")), f("email", s("")),
		f("uniquement_sur_rdv", transform.Missing), f("exclusivite_de_reprisereparation", transform.Bool(true)),
		f("label_codes", transform.Strings("b", "a")), f("latitude", transform.Float(48)), f("longitude", transform.Float(2)),
		f("statut", s("ACTIF")))
	row := transform.NewRow(f("identifiant_unique", s("x_1")), f("nom", s("Nouveau")), f("email", s("a@b.fr")),
		f("uniquement_sur_rdv", transform.Bool(false)), f("exclusivite_de_reprisereparation", transform.Missing),
		f("label_codes", transform.Strings("a", "b")), f("latitude", transform.Float(48)), f("longitude", transform.Float(2.5)),
		f("statut", s("ACTIF")), f("sous_categorie_codes", transform.Strings("z")))

	var got []string
	for _, u := range computeUnits(ActionUpdate, row, stored, true, true) {
		vals := ""
		for i, v := range u.valeurs {
			if i > 0 {
				vals += ","
			}
			if v == nil {
				vals += "NULL"
			} else {
				vals += *v
			}
		}
		got = append(got, u.modele+" "+joinComma(u.champs)+"="+vals)
	}
	// nom and email changed; uniquement_sur_rdv None → "False" is brought;
	// exclusivite True → None is not (a unit never empties a field);
	// labels equal in any order; longitude moved, so both coordinates go;
	// sous_categorie_codes is no model field. An update never touches the
	// revision.
	want := []string{"Acteur nom=Nouveau", "Acteur email=a@b.fr", "Acteur latitude,longitude=48.0,2.5",
		"Acteur uniquement_sur_rdv=False"}
	if !slices.Equal(got, want) {
		t.Errorf("units = %q\nwant    %q", got, want)
	}

	del := transform.NewRow(f("identifiant_unique", s("x_1")), f("statut", s(StatutSupprime)))
	units := computeUnits(ActionDelete, del, stored, true, true)
	if len(units) != 2 || units[0].modele != ModeleActeur || units[1].modele != ModeleRevisionActeur || !units[1].revision ||
		*units[1].valeurs[0] != StatutSupprime {
		t.Errorf("deletion units = %+v", units)
	}
	if units := computeUnits(ActionDelete, del, stored, true, false); len(units) != 1 {
		t.Errorf("deletion without revision = %d units, want 1", len(units))
	}
}

func joinComma(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}

func TestComparatorChangedFields(t *testing.T) {
	t.Parallel()
	f := func(n string, v transform.Value) transform.Field { return transform.Field{Name: n, Value: v} }
	s := transform.String
	ps := func(action string, sc ...string) transform.Value {
		return transform.Object(transform.NewRow(f("action", s(action)), f("sous_categories", transform.Strings(sc...))))
	}
	per := func(typ, val string) transform.Value {
		return transform.Object(transform.NewRow(f("type", s(typ)), f("valeur", s(val))))
	}
	db := transform.NewRow(f("nom", s("A")), f("email", s("x@y.fr")), f("siret", s("")),
		f("label_codes", transform.Strings("b", "a")),
		f("proposition_service_codes", transform.List(ps("trier", "b", "a"), ps("donner", "c"))),
		f("perimetre_adomicile_codes", transform.List(per("KILOMETRIQUE", "10"), per("DEPARTEMENTAL", "01"))),
		f("latitude", transform.Missing), f("uniquement_sur_rdv", transform.Missing))
	src := transform.NewRow(f("nom", s("A")), f("email", s("")), f("siret", s("12345678901234")),
		f("label_codes", transform.Strings("a", "b")),
		f("proposition_service_codes", transform.List(ps("donner", "c"), ps("trier", "a", "b"))),
		f("perimetre_adomicile_codes", transform.List(per("DEPARTEMENTAL", "01"), per("KILOMETRIQUE", "10"))),
		f("latitude", transform.Missing), f("uniquement_sur_rdv", transform.Bool(true)))
	c := newComparator([]string{"nom", "email", "siret", "label_codes", "proposition_service_codes",
		"perimetre_adomicile_codes", "latitude", "uniquement_sur_rdv"})
	got := c.changedFields(src, db)
	if want := []string{"email", "siret", "uniquement_sur_rdv"}; !slices.Equal(got, want) {
		t.Errorf("changed = %v, want %v", got, want)
	}
	want := map[string]FieldDiff{"email": {Sup: 1}, "siret": {Ajout: 1}, "uniquement_sur_rdv": {Ajout: 1}}
	for k, v := range want {
		if c.stats()[k] != v {
			t.Errorf("stats[%s] = %+v, want %+v", k, c.stats()[k], v)
		}
	}
}
