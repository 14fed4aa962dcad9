package suggest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// testRef is a small reference data set with the codes testRow uses.
func testRef() *transform.RefData {
	return &transform.RefData{
		ActeurTypes:    []transform.ActeurType{{Code: "commerce"}, {Code: "ess"}},
		Sources:        []transform.Source{{Code: testSource}},
		Labels:         []transform.Label{{Code: "reparacteur"}, {Code: "qualirepar"}},
		ActeurServices: []transform.ActeurService{{Code: "structure_de_collecte"}},
		SousCategories: []transform.SousCategorie{{Code: "vetement"}, {Code: "velo"}},
	}
}

func validate(t *testing.T, rows []transform.Row, opts ValidateOptions) (ValidateStats, []transform.Row, []transform.Log, error) {
	t.Helper()
	var valid Slice[transform.Row]
	var logs Slice[transform.Log]
	opts.Logger = quiet
	st, err := Validate(context.Background(), testRef(), SliceSource(rows)(), &valid, &logs, opts)
	return st, valid.Items, logs.Items, err
}

func TestValidateDropsRowsWithUnknownCodes(t *testing.T) {
	t.Parallel()
	noType := testRow("4", rowOpts{})
	noType.Set("acteur_type_code", transform.String(""))
	rows := []transform.Row{
		testRow("1", rowOpts{labels: []string{"reparacteur"}}),
		testRow("2", rowOpts{acteurType: "type_inconnu", labels: []string{"label_inconnu"}}),
		testRow("3", rowOpts{sousCategories: []string{"produit_inconnu"}}),
		noType,
	}
	mapping := map[string]transform.Value{"vêtement": transform.String("vetement"), "truc": transform.Strings("produit_inconnu")}
	st, valid, logs, err := validate(t, rows, ValidateOptions{ProductMapping: mapping})
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 4 || st.Valid != 1 || st.Dropped != 3 || len(valid) != 1 ||
		strings.Join(st.DroppedIDs, ",") != "ecomaison_2,ecomaison_3,ecomaison_4" || strings.Join(st.SourceCodes, ",") != testSource ||
		strings.Join(st.UnknownMappingCodes, ",") != "produit_inconnu" {
		t.Fatalf("stats = %+v, valid %d", st, len(valid))
	}
	// Row 2: one log per bad column, in source_data_validate's order.
	if len(logs) != 4 {
		t.Fatalf("logs = %+v", logs)
	}
	want := []struct{ id, col, value string }{
		{"ecomaison_2", "acteur_type_code", "type_inconnu"},
		{"ecomaison_2", "label_codes", "label_inconnu"},
		{"ecomaison_3", "sous_categorie_codes", "produit_inconnu"},
		{"ecomaison_4", "acteur_type_code", ""},
	}
	for i, w := range want {
		l := logs[i]
		if l.IdentifiantUnique != w.id || l.OriginColumns[0] != w.col || !l.Blocking || l.Function != ValidateFunction ||
			!strings.Contains(l.Message, w.col+": codes pas dans DB: {'"+w.value+"'}") || !strings.Contains(l.OriginValues[0], w.value) {
			t.Errorf("log %d = %+v", i, l)
		}
	}
}

func TestValidateFailsOnBrokenDataSets(t *testing.T) {
	t.Parallel()
	noStatut := testRow("1", rowOpts{})
	noStatut.Delete("statut")
	cases := map[string]struct {
		rows []transform.Row
		want string
	}{
		"empty":             {nil, "No data"},
		"mandatory missing": {[]transform.Row{noStatut}, "mandatory column is missing: statut"},
		"duplicate":         {[]transform.Row{testRow("1", rowOpts{}), testRow("1", rowOpts{})}, "Doublons sur identifiant_unique"},
		"nothing valid":     {[]transform.Row{testRow("1", rowOpts{acteurType: "x"})}, ErrNoValidRows.Error()},
	}
	for name, c := range cases {
		_, _, _, err := validate(t, c.rows, ValidateOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
	_, _, _, err := validate(t, []transform.Row{testRow("1", rowOpts{acteurType: "x"})}, ValidateOptions{})
	if !errors.Is(err, ErrNoValidRows) {
		t.Errorf("err = %v, want ErrNoValidRows", err)
	}
}

// When no row is valid, the error names the unknown codes, the most
// frequent first: it said only "no valid row left after validation", the
// reason left in the warnings above it.
func TestValidateNothingValidNamesTheCodes(t *testing.T) {
	t.Parallel()
	rows := []transform.Row{
		testRow("1", rowOpts{labels: []string{"agree bonus reparation"}}),
		testRow("2", rowOpts{labels: []string{"agree bonus reparation"}}),
		testRow("3", rowOpts{acteurType: "vaisseau"}),
	}
	_, _, _, err := validate(t, rows, ValidateOptions{})
	want := "codes pas dans DB, most frequent: label_codes: 'agree bonus reparation' ×2; acteur_type_code: 'vaisseau' ×1"
	if !errors.Is(err, ErrNoValidRows) || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to end with %q", err, want)
	}
}

func TestChangeJSONLinesRoundTrip(t *testing.T) {
	t.Parallel()
	a := newArtifact(t, "changes.jsonl")
	in := []Change{
		{Action: ActionCreate, IdentifiantUnique: "ecomaison_1", Suggestion: testRow("1", rowOpts{})},
		{Action: ActionUpdate, IdentifiantUnique: "ecomaison_2", Contexte: []byte(`{"nom":"A","latitude":48.0}`),
			Suggestion: testRow("2", rowOpts{}), Fields: []string{"nom"}},
	}
	writeJSONL(t, a, in)
	var out []Change
	for c, err := range JSONLSource[Change](a.open)() {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if len(out) != 2 || !out[0].Suggestion.Equal(in[0].Suggestion) || out[1].Fields[0] != "nom" {
		t.Fatalf("round trip = %+v", out)
	}
	if _, ok, _ := out[0].contexteRow(); ok {
		t.Error("creation has a contexte")
	}
	ctx, ok, err := out[1].contexteRow()
	if lat, _ := ctx.Get("latitude").Number(); !ok || err != nil || ctx.Get("latitude").Kind() != transform.KindFloat || lat != 48 {
		t.Errorf("contexte = %v %v %v", ctx, ok, err)
	}
	// Column order and float kinds survive (str(48.0) is "48.0" in units).
	if got := out[0].Suggestion.Columns(); strings.Join(got, ",") != strings.Join(in[0].Suggestion.Columns(), ",") {
		t.Errorf("columns = %v", got)
	}
}
