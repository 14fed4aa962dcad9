package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sourcesFile is shared/lvao/sources.json (copied to testdata): the 20
// source DAGs with their resolved rules.
type sourcesFile struct {
	Transformations []string            `json:"transformations"`
	Kinds           map[string][]string `json:"transformation_kinds"`
	EORules         []Rule              `json:"eo_normalization_rules"`
}

func loadSources(t *testing.T) sourcesFile {
	t.Helper()
	data, err := os.ReadFile("testdata/sources.json")
	if err != nil {
		t.Fatalf("error reading sources: %v", err)
	}
	var f sourcesFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("error decoding sources: %v", err)
	}
	return f
}

func loadRefData(t *testing.T) *RefData {
	t.Helper()
	d, err := LoadRefData(os.DirFS("testdata/fixtures"))
	if err != nil {
		t.Fatalf("error loading reference data: %v", err)
	}
	return d
}

// Every transformation sources.json names is registered with its kind, and
// every DAG's rules build a normalizer.
func TestSourcesRulesBuild(t *testing.T) {
	t.Parallel()
	f := loadSources(t)
	reg := DefaultRegistry()
	for _, name := range f.Kinds["column"] {
		if reg.Column[name] == nil {
			t.Errorf("column transformation %s is not registered", name)
		}
	}
	for _, name := range f.Kinds["dataframe"] {
		if reg.Row[name] == nil {
			t.Errorf("dataframe transformation %s is not registered", name)
		}
	}
	if got, want := len(reg.Names()), len(f.Transformations); got != want {
		t.Errorf("registry has %d transformations, sources.json %d", got, want)
	}
	file, err := os.Open("testdata/sources.json")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	dags, err := LoadSourceDAGs(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(dags) != 20 {
		t.Fatalf("got %d sources, want 20", len(dags))
	}
	ref := loadRefData(t)
	for _, dag := range dags {
		cfg, err := dag.Config(ref)
		if err != nil {
			t.Errorf("%s: %v", dag.DagID, err)
			continue
		}
		if len(cfg.ProductMapping) == 0 || len(cfg.NormalizationRules) == 0 {
			t.Errorf("%s: no product mapping or no rules", dag.DagID)
		}
		if _, err := NewNormalizer(cfg, Options{}); err != nil {
			t.Errorf("%s: %v", dag.DagID, err)
		}
	}
	var ocab SourceDAG
	for _, d := range dags {
		if d.DagID == "eo-ocab" {
			ocab = d
		}
	}
	if ocab.OCA == nil || ocab.OCA.Prefix != "ocab" || !ocab.OCA.DeduplicationSource {
		t.Errorf("eo-ocab oca = %+v", ocab.OCA)
	}
}

func TestRefData(t *testing.T) {
	t.Parallel()
	d := loadRefData(t)
	counts := map[string][2]int{
		"acteur types":    {len(d.ActeurTypes), 11},
		"sources":         {len(d.Sources), 76},
		"labels":          {len(d.Labels), 8},
		"categories":      {len(d.Categories), 24},
		"sous-categories": {len(d.SousCategories), 86},
		"actions":         {len(d.Actions), 11},
		"acteur services": {len(d.ActeurServices), 17},
		"mappings":        {len(d.ProductMappings), 5},
	}
	for what, c := range counts {
		if c[0] != c[1] {
			t.Errorf("%s: got %d, want %d", what, c[0], c[1])
		}
	}
	if d.SousCategories[0].Categorie == "" || len(d.ActeurServices[0].Actions) == 0 {
		t.Errorf("natural keys not read: %+v %+v", d.SousCategories[0], d.ActeurServices[0])
	}
	for _, key := range []string{"sous_categories", "sous_categories_cma", "sous_categories_qualirepar", "sous_categories_3eee"} {
		m, err := d.ProductMapping(key)
		if err != nil {
			t.Fatal(err)
		}
		if unknown := d.UnknownProductCodes(m); len(unknown) > 0 {
			t.Errorf("%s maps to unknown sous-categories %v", key, unknown)
		}
	}
	// The SINOE mapping names one code the fixtures lack (upstream data).
	sinoe, _ := d.ProductMapping("sous_categories_sinoe")
	if got := d.UnknownProductCodes(sinoe); len(got) != 1 || got[0] != "huile_alimentaire" {
		t.Errorf("sinoe unknown codes: %v", got)
	}
	for _, code := range ActeurTypeCodes() {
		if got := d.UnknownCodes(NewRow(Field{"acteur_type_code", String(code)})); got != nil {
			t.Errorf("acteur type mapping gives unknown code %s", code)
		}
	}
	bad := NewRow(Field{"source_code", String("nope")}, Field{"label_codes", Strings("ess", "x")})
	if got := d.UnknownCodes(bad); len(got["source_code"]) != 1 || len(got["label_codes"]) != 1 {
		t.Errorf("UnknownCodes(%v) = %v", bad, got)
	}
}

// ecosystemRow is a data-fair row of an eco-organism, as downloaded.
const ecosystemRow = `{
 "nom_de_lorganisme": " Répar'Tout ", "enseigne_commerciale": "Répar Tout",
 "longitudewgs84": "2,3522", "latitudewgs84": "48,8566",
 "ecoorganisme": " Ecosystem ", "type_de_point_de_collecte": "Artisan, commerce indépendant",
 "public_accueilli": "DMA", "exclusivite_de_reprisereparation": "non", "reprise": "1 pour 1",
 "produitsdechets_acceptes": "Cartouches | Chaussure", "consignes_dacces": " sonner ",
 "uniquement_sur_rdv": "oui", "adresse_complement": "N/A", "horaires_douverture": "Mo-Fr 09h00-12h00",
 "site_web": "www.repartout.fr", "email": "pas un email", "labels_etou_bonus": "Agréé Bonus Réparation|ESS",
 "id_point_apport_ou_reparation": " ID/123 ", "siret": "12345678901234", "siren": null,
 "adresse_format_ban": "3 rue de la Paix 75002 PARIS CEDEX 02", "telephone": "1 23 45 67 89",
 "point_dapport_de_service_reparation": "oui", "point_de_reparation": false,
 "point_dapport_pour_reemploi": "non", "point_de_collecte_ou_de_reprise_des_dechets": "Oui",
 "service_a_domicile": "oui", "perimetre_dintervention": "10 km|75",
 "_i": 1, "_id": "x", "_updatedAt": "2025", "_rand": 3, "_geopoint": "48,2", "filiere": "EEE", "_score": null,
 "latitudemercator": "1", "longitudemercator": "2", "accessible": "oui",
 "date_fin_point_ephemere": "", "date_debut_point_ephemere": ""
}`

func ecosystemConfig(t *testing.T) SourceConfig {
	t.Helper()
	f := loadSources(t)
	m, err := loadRefData(t).ProductMapping("sous_categories_3eee")
	if err != nil {
		t.Fatal(err)
	}
	return SourceConfig{DagID: "eo-ecosystem", NormalizationRules: f.EORules, ProductMapping: m, LabelBonusReparation: "bonusrepar"}
}

func TestNormalizeEORow(t *testing.T) {
	t.Parallel()
	cfg := ecosystemConfig(t)
	in, err := DecodeRow([]byte(ecosystemRow))
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNormalizer(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.NormalizeRow(in)
	if err != nil {
		t.Fatalf("NormalizeRow: %v", err)
	}
	if res.Dropped || len(res.Rows) != 1 {
		t.Fatalf("got %+v", res)
	}
	got := res.Rows[0]
	want := map[string]Value{
		"identifiant_unique":               String("ecosystem_ID-123"),
		"identifiant_externe":              String("ID/123"),
		"source_code":                      String("ecosystem"),
		"nom":                              String(" Répar'Tout "),
		"acteur_type_code":                 String("artisan"),
		"public_accueilli":                 String("Particuliers"),
		"exclusivite_de_reprisereparation": Bool(false),
		"uniquement_sur_rdv":               Bool(true),
		"reprise":                          String("1 pour 1"),
		"adresse_complement":               String(""),
		"consignes_dacces":                 String("sonner"),
		"horaires_osm":                     String("Mo-Fr 09:00-12:00"),
		"url":                              String("https://www.repartout.fr"),
		"email":                            String(""),
		"statut":                           String("ACTIF"),
		"latitude":                         Float(48.8566),
		"longitude":                        Float(2.3522),
		"location":                         String("0101000000a835cd3b4ed1024076e09c11a56d4840"),
		"label_codes":                      Strings("bonusrepar", "ess"),
		"siret":                            String("12345678901234"),
		"siren":                            String("123456789"),
		"adresse":                          String("3 rue de la Paix"),
		"code_postal":                      String("75002"),
		"ville":                            String("Paris"),
		"telephone":                        String("0123456789"),
		"acteur_service_codes":             Strings("service_de_reparation", "structure_de_collecte"),
		"action_codes":                     Strings("reparer", "trier"),
		"lieu_prestation":                  String(LieuSurPlaceOuADomicile),
		"sous_categorie_codes":             Strings("cartouches", "chaussures"),
	}
	for col, v := range want {
		if g, ok := got.Lookup(col); !ok || !g.Equal(v) {
			t.Errorf("%s = %s, want %s", col, g.AppendJSON(nil), v.AppendJSON(nil))
		}
	}
	if ps := got.Get("proposition_service_codes").Items(); len(ps) != 2 {
		t.Errorf("proposition_service_codes = %s", got.Get("proposition_service_codes").AppendJSON(nil))
	}
	if got.Has("_geopoint") || got.Has("ecoorganisme") || got.Has("site_web") {
		t.Errorf("origin or removed columns kept: %v", got.Columns())
	}
	if len(res.Logs) != 1 || res.Logs[0].Exception != ExcEmailWarning || res.Logs[0].IdentifiantUnique != "ecosystem_ID-123" {
		t.Errorf("logs = %+v", res.Logs)
	}
}

// A row without id nor nom: IdentifiantExterneError drops it, but the next
// rule (clean_identifiant_unique) then raises a plain ValueError, which
// fails the upstream task; Lenient drops the row instead.
func TestNormalizeBlockingAndLenient(t *testing.T) {
	t.Parallel()
	cfg := ecosystemConfig(t)
	in, _ := DecodeRow([]byte(ecosystemRow))
	in.Set("id_point_apport_ou_reparation", String(""))
	in.Set("nom_de_lorganisme", String("n/a"))
	_, err := Normalize([]Row{in}, cfg, Options{})
	var fe *FatalError
	if !errors.As(err, &fe) || ExceptionName(err) != ExcValueError || fe.Step != "clean_identifiant_unique" {
		t.Fatalf("strict: got %v", err)
	}
	n, _ := NewNormalizer(cfg, Options{Lenient: true})
	res, err := n.NormalizeRow(in)
	if err != nil || !res.Dropped || len(res.Rows) != 0 {
		t.Fatalf("lenient: got %+v, %v", res, err)
	}
	names := map[string]bool{}
	for _, l := range res.Logs {
		names[l.Exception] = l.Blocking
	}
	if !names[ExcIdentifiantExterneError] || !names[ExcValueError] {
		t.Errorf("lenient logs: %+v", res.Logs)
	}
	// An unknown acteur type fails the task from a column transform.
	in2, _ := DecodeRow([]byte(ecosystemRow))
	in2.Set("type_de_point_de_collecte", String("kiosque"))
	if _, err := Normalize([]Row{in2}, cfg, Options{}); ExceptionName(err) != ExcActeurTypeCodeError {
		t.Errorf("unknown acteur type: got %v", err)
	}
}

func TestOpeningHoursSyntax(t *testing.T) {
	t.Parallel()
	valid := []string{
		"24/7", "Mo-Fr 08:00-12:00,13:30-17:00", "Mo-Fr 08:00-12:00; Sa 09:00-12:00; PH off",
		"Mo,We,Fr 10:00-18:00", "Su[1,-1] 10:00-12:00", "Jan-Mar Mo-Fr 10:00-16:00", "Mo-Su sunrise-sunset",
		"Mo-Fr 09:00-12:00 \"sur rendez-vous\"", "off", "2024 Dec 24 off", "week 01-10 Mo 08:00-12:00",
		"Mo-Fr 08:00-18:00 || \"sur appel\"", "Mo 10:00-12:00, We 14:00-16:00", "Tu-Sa 10:00-19:00;",
		"Mo-Fr 22:00-02:00", "Sa 08:00+", "PH,Su closed",
	}
	for _, s := range valid {
		if !ValidOpeningHours(s) {
			t.Errorf("%q: want valid", s)
		}
	}
	invalid := []string{"", "fake", "Lundi 9h-12h", "Mo-Fr 9:00-12:00", "Mo-Fr 08:00-49:00", "Mo-Fx 08:00-12:00",
		"Mo-Fr 08:60-12:00", "Mo-Fr 08:00-12:00 ouvert", "Mo-Fr 08:00-12:00;;", "10:00-12:00 Mo"}
	for _, s := range invalid {
		if ValidOpeningHours(s) {
			t.Errorf("%q: want invalid", s)
		}
	}
	got, err := ConvertOpeningHours(String("Mo-Sa 09:00-12:00; We off; Sa 14:00-17:00, Su 10:00-11:00"), nil)
	want := "lundi: 09:00 - 12:00\nmardi: 09:00 - 12:00\nmercredi: Fermé\njeudi: 09:00 - 12:00\nvendredi: 09:00 - 12:00\nsamedi: 14:00 - 17:00\ndimanche: 10:00 - 11:00"
	if err != nil || got.Str() != want {
		t.Errorf("ConvertOpeningHours = %q, %v; want %q", got.Str(), err, want)
	}
	if _, err := ConvertOpeningHours(String("Mo-Fr 08:00-12:00; PH off"), nil); SeverityOf(err) != SeverityFatal {
		t.Errorf("holidays: got %v, want a fatal error as upstream", err)
	}
}

func TestValueJSONAndPyStr(t *testing.T) {
	t.Parallel()
	r, err := DecodeRow([]byte(`{"b":1,"a":[1.0,"x",null,{"k":true}],"c":1.5e20}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(r.AppendJSON(nil)); got != `{"b":1,"a":[1.0,"x",null,{"k":true}],"c":1.5e+20}` {
		t.Errorf("round trip: %s", got)
	}
	for _, c := range []struct {
		v    Value
		want string
	}{
		{r.Get("b"), "1"}, {r.Get("c"), "1.5e+20"}, {r.Get("a"), "[1.0, 'x', None, {'k': True}]"},
		{Float(75001), "75001.0"}, {Float(0.0001), "0.0001"}, {Missing, "None"}, {String("l'a"), "l'a"},
	} {
		if got := c.v.PyStr(); got != c.want {
			t.Errorf("PyStr(%s) = %q, want %q", c.v.AppendJSON(nil), got, c.want)
		}
	}
	if got := CleanNumber(Float(75001)); got != "75001" {
		t.Errorf("CleanNumber(75001.0) = %q", got)
	}
}

func BenchmarkNormalizeEORow(b *testing.B) {
	t := &testing.T{}
	cfg := ecosystemConfig(t)
	in, _ := DecodeRow([]byte(ecosystemRow))
	n, err := NewNormalizer(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.NormalizeRow(in); err != nil {
			b.Fatal(err)
		}
	}
}

func sourceDAGConfig(t *testing.T, dagID string) SourceConfig {
	t.Helper()
	file, err := os.Open("testdata/sources.json")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	dags, err := LoadSourceDAGs(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dags {
		if d.DagID == dagID {
			cfg, err := d.Config(loadRefData(t))
			if err != nil {
				t.Fatal(err)
			}
			return cfg
		}
	}
	t.Fatalf("no DAG %s", dagID)
	return SourceConfig{}
}

// source_sinoe keeps ANNEE through the rules: the single-year check runs
// after the expected-columns check, then drops the column.
func TestNormalizeSinoeYear(t *testing.T) {
	t.Parallel()
	cfg := sourceDAGConfig(t, "source_sinoe")
	cfg.DechetMapping = map[string]string{"01.3": "Déchets d'élagage"}
	row := func(id string, year int) Row {
		r, err := DecodeRow([]byte(`{"C_SERVICE":"` + id + `","N_SERVICE":"Déchèterie","AD1_SITE":"Route de Lyon","AD2_SITE":null,` +
			`"L_VILLE_SITE":"Saint-Étienne","CP_SITE":"42000","LST_TYPE_DECHET":"01.3","ORIGINE_DECHET_ACC":"DMA",` +
			`"TEL_SERVICE":"0477000000","_geopoint":"45.43,4.39","_id":"x","ANNEE":` + strconv.Itoa(year) + `}`))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	res, err := Normalize([]Row{row("D1", 2025), row("D2", 2025)}, cfg, Options{})
	if err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	if len(res.Rows) != 2 || res.Rows[0].Has("ANNEE") || res.Rows[0].Get("identifiant_unique").Str() != "ademesinoedecheteries_D1" {
		t.Fatalf("rows = %v", res.Rows)
	}
	_, err = Normalize([]Row{row("D1", 2024), row("D2", 2025)}, cfg, Options{})
	var fe *FatalError
	if !errors.As(err, &fe) || fe.Step != "df_normalize_sinoe" || fe.Row != 1 {
		t.Fatalf("two years: got %v", err)
	}
	// Every row dropped (an unknown waste code): no row left, not a year error.
	cfg.DechetMapping = map[string]string{}
	_, err = Normalize([]Row{row("D1", 2025)}, cfg, Options{Lenient: true})
	if !errors.As(err, &fe) || fe.Step != "source_data_normalize" {
		t.Fatalf("every row dropped: got %v", err)
	}
}

// dechet_mapping is either the mapping or where to fetch it (url and
// key_field), even when every setting is a string.
func TestDechetMappingParam(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		param   string
		mapping int
		url     string
	}{
		"sources.json default": {`{"fetched_when_dag_file_is_parsed": true, "url": "https://x/lines", "response_list_key": "results", "key_field": "C", "value_field": "L", "value_field_fallback": "LST"}`, 0, "https://x/lines"},
		"settings all strings": {`{"url": "https://x/lines", "key_field": "C", "value_field": "L"}`, 0, "https://x/lines"},
		"mapping":              {`{"01.3": "Déchets verts", "url": "not a setting"}`, 2, ""},
		"empty":                {`{}`, 0, ""},
	} {
		var cfg SourceConfig
		if err := json.Unmarshal([]byte(`{"dechet_mapping": `+c.param+`}`), &cfg); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		url := ""
		if cfg.DechetMappingSource != nil {
			url = cfg.DechetMappingSource.URL
		}
		if len(cfg.DechetMapping) != c.mapping || url != c.url {
			t.Errorf("%s: mapping %v, source %+v", name, cfg.DechetMapping, cfg.DechetMappingSource)
		}
	}
}

// A rule that cannot be read is named by its position and its text (a
// number said "cannot unmarshal number into Go value of type
// map[string]json.RawMessage", naming neither).
func TestRuleDecodeErrorNamesTheRule(t *testing.T) {
	t.Parallel()
	for rules, want := range map[string]string{
		`[{"remove": "a"}, 42]`: "normalization_rules[1]: error decoding rule 42: a rule is a JSON object",
		`[null]`:                "normalization_rules[0]: error decoding rule null: a rule is a JSON object",
		`[{"remove": "a"}, {"remove": "b"}, {"x": 1}]`: `normalization_rules[2]: error decoding rule {"x": 1}: unknown rule shape`,
	} {
		var cfg SourceConfig
		err := json.Unmarshal([]byte(`{"normalization_rules": `+rules+`}`), &cfg)
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %q", rules, err, want)
		}
	}
}

// A dechet_mapping that is neither the mapping (every label a string) nor
// where to fetch it (url, key_field and value_field) is an error naming the
// parameter: it was ignored, so every row failed on its first waste code
// and the run ended with "no row left" and no word of the parameter.
func TestDechetMappingParamInvalid(t *testing.T) {
	t.Parallel()
	for param, want := range map[string]string{
		`["01.3"]`:                       "is not an object",
		`"01.3"`:                         "is not an object",
		`{"01.3": 5, "02.31": "Plâtre"}`: `the label of waste code "01.3" is 5, not a string`,
		`{"01.3": null}`:                 `the label of waste code "01.3" is null, not a string`,
		`{"url": "https://x/lines"}`:     "needs url, key_field and value_field",
		`{"url": "https://x", "key_field": "C", "value_field": 3}`: "needs url, key_field and value_field",
		`{"key_field": "C", "value_field": "L"}`:                   "needs url, key_field and value_field",
	} {
		var cfg SourceConfig
		err := json.Unmarshal([]byte(`{"dechet_mapping": `+param+`}`), &cfg)
		if err == nil || !strings.Contains(err.Error(), "dechet_mapping: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one naming dechet_mapping and %q", param, err, want)
		}
	}
}

// A row Lenient drops where upstream fails the task (a blocking error of a
// column transform: unknown acteur type or product label) names the acteurs
// it stands for in KeepIDs (each OCA source's one), so that their stored
// acteurs are left alone; a row dropped as upstream drops it (a blocking
// error of a dataframe transform) names none: upstream deletes its acteur.
func TestNormalizeLenientDropKeepIDs(t *testing.T) {
	t.Parallel()
	row := func(col, val string) Row {
		in, _ := DecodeRow([]byte(ecosystemRow))
		in.Set(col, String(val))
		return in
	}
	ocab := ecosystemConfig(t)
	ocab.OCA = &OCAConfig{Prefix: "ocab", DeduplicationSource: true}
	for _, c := range []struct {
		name string
		cfg  SourceConfig
		in   Row
		want []string
	}{
		{"unknown acteur type", ecosystemConfig(t), row("type_de_point_de_collecte", "kiosque"), []string{"ecosystem_ID-123"}},
		{"unknown product", ecosystemConfig(t), row("produitsdechets_acceptes", "Fusée à eau"), []string{"ecosystem_ID-123"}},
		{"unknown product, OCA", ocab, row("produitsdechets_acceptes", "Fusée à eau"), []string{"ocab_ecosystem_ID-123"}},
		{"OCA sources", ocab, func() Row {
			in := row("produitsdechets_acceptes", "Fusée à eau")
			in.Set("ecoorganisme", String("Ecomaison | Valdelia"))
			return in
		}(), []string{"ocab_ecomaison_ID-123", "ocab_valdelia_ID-123"}},
		// A BAN request that fails (RequestException, uncaught upstream) in
		// a dataframe transform: the acteur must not be deleted for it.
		{"BAN unreachable", func() SourceConfig {
			cfg := ecosystemConfig(t)
			cfg.ValidateAddressWithBAN = true
			cfg.AddressLookup = func(string) (AddressMatch, bool, error) {
				return AddressMatch{}, false, errors.New("connection refused")
			}
			return cfg
		}(), row("adresse_format_ban", "3 rue de la Paix 75002 Paris"), []string{"ecosystem_ID-123"}},
		// IdentifiantExterneError (dataframe transform) then ValueError: no id.
		{"no id nor nom", ecosystemConfig(t), func() Row {
			in := row("id_point_apport_ou_reparation", "")
			in.Set("nom_de_lorganisme", String(""))
			return in
		}(), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := NewNormalizer(c.cfg, Options{Lenient: true})
			if err != nil {
				t.Fatal(err)
			}
			res, err := n.NormalizeRow(c.in)
			if err != nil || !res.Dropped {
				t.Fatalf("got %+v, %v; want a dropped row", res, err)
			}
			if !slices.Equal(res.KeepIDs, c.want) {
				t.Errorf("KeepIDs = %q, want %q", res.KeepIDs, c.want)
			}
		})
	}
}

// A lookup saying the BAN is down (ErrUnavailable) fails the task even
// when Lenient: dropping every row, a lookup and its retries at a time,
// took hours on a large source and left nothing.
func TestNormalizeLenientFailsWhenTheBANIsUnavailable(t *testing.T) {
	t.Parallel()
	cfg := ecosystemConfig(t)
	cfg.ValidateAddressWithBAN = true
	cfg.AddressLookup = func(string) (AddressMatch, bool, error) {
		return AddressMatch{}, false, fmt.Errorf("%w: the BAN failed 3 lookups in a row", ErrUnavailable)
	}
	n, err := NewNormalizer(cfg, Options{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := DecodeRow([]byte(ecosystemRow))
	res, err := n.NormalizeRow(in)
	var fe *FatalError
	if !errors.As(err, &fe) || fe.Step != "clean_adresse" || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %+v, %v; want the task to fail in clean_adresse", res, err)
	}
}

// A dataframe rule whose origin lacks a column its transformation reads
// (compute_location with origin [latitude]) is refused when the
// normalizer is built, naming the rule and the column: upstream the
// KeyError failed the task; here every row lost its location and every
// acteur but the digital ones was dropped (then suggested for deletion).
// Every DAG's own rules pass.
func TestNormalizerRefusesADataframeRuleMissingAnOrigin(t *testing.T) {
	t.Parallel()
	for _, origins := range [][]string{{"latitude"}, {}} {
		cfg := ecosystemConfig(t)
		var rules []Rule
		for _, r := range cfg.NormalizationRules {
			if r.Transformation == "compute_location" {
				r.Origins = origins
			}
			rules = append(rules, r)
		}
		cfg.NormalizationRules = rules
		_, err := NewNormalizer(cfg, Options{Lenient: true})
		if err == nil || !strings.Contains(err.Error(), "normalization_rules[") ||
			!strings.Contains(err.Error(), "compute_location reads a column its origin") || !strings.Contains(err.Error(), "'longitude'") &&
			!strings.Contains(err.Error(), "'latitude'") {
			t.Errorf("origin %q: err = %v", origins, err)
		}
	}
	file, err := os.Open("testdata/sources.json")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	dags, err := LoadSourceDAGs(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dags {
		cfg := sourceDAGConfig(t, d.DagID)
		cfg.ValidateAddressWithBAN = true
		if _, err := NewNormalizer(cfg, Options{}); err != nil {
			t.Errorf("%s: %v", d.DagID, err)
		}
	}
}

// A rename whose origin the data lacks changes nothing, as pandas' rename:
// a data set giving longitude/latitude instead of longitudewgs84/
// latitudewgs84 kept them; deleting the destination first dropped every
// row as without location. A column renamed to itself stays too.
func TestRenameOfAnAbsentOriginKeepsTheDestination(t *testing.T) {
	t.Parallel()
	cfg := ecosystemConfig(t)
	cfg.NormalizationRules = append(cfg.NormalizationRules, Rule{Kind: RuleRename, Origin: "siret", Destination: "siret"})
	n, err := NewNormalizer(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := DecodeRow([]byte(ecosystemRow))
	in.Rename("longitudewgs84", "longitude")
	in.Rename("latitudewgs84", "latitude")
	in.Set("siret", String("12345678901234"))
	res, err := n.NormalizeRow(in)
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("got %+v, %v", res, err)
	}
	out := res.Rows[0]
	if !out.Get("location").Truthy() || out.Get("siret").PyStr() != "12345678901234" {
		t.Errorf("location %s, siret %s: want both kept", out.Get("location").PyStr(), out.Get("siret").PyStr())
	}
}

// MissingColumns names the columns the rules read that a table lacks (its
// header and what earlier rules add): none for the real headers of the
// pharmacies CSV and of an eco-organism's data, every read column for a
// CSV split on the wrong separator (one column).
func TestMissingColumns(t *testing.T) {
	t.Parallel()
	normalizer := func(id string) *Normalizer {
		n, err := NewNormalizer(sourceDAGConfig(t, id), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	pharmacies := normalizer("pharmacies")
	header := []string{"Numéro d'établissement", "Raison sociale", "Dénomination commerciale", "Adresse", "Code postal",
		"Commune", "Téléphone", "Fax", "Région", "Département", "Type établissement"}
	if got := pharmacies.MissingColumns(header); len(got) != 0 {
		t.Errorf("pharmacies header: missing %q", got)
	}
	if got := pharmacies.MissingColumns([]string{strings.Join(header, ",")}); !slices.Equal(got, []string{"Raison sociale",
		"Dénomination commerciale", "Adresse", "Code postal", "Commune", "Téléphone", "identifiant_externe"}) {
		t.Errorf("comma-separated header: missing %q", got)
	}
	renamed := slices.Clone(header)
	renamed[4] = "CP"
	if got := pharmacies.MissingColumns(renamed); !slices.Equal(got, []string{"Code postal"}) {
		t.Errorf("renamed header: missing %q", got)
	}
	eco, _ := DecodeRow([]byte(ecosystemRow))
	if got := normalizer("eo-ecosystem").MissingColumns(eco.Columns()); len(got) != 0 {
		t.Errorf("eo-ecosystem columns: missing %q", got)
	}
}
