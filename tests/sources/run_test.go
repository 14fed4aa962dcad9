package sources_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/lvao/dataplatform/local/cli"
	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/shared/engine"
)

func TestSourceDagFromDataFairToSuggestions(t *testing.T) {
	t.Parallel()
	df := &dataFair{pageSize: 2}
	df.set([]map[string]any{
		ecosystemRow("A1", "Répar Un", "Artisan, commerce indépendant", "Cartouches", 48.85),
		ecosystemRow("A2", "Répar Deux", "Artisan, commerce indépendant", "Chaussure", 48.86),
		ecosystemRow("A3", "Répar Trois", "Artisan, commerce indépendant", "Cartouches | Chaussure", 48.87),
		// An unknown acteur type (LVAO's Python fails the whole task): dropped with an ERROR log.
		ecosystemRow("A4", "Inconnu", "Vaisseau spatial", "Cartouches", 48.88),
		ecosystemRow("A5", "Répar Cinq", "Artisan, commerce indépendant", "Cartouches", 48.89),
		// An unknown product label: dropped with an ERROR log too.
		ecosystemRow("A6", "Répar Six", "Artisan, commerce indépendant", "Fusée à eau", 48.90),
	})
	p := newPlatform(t, df)
	h := p.start()
	// The webapp already has three acteurs of the source: A1 and A2 (in the
	// data, with other values), X9 (ACTIF, no longer in the data).
	for _, id := range []string{"A1", "A2", "X9"} {
		p.insertActeur("ecosystem_"+id, id)
	}
	run := h.trigger(p.conf())
	if doc := h.wait(run); doc.State != "success" {
		t.Fatalf("first run %s: %v", doc.State, taskStates(doc))
	}
	// AJOUT: A3, A5; MODIF: A1, A2; SUP: X9 (A4 was dropped: its acteur is neither created nor touched).
	if got := p.cohorts(); got != "AJOUT=2 MODIF=2 SUP=1" {
		t.Errorf("groups by cohort after the first run: %s", got)
	}
	first := p.counts()
	t.Logf("first run: %s", first)
	// The dropped row's log names the row, the column and the value.
	var cols, vals []string
	var msg string
	err := p.webapp.QueryRow(t.Context(), `SELECT origine_colonnes, origine_valeurs, message FROM data_suggestionlog
		WHERE niveau_de_log = 'ERROR' AND identifiant_unique = 'ecosystem_A4'`).Scan(&cols, &vals, &msg)
	if err != nil || strings.Join(cols, ",") != "type_de_point_de_collecte" || strings.Join(vals, ",") != "Vaisseau spatial" {
		t.Errorf("ERROR log of the dropped row: %v %v %q %v", cols, vals, msg, err)
	}
	err = p.webapp.QueryRow(t.Context(), `SELECT origine_colonnes, origine_valeurs, message FROM data_suggestionlog
		WHERE niveau_de_log = 'ERROR' AND identifiant_unique = 'ecosystem_A6'`).Scan(&cols, &vals, &msg)
	if err != nil || strings.Join(cols, ",") != "produitsdechets_acceptes" || strings.Join(vals, ",") != "Fusée à eau" {
		t.Errorf("ERROR log of the unknown product: %v %v %q %v", cols, vals, msg, err)
	}
	// Re-running the write task of the same run adds nothing.
	h.clear(run, "db_write_type_action_suggestions")
	if doc := h.wait(run); doc.State != "success" {
		t.Fatalf("re-run of the write task: %s", doc.State)
	}
	if again := p.counts(); again != first {
		t.Errorf("re-running the write task changed the suggestions: %s -> %s", first, again)
	}
	// A second run with changed pages: A2 gone (deleted), A1 changed again.
	df.set([]map[string]any{
		ecosystemRow("A1", "Répar Un Bis", "Artisan, commerce indépendant", "Cartouches", 48.85),
		ecosystemRow("A3", "Répar Trois", "Artisan, commerce indépendant", "Cartouches | Chaussure", 48.87),
	})
	run2 := h.trigger(p.conf())
	if doc := h.wait(run2); doc.State != "success" {
		t.Fatalf("second run %s: %v", doc.State, taskStates(doc))
	}
	if got := p.cohortsOf(run2); got != "AJOUT=1 MODIF=1 SUP=2" {
		t.Errorf("groups by cohort of the second run: %s (want A3 created, A1 updated, A2 and X9 deleted)", got)
	}
}

func TestSourceDagDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	df := &dataFair{pageSize: 5}
	df.set([]map[string]any{ecosystemRow("A1", "Répar Un", "Artisan, commerce indépendant", "Cartouches", 48.85)})
	p := newPlatform(t, df)
	code, doc, stderr := p.run(map[string]any{"dry_run": true})
	if code != 0 {
		t.Fatalf("exit %d %v %s", code, taskStates(doc), stderr)
	}
	if got := p.counts(); got != "cohorts=0 groups=0 units=0 logs=0" {
		t.Errorf("dry run wrote: %s", got)
	}
	for _, task := range doc.Tasks {
		if task.TaskID == "db_write_type_action_suggestions" && !strings.Contains(string(task.Result), `"cohorts": 1`) {
			t.Errorf("dry run result %s", task.Result)
		}
	}
}

func TestSourceDagBadInputWritesNothing(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		status int
		raw    string
		rows   []map[string]any
		want   string
	}{
		{name: "http 500", status: 500, want: "500"},
		{name: "invalid json", raw: `{"results": [{"a": 1}, `, want: "invalid JSON"},
		{name: "empty", rows: []map[string]any{}, want: "no data"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			df := &dataFair{pageSize: 10}
			df.set(c.rows)
			df.status, df.raw = c.status, c.raw
			p := newPlatform(t, df)
			code, doc, _ := p.run(nil)
			if code != 1 || taskStates(doc)["source_data_download"] != "failed" {
				t.Fatalf("exit %d tasks %v", code, taskStates(doc))
			}
			for _, task := range doc.Tasks {
				if task.TaskID == "source_data_download" && !strings.Contains(task.Error, c.want) {
					t.Errorf("error %q lacks %q", task.Error, c.want)
				}
			}
			if got := p.counts(); got != "cohorts=0 groups=0 units=0 logs=0" {
				t.Errorf("written: %s", got)
			}
		})
	}
}

func TestSourceDagMissingColumnFailsAndWritesNothing(t *testing.T) {
	t.Parallel()
	row := ecosystemRow("A1", "Répar Un", "Artisan, commerce indépendant", "Cartouches", 48.85)
	delete(row, "ecoorganisme") // the column that gives source_code
	df := &dataFair{pageSize: 5}
	df.set([]map[string]any{row})
	p := newPlatform(t, df)
	code, doc, _ := p.run(map[string]any{"metadata_endpoint": ""})
	if code != 1 {
		t.Fatalf("exit %d tasks %v", code, taskStates(doc))
	}
	var failed []string
	for _, task := range doc.Tasks {
		if task.State == "failed" {
			failed = append(failed, task.TaskID+": "+task.Error)
		}
	}
	t.Logf("failed: %v", failed)
	if len(failed) != 1 || !strings.Contains(failed[0], "source_code") || !strings.Contains(failed[0], "no row left after normalisation") {
		t.Errorf("want one failed task naming source_code, got %v", failed)
	}
	if got := p.counts(); got != "cohorts=0 groups=0 units=0 logs=0" {
		t.Errorf("written: %s", got)
	}
}

func TestPharmaciesUTF8InsteadOfUTF16Fails(t *testing.T) {
	t.Parallel()
	p, doc := runPharmaciesZip(t, []byte("Numéro d'établissement;Dénomination commerciale;Adresse\n123;Pharmacie;1 rue\n"), "source_data_download")
	for _, task := range doc.Tasks {
		if task.TaskID == "source_data_download" && !strings.Contains(task.Error, "not UTF-16-LE") {
			t.Errorf("error %q", task.Error)
		}
	}
	if got := p.counts(); got != "cohorts=0 groups=0 units=0 logs=0" {
		t.Errorf("written: %s", got)
	}
}

// JSON sources leave out null fields (data-fair, the CMA API): without a
// schema, rows lacking a key another row has are normalised as if the key
// were null, as pandas built one frame of every key.
func TestSourceDagRowsWithoutSomeKeys(t *testing.T) {
	t.Parallel()
	a1 := ecosystemRow("A1", "Répar Un", "Artisan, commerce indépendant", "Cartouches", 48.85)
	delete(a1, "adresse_complement")
	delete(a1, "siret")
	a2 := ecosystemRow("A2", "Répar Deux", "Artisan, commerce indépendant", "Cartouches", 48.86)
	delete(a2, "enseigne_commerciale") // renamed to nom_commercial
	df := &dataFair{pageSize: 1}
	df.set([]map[string]any{a1, a2})
	p := newPlatform(t, df)
	code, doc, stderr := p.run(map[string]any{"metadata_endpoint": ""})
	if code != 0 {
		for _, task := range doc.Tasks {
			if task.Error != "" {
				t.Logf("%s: %s", task.TaskID, task.Error)
			}
		}
		t.Fatalf("exit %d tasks %v %s", code, taskStates(doc), stderr)
	}
	if got := p.cohorts(); got != "AJOUT=2" {
		t.Errorf("groups by cohort: %s", got)
	}
}

// A pharmacies CSV split on another separator (here ',') has one column: the
// normalisation fails naming the columns its rules read and the header it
// found (LVAO failed with KeyError), instead of dropping every row as
// without identifiant, or, with one header renamed, blanking that field on
// every pharmacy.
func TestPharmaciesOtherSeparatorFailsNamingColumns(t *testing.T) {
	t.Parallel()
	csv := "Numéro d'établissement,Raison sociale,Dénomination commerciale,Adresse,Code postal,Commune,Téléphone\n" +
		"123,SELARL Pharmacie,Pharmacie,1 rue,75002,Paris,0140000000\n"
	var utf16le []byte
	for _, u := range utf16.Encode([]rune(csv)) {
		utf16le = append(utf16le, byte(u), byte(u>>8))
	}
	p, doc := runPharmaciesZip(t, utf16le, "source_data_normalize")
	for _, task := range doc.Tasks {
		if task.TaskID == "source_data_normalize" && (!strings.Contains(task.Error, `"Raison sociale"`) ||
			!strings.Contains(task.Error, `"Numéro d'établissement,Raison sociale,`)) {
			t.Errorf("error %q should name the missing columns and the header found", task.Error)
		}
	}
	if got := p.counts(); got != "cohorts=0 groups=0 units=0 logs=0" {
		t.Errorf("written: %s", got)
	}
}

// runPharmaciesZip runs the pharmacies DAG on a ZIP holding csv (as the
// annuaire's etablissements.csv) served locally, and checks that the run
// failed at task failing (exit 1); it returns the platform and the run.
func runPharmaciesZip(t *testing.T, csv []byte, failing string) (*platform, engine.RunDoc) {
	t.Helper()
	var zipBody bytes.Buffer
	zw := zip.NewWriter(&zipBody)
	f, _ := zw.Create("etablissements.csv")
	_, _ = f.Write(csv)
	_ = zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(zipBody.Bytes())
	}))
	t.Cleanup(srv.Close)
	p := newPlatform(t, &dataFair{})
	var out, errb bytes.Buffer
	m := &cli.Main{Env: harness.MapEnv(p.env), Stdout: &out, Stderr: &errb}
	code := m.Run(context.Background(), []string{"dag", "run", "pharmacies", "--json", "--timeout", "1m",
		"--s3-dir", p.s3Dir, "--conf", `{"endpoint": "` + srv.URL + `/annuaire_csv.zip"}`})
	var doc engine.RunDoc
	_ = json.Unmarshal(out.Bytes(), &doc)
	if code != 1 || taskStates(doc)[failing] != "failed" {
		t.Fatalf("exit %d tasks %v %s", code, taskStates(doc), errb.String())
	}
	return p, doc
}
