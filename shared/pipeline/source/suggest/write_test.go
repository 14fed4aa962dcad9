package suggest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// Expected rows of the scenario's first run: creations 10 and 11 (15
// units each: every non-empty field of the row), update of 2 (nom,
// latitude+longitude), deletion of 3 (Acteur and RevisionActeur units);
// logs: AJOUT gets the 4 errors of dropped rows (1 from normalisation, 3
// from validation) and the warning of 10, MODIF the warnings of 2 and of
// the unchanged 1; the error naming the deleted 3 is not written.
var run1Counts = Counts{Cohorts: 3, Groups: 4, Units: 34, Logs: 7, LogsNotWritten: 1}

func checkCounts(t *testing.T, got, want Counts) {
	t.Helper()
	got.ByAction = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
}

func checkTables(t *testing.T, pool *pgxpool.Pool, cohorts, groups, units, logs, suggestions int) {
	t.Helper()
	want := map[string]int{"data_suggestioncohorte": cohorts, "data_suggestiongroupe": groups,
		"data_suggestionunitaire": units, "data_suggestionlog": logs, "data_suggestion": suggestions}
	if got := tableCounts(t, pool); !reflect.DeepEqual(got, want) {
		t.Errorf("table rows = %v, want %v", got, want)
	}
}

// jsonEqual compares a jsonb value with a Go value by their JSON.
func jsonEqual(t *testing.T, got []byte, want any) bool {
	t.Helper()
	w, _ := json.Marshal(want)
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("decode %s: %v", got, err)
	}
	_ = json.Unmarshal(w, &b)
	return reflect.DeepEqual(a, b)
}

func TestSourceRunWritesSuggestions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := setupScenario(t)
	res, err := runPipeline(t, pool, run1, scenarioRows(), scenarioLogs(), WriteOptions{Logger: quiet})
	if err != nil {
		t.Fatalf("write: %v", err)
	}

	wantValidate := ValidateStats{Rows: 8, Valid: 5, Dropped: 3, SourceCodes: []string{"ecomaison"},
		DroppedIDs: []string{"ecomaison_6", "ecomaison_12", "ecomaison_13"}}
	if !reflect.DeepEqual(res.validate, wantValidate) {
		t.Errorf("validate = %+v, want %+v", res.validate, wantValidate)
	}
	wantDiff := DiffStats{Created: 2, Updated: 1, Deleted: 1, Unchanged: 1, Kept: 1, AnonymizedIgnored: 1,
		UpdatesByField: map[string]FieldDiff{"nom": {Modif: 1}, "latitude": {Modif: 1}, "longitude": {Modif: 1}}}
	if !reflect.DeepEqual(res.diff, wantDiff) {
		t.Errorf("diff = %+v, want %+v", res.diff, wantDiff)
	}
	checkCounts(t, res.counts, run1Counts)
	checkTables(t, pool, 3, 4, 34, 7, 0)

	// Cohorts: one per action, LVAO's names and metadata.
	rows, err := pool.Query(ctx, `SELECT identifiant_action, identifiant_execution, type_action, statut, metadata
		FROM data_suggestioncohorte ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type cohorte struct {
		action, exec, typ, statut string
		meta                      []byte
	}
	var cohorts []cohorte
	for rows.Next() {
		var c cohorte
		if err := rows.Scan(&c.action, &c.exec, &c.typ, &c.statut, &c.meta); err != nil {
			t.Fatal(err)
		}
		cohorts = append(cohorts, c)
	}
	want := []struct {
		action, typ string
		meta        map[string]any
	}{
		{"eo-ecomaison - AJOUT", "SOURCE_AJOUT", map[string]any{MetaActeursToCreate: 2, MetaErrorLines: 4, MetaIgnoredValues: 1}},
		{"eo-ecomaison - SUP", "SOURCE_SUPRESSION", map[string]any{MetaActeursToDelete: 1}},
		{"eo-ecomaison - MODIF", "SOURCE_MODIFICATION", map[string]any{MetaActeursToUpdate: 1, MetaIgnoredUpdated: 1,
			MetaIgnoredUnchanged: 1, MetaAnonymizedIgnored: 1, MetaUpdatesByField: map[string]any{
				" ": []string{"MODIF", "SUP", "AJOUT"}, "nom": []int{1, 0, 0}, "latitude": []int{1, 0, 0}, "longitude": []int{1, 0, 0}}}},
	}
	if len(cohorts) != len(want) {
		t.Fatalf("cohorts = %d, want %d", len(cohorts), len(want))
	}
	for i, w := range want {
		c := cohorts[i]
		if c.action != w.action || c.typ != w.typ || c.exec != "manual - 2025-08-01T10:00:00+00:00" || c.statut != "AVALIDER" {
			t.Errorf("cohort %d = %s / %s / %s / %s", i, c.action, c.exec, c.typ, c.statut)
		}
		w.meta[transform.MetadataNoSousCategorieFiltered] = "1"
		if !jsonEqual(t, c.meta, w.meta) {
			t.Errorf("cohort %s metadata = %s, want %v", w.action, c.meta, w.meta)
		}
	}

	// Logs: per cohort and level; validation errors name row, column, value.
	logCounts := map[string]int{}
	lrows, _ := pool.Query(ctx, `SELECT c.type_action || ' ' || l.niveau_de_log FROM data_suggestionlog l
		JOIN data_suggestioncohorte c ON c.id = l.suggestion_cohorte_id`)
	for lrows.Next() {
		var k string
		_ = lrows.Scan(&k)
		logCounts[k]++
	}
	if want := map[string]int{"SOURCE_AJOUT ERROR": 4, "SOURCE_AJOUT WARNING": 1, "SOURCE_MODIFICATION WARNING": 2}; !reflect.DeepEqual(logCounts, want) {
		t.Errorf("logs = %v, want %v", logCounts, want)
	}
	for id, parts := range map[string][]string{
		"ecomaison_12": {"acteur_type_code", "type_inconnu"},
		"ecomaison_13": {"sous_categorie_codes", "produit_inconnu"},
		"ecomaison_6":  {"label_codes", "label_inconnu"},
	} {
		var msg, fn, level string
		var cols []string
		err := pool.QueryRow(ctx, `SELECT message, fonction_de_transformation, niveau_de_log, origine_colonnes
			FROM data_suggestionlog WHERE identifiant_unique = $1`, id).Scan(&msg, &fn, &level, &cols)
		if err != nil || fn != ValidateFunction || level != LevelError || !slices.Equal(cols, parts[:1]) ||
			!strings.Contains(msg, parts[0]) || !strings.Contains(msg, parts[1]) || !strings.Contains(msg, id) {
			t.Errorf("log of %s = %q %q %q %v, %v", id, msg, fn, level, cols, err)
		}
	}

	// Groups point to the acteur, its revision and the revision's parent.
	var acteur, revision, parent *string
	var contexte []byte
	err = pool.QueryRow(ctx, `SELECT g.acteur_id, g.revision_acteur_id, g.parent_revision_acteur_id, g.contexte
		FROM data_suggestiongroupe g JOIN data_suggestioncohorte c ON c.id = g.suggestion_cohorte_id
		WHERE c.type_action = 'SOURCE_SUPRESSION'`).Scan(&acteur, &revision, &parent, &contexte)
	if err != nil || *acteur != "ecomaison_3" || *revision != "ecomaison_3" || *parent != "parent_1" {
		t.Errorf("deletion group = %v %v %v, %v", acteur, revision, parent, err)
	}
	var stored map[string]any
	_ = json.Unmarshal(contexte, &stored)
	if stored["statut"] != "ACTIF" || stored["nom"] != "Acteur 3" {
		t.Errorf("deletion contexte = %s", contexte)
	}
	if n := countRows(t, pool, `SELECT count(*) FROM data_suggestiongroupe WHERE acteur_id IS NULL AND contexte IS NULL`); n != 2 {
		t.Errorf("creation groups without acteur nor contexte = %d, want 2", n)
	}

	// Units.
	unitsOf := func(typ string) []string {
		rows, err := pool.Query(ctx, `SELECT u.suggestion_modele || ' ' || coalesce(u.acteur_id, '-') || ' ' ||
			coalesce(u.revision_acteur_id, '-') || ' ' || array_to_string(u.champs, ',') || '=' || array_to_string(u.valeurs, ',')
			FROM data_suggestionunitaire u JOIN data_suggestiongroupe g ON g.id = u.suggestion_groupe_id
			JOIN data_suggestioncohorte c ON c.id = g.suggestion_cohorte_id WHERE c.type_action = $1 ORDER BY u.id`, typ)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			out = append(out, s)
		}
		return out
	}
	if got, want := unitsOf("SOURCE_SUPRESSION"), []string{
		"Acteur ecomaison_3 - statut=SUPPRIME", "RevisionActeur - ecomaison_3 statut=SUPPRIME",
	}; !slices.Equal(got, want) {
		t.Errorf("deletion units = %q, want %q", got, want)
	}
	if got, want := unitsOf("SOURCE_MODIFICATION"), []string{
		"Acteur ecomaison_2 - nom=Acteur 2", "Acteur ecomaison_2 - latitude,longitude=48.8686,2.3315",
	}; !slices.Equal(got, want) {
		t.Errorf("update units = %q, want %q", got, want)
	}
	created := unitsOf("SOURCE_AJOUT")
	for _, want := range []string{
		"Acteur - - identifiant_unique=ecomaison_10",
		"Acteur - - statut=INACTIF", // 11 has no proposition service
		`Acteur - - proposition_service_codes=[{"action": "trier", "sous_categories": ["vetement"]}]`,
		"Acteur - - label_codes=[]",
		"Acteur - - latitude,longitude=48.8686,2.3315",
	} {
		if !slices.Contains(created, want) {
			t.Errorf("creation units lack %q: %q", want, created)
		}
	}
}

func TestRetriedWriteAddsNothing(t *testing.T) {
	t.Parallel()
	pool := setupScenario(t)
	res, err := runPipeline(t, pool, run1, scenarioRows(), scenarioLogs(), WriteOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Write(context.Background(), pool, run1, res.input, WriteOptions{Logger: quiet})
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	checkCounts(t, again, Counts{SkippedCohorts: 3, LogsNotWritten: 1})
	for _, a := range Actions {
		if cc := again.ByAction[a]; !cc.Skipped || cc.CohortID != res.counts.ByAction[a].CohortID {
			t.Errorf("%s retry = %+v, want skipped cohort %d", a, cc, res.counts.ByAction[a].CohortID)
		}
	}
	checkTables(t, pool, 3, 4, 34, 7, 0)
}

func TestSecondRunWithChangedData(t *testing.T) {
	t.Parallel()
	pool := setupScenario(t)
	if _, err := runPipeline(t, pool, run1, scenarioRows(), scenarioLogs(), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The run-1 suggestions were not applied: the stored acteurs are the
	// same. Acteur 1 moved to Lyon; 2 and 6 are gone from the data.
	run2 := RunInfo{DagID: "eo-ecomaison", DisplayName: "Source - ECOMAISON", RunID: "scheduled__2025-08-02T10:00:00+00:00"}
	rows := []transform.Row{testRow("1", rowOpts{ville: "Lyon", labels: []string{"qualirepar", "reparacteur"}}), testRow("10", rowOpts{})}
	res, err := runPipeline(t, pool, run2, rows, nil, WriteOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	wantDiff := DiffStats{Created: 1, Updated: 1, Deleted: 3, UpdatesByField: map[string]FieldDiff{"ville": {Modif: 1}}}
	if !reflect.DeepEqual(res.diff, wantDiff) {
		t.Errorf("diff = %+v, want %+v", res.diff, wantDiff)
	}
	// 10: 15 units; 1: ville; 2 and 6: statut; 3: statut on acteur and revision.
	checkCounts(t, res.counts, Counts{Cohorts: 3, Groups: 5, Units: 20})
	checkTables(t, pool, 6, 9, 54, 7, 0)

	var deleted []string
	err = pool.QueryRow(context.Background(), `SELECT array_agg(g.acteur_id ORDER BY g.acteur_id) FROM data_suggestiongroupe g
		JOIN data_suggestioncohorte c ON c.id = g.suggestion_cohorte_id
		WHERE c.identifiant_action = 'Source - ECOMAISON - SUP' AND c.identifiant_execution = 'scheduled - 2025-08-02T10:00:00+00:00'`).Scan(&deleted)
	if err != nil || !slices.Equal(deleted, []string{"ecomaison_2", "ecomaison_3", "ecomaison_6"}) {
		t.Errorf("deleted = %v, %v", deleted, err)
	}
	var champs, valeurs []string
	err = pool.QueryRow(context.Background(), `SELECT u.champs, u.valeurs FROM data_suggestionunitaire u
		JOIN data_suggestiongroupe g ON g.id = u.suggestion_groupe_id JOIN data_suggestioncohorte c ON c.id = g.suggestion_cohorte_id
		WHERE c.identifiant_action = 'Source - ECOMAISON - MODIF'`).Scan(&champs, &valeurs)
	if err != nil || !slices.Equal(champs, []string{"ville"}) || !slices.Equal(valeurs, []string{"Lyon"}) {
		t.Errorf("update unit = %v %v, %v", champs, valeurs, err)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	pool := setupScenario(t)
	res, err := runPipeline(t, pool, run1, scenarioRows(), scenarioLogs(), WriteOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, res.counts, run1Counts)
	checkTables(t, pool, 0, 0, 0, 0, 0)
	// A real write then writes what the dry run announced.
	counts, err := Write(context.Background(), pool, run1, res.input, WriteOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, counts, run1Counts)
}

func TestLegacySuggestions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := setupScenario(t)
	res, err := runPipeline(t, pool, run1, scenarioRows(), scenarioLogs(), WriteOptions{Legacy: true})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, res.counts, Counts{Cohorts: 3, Suggestions: 4, Logs: 7, LogsNotWritten: 1})
	checkTables(t, pool, 3, 0, 0, 7, 4)
	var suggestion, contexte []byte
	err = pool.QueryRow(ctx, `SELECT s.suggestion, s.contexte FROM data_suggestion s
		JOIN data_suggestioncohorte c ON c.id = s.suggestion_cohorte_id WHERE c.type_action = 'SOURCE_SUPRESSION'`).Scan(&suggestion, &contexte)
	if err != nil || !jsonEqual(t, suggestion, map[string]string{"identifiant_unique": "ecomaison_3", "statut": "SUPPRIME"}) {
		t.Errorf("deletion suggestion = %s, %v", suggestion, err)
	}
	if !strings.Contains(string(contexte), `"Acteur 3"`) {
		t.Errorf("deletion contexte = %s", contexte)
	}
	var statut string
	var nullContexte bool
	err = pool.QueryRow(ctx, `SELECT suggestion->>'statut', contexte IS NULL FROM data_suggestion
		WHERE suggestion->>'identifiant_unique' = 'ecomaison_11'`).Scan(&statut, &nullContexte)
	if err != nil || statut != StatutInactif || !nullContexte {
		t.Errorf("creation of 11 = %q, contexte null %v, %v", statut, nullContexte, err)
	}
}

// longFunction breaks fonction_de_transformation's varchar(255).
var longFunction = strings.Repeat("x", 300)

func TestFailedFirstCohortLeavesTablesUnchanged(t *testing.T) {
	t.Parallel()
	pool := setupScenario(t)
	logs := scenarioLogs()
	logs[3].Function = longFunction // error of a dropped row: AJOUT, the first cohort
	_, err := runPipeline(t, pool, run1, scenarioRows(), logs, WriteOptions{Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "SOURCE_AJOUT") {
		t.Fatalf("err = %v, want the AJOUT cohort to fail", err)
	}
	checkTables(t, pool, 0, 0, 0, 0, 0)
}

func TestFailedCohortIsRolledBackAndRetryCompletesRun(t *testing.T) {
	t.Parallel()
	pool := setupScenario(t)
	logs := scenarioLogs()
	logs[1].Function = longFunction // warning of updated 2: MODIF, the last cohort
	res, err := runPipeline(t, pool, run1, scenarioRows(), logs, WriteOptions{Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "SOURCE_MODIFICATION") {
		t.Fatalf("err = %v, want the MODIF cohort to fail", err)
	}
	// AJOUT (2 groups, 30 units, 5 logs) and SUP (1 group, 2 units) are
	// whole; nothing of MODIF.
	checkTables(t, pool, 2, 3, 32, 5, 0)
	if n := countRows(t, pool, `SELECT count(*) FROM data_suggestioncohorte WHERE type_action = 'SOURCE_MODIFICATION'`); n != 0 {
		t.Errorf("MODIF cohorts = %d", n)
	}
	// The retried task (fixed input) writes only what is missing.
	res.input.Logs = Concat(SliceSource(scenarioLogs()), res.validateLogs)
	counts, err := Write(context.Background(), pool, run1, res.input, WriteOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, counts, Counts{Cohorts: 1, Groups: 1, Units: 2, Logs: 2, SkippedCohorts: 2, LogsNotWritten: 1})
	checkTables(t, pool, 3, 4, 34, 7, 0)
}

// A long write logs its progress every ProgressEvery: here after every
// batch of one acteur, so one line per group written.
func TestWriteLogsProgress(t *testing.T) {
	t.Parallel()
	pool := setupScenario(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	res, err := runPipeline(t, pool, run1, scenarioRows(), scenarioLogs(),
		WriteOptions{Logger: logger, BatchSize: 1, ProgressEvery: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, res.counts, run1Counts)
	lines := 0
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, `"msg":"writing suggestions"`) {
			lines++
			if !strings.Contains(l, `"acteurs":`) || !strings.Contains(l, `"type_action":`) {
				t.Errorf("progress line without counts: %s", l)
			}
		}
	}
	if lines != run1Counts.Groups {
		t.Errorf("%d progress lines, want %d (one per batch)\n%s", lines, run1Counts.Groups, buf.String())
	}
}

// A log names its row by identifiant_unique; a row without id gets one
// from its nom, which may be longer than the log's varchar(255) columns:
// the log is written with the identifiant cut to 255 characters, instead
// of failing the insert of the whole cohort.
func TestLogOfLongIdentifiantIsWritten(t *testing.T) {
	t.Parallel()
	pool := setupScenario(t)
	long := "ecomaison_" + strings.Repeat("Répar_", 60) // 370 characters, more bytes
	logs := append(scenarioLogs(), transform.Log{IdentifiantUnique: long, Function: "clean_email",
		OriginColumns: []string{"email"}, OriginValues: []string{"pas un email"}, DestinationColumns: []string{"email"},
		Message: "Email invalide", Exception: "EmailWarning"})
	res, err := runPipeline(t, pool, run1, scenarioRows(), logs, WriteOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	want := run1Counts
	want.Logs++
	checkCounts(t, res.counts, want)
	var id string
	if err := pool.QueryRow(context.Background(), `SELECT identifiant_unique FROM data_suggestionlog
		WHERE fonction_de_transformation = 'clean_email'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if want := string([]rune(long)[:255]); id != want {
		t.Errorf("identifiant_unique %q, want the first 255 characters %q", id, want)
	}
}

// A run with no acteur to create: the ERROR log of a row dropped for an
// unknown acteur type goes with the MODIF cohort (LVAO files it under
// AJOUT, and with no AJOUT cohort it was written nowhere).
func TestDroppedRowErrorWithoutCreationsGoesWithAnotherCohort(t *testing.T) {
	t.Parallel()
	pool := setupScenario(t)
	if _, err := runPipeline(t, pool, run1, scenarioRows(), scenarioLogs(), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	run2 := RunInfo{DagID: "eo-ecomaison", DisplayName: "Source - ECOMAISON", RunID: "scheduled__2025-08-02T10:00:00+00:00"}
	rows := []transform.Row{testRow("1", rowOpts{ville: "Lyon", labels: []string{"qualirepar", "reparacteur"}}),
		testRow("50", rowOpts{acteurType: "type_inconnu"})}
	res, err := runPipeline(t, pool, run2, rows, nil, WriteOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if res.counts.ByAction[ActionCreate].CohortID != 0 || res.counts.LogsNotWritten != 0 {
		t.Fatalf("counts %+v: want no AJOUT cohort and every log written", res.counts)
	}
	var typ, msg string
	err = pool.QueryRow(context.Background(), `SELECT c.type_action, l.message FROM data_suggestionlog l
		JOIN data_suggestioncohorte c ON c.id = l.suggestion_cohorte_id
		WHERE c.identifiant_execution = 'scheduled - 2025-08-02T10:00:00+00:00' AND l.niveau_de_log = 'ERROR'`).Scan(&typ, &msg)
	if err != nil || typ != "SOURCE_MODIFICATION" || !strings.Contains(msg, "type_inconnu") {
		t.Fatalf("the dropped row's ERROR log: %q %q %v", typ, msg, err)
	}
}

// A COPY that fails while the next batch is being encoded (batches of one
// acteur: the first batch's COPY overlaps the second's encoding) fails
// the cohort as a whole, and nothing of it stays.
func TestFailedCopyDuringEncodingRollsBackTheCohort(t *testing.T) {
	t.Parallel()
	pool := setupScenario(t)
	mustExec(t, pool, `ALTER TABLE data_suggestionunitaire
		ADD CONSTRAINT refuse_acteur_units CHECK (suggestion_modele <> 'Acteur')`)
	_, err := runPipeline(t, pool, run1, scenarioRows(), scenarioLogs(), WriteOptions{Logger: quiet, BatchSize: 1})
	if err == nil || !strings.Contains(err.Error(), "SOURCE_AJOUT") || !strings.Contains(err.Error(), "refuse_acteur_units") {
		t.Fatalf("err = %v, want the AJOUT cohort to fail on the constraint", err)
	}
	checkTables(t, pool, 0, 0, 0, 0, 0)
}
