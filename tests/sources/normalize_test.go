package sources_test

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// When normalisation leaves no row, the error counts the rows dropped by
// blocking errors (a row without id nor nom raises two errors but is one
// row) and names the rows the whole-table step dropped (here, without
// location), rather than "0 dropped".
func TestSourceDagNoRowLeftNamesWhy(t *testing.T) {
	t.Parallel()
	df := &dataFair{pageSize: 5}
	df.set([]map[string]any{
		ecosystemRow("", "", "Artisan, commerce indépendant", "Cartouches", 48.85),
		ecosystemRow("A2", "Répar Deux", "Artisan, commerce indépendant", "Cartouches", 0),
	})
	p := newPlatform(t, df)
	code, doc, stderr := p.run(nil)
	if code != 1 || taskStates(doc)["source_data_normalize"] != "failed" {
		t.Fatalf("exit %d tasks %v %s", code, taskStates(doc), stderr)
	}
	for _, task := range doc.Tasks {
		if task.TaskID != "source_data_normalize" {
			continue
		}
		for _, want := range []string{"2 rows read, 1 dropped by blocking errors (2 errors)",
			"Nombre d'acteurs filtrés car sans localisation (non digitaux): 1"} {
			if !strings.Contains(task.Error, want) {
				t.Errorf("error %q lacks %q", task.Error, want)
			}
		}
	}
	if got := p.counts(); got != "cohorts=0 groups=0 units=0 logs=0" {
		t.Errorf("written: %s", got)
	}
}

// A NUL character in the data (Postgres text cannot hold it) is removed at
// download: it failed the suggestion write of the whole cohort, on every
// retry, with an error naming no row.
func TestSourceDagNULCharacterIsRemoved(t *testing.T) {
	t.Parallel()
	row := ecosystemRow("A1", "Nul\x00Byte", "Artisan, commerce indépendant", "Cartouches", 48.85)
	row["consignes_dacces"] = "sonner\x00"
	df := &dataFair{pageSize: 5}
	df.set([]map[string]any{row})
	p := newPlatform(t, df)
	code, doc, stderr := p.run(nil)
	if code != 0 {
		t.Fatalf("exit %d tasks %v %s", code, taskStates(doc), stderr)
	}
	var nom string
	err := p.webapp.QueryRow(t.Context(), `SELECT valeurs[1] FROM data_suggestionunitaire WHERE champs = '{nom}'`).Scan(&nom)
	if err != nil || nom != "NulByte" {
		t.Errorf("nom suggested: %q %v", nom, err)
	}
}

// The "no row left" error quotes the most frequent causes cut to 120
// characters: a cut inside a multi-byte character (an unknown product
// label of 'é's) made the error invalid UTF-8, Postgres refused to record
// the failure, and the attempt ended as a zombie once its lease expired,
// its message lost.
func TestSourceDagNoRowLeftErrorCutsOnCharacters(t *testing.T) {
	t.Parallel()
	df := &dataFair{pageSize: 5}
	df.set([]map[string]any{ecosystemRow("A1", "Répar Un", "Artisan, commerce indépendant", strings.Repeat("é", 100), 48.85)})
	p := newPlatform(t, df)
	code, doc, stderr := p.run(nil)
	if code != 1 || taskStates(doc)["source_data_normalize"] != "failed" {
		t.Fatalf("exit %d tasks %v %s", code, taskStates(doc), stderr)
	}
	for _, task := range doc.Tasks {
		if task.TaskID == "source_data_normalize" && (!utf8.ValidString(task.Error) ||
			!strings.Contains(task.Error, "clean_sous_categorie_codes on produitsdechets_acceptes ('éé")) {
			t.Errorf("error %q should name the unknown label, in valid UTF-8", task.Error)
		}
	}
}

// A NUL character in a column name (a JSON key "bad\u0000col") is removed
// at download too: the download's result lists the columns, Postgres jsonb
// refuses U+0000, and the download, though done, ended as a zombie with no
// message. Now the extra column fails the normalisation, named.
func TestSourceDagNULCharacterInColumnNameIsRemoved(t *testing.T) {
	t.Parallel()
	row := ecosystemRow("A1", "Répar Un", "Artisan, commerce indépendant", "Cartouches", 48.85)
	row["bad\x00col"] = "x"
	df := &dataFair{pageSize: 5}
	df.set([]map[string]any{row})
	p := newPlatform(t, df)
	code, doc, stderr := p.run(map[string]any{"metadata_endpoint": ""})
	if code != 1 || taskStates(doc)["source_data_download"] != "success" || taskStates(doc)["source_data_normalize"] != "failed" {
		t.Fatalf("exit %d tasks %v %s", code, taskStates(doc), stderr)
	}
	for _, task := range doc.Tasks {
		if task.TaskID == "source_data_normalize" && !strings.Contains(task.Error, "Colonnes en trop: [badcol]") {
			t.Errorf("error %q should name the extra column", task.Error)
		}
	}
}
