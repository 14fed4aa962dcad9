package suggest

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
	"github.com/lvao/dataplatform/shared/webapp/webapptest"
)

// The scenario: source ecomaison has stored acteurs
//
//	1  ACTIF, same data as its row (labels stored in another order)  → unchanged
//	2  ACTIF, other nom and location than its row                   → update (nom, latitude+longitude)
//	3  ACTIF, no row, has a revision with a parent                  → deletion (Acteur + RevisionActeur units)
//	4  INACTIF, no row                                              → nothing
//	5  anonymised for RGPD (INACTIF), has a row                     → ignored
//	6  ACTIF, its row has an unknown label                          → row dropped, acteur kept
//
// and the rows 10 (new), 11 (new, no proposition service: INACTIF),
// 12 (unknown acteur type: dropped) and 13 (unknown product: dropped).

func setupScenario(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := webapptest.Open(t)
	insertActeur(t, pool, "1", acteurOpts{labels: []string{"qualirepar", "reparacteur"}})
	insertActeur(t, pool, "2", acteurOpts{nom: "Ancien nom", lat: 48, lon: 2})
	insertActeur(t, pool, "3", acteurOpts{revisionParent: "parent_1"})
	insertActeur(t, pool, "4", acteurOpts{statut: StatutInactif})
	insertActeur(t, pool, "5", acteurOpts{nom: ValueAnonymized, statut: StatutInactif})
	insertActeur(t, pool, "6", acteurOpts{})
	return pool
}

func scenarioRows() []transform.Row {
	return []transform.Row{
		testRow("1", rowOpts{labels: []string{"reparacteur", "qualirepar"}}),
		testRow("2", rowOpts{}),
		testRow("5", rowOpts{}),
		testRow("6", rowOpts{labels: []string{"label_inconnu"}}),
		testRow("10", rowOpts{}),
		testRow("11", rowOpts{noService: true}),
		testRow("12", rowOpts{acteurType: "type_inconnu"}),
		testRow("13", rowOpts{sousCategories: []string{"vetement", "produit_inconnu"}}),
	}
}

// scenarioLogs are the normalisation logs of the run.
func scenarioLogs() []transform.Log {
	warn := func(id string) transform.Log {
		return transform.Log{IdentifiantUnique: id, Function: "clean_telephone", OriginColumns: []string{"telephone", "code_postal"},
			OriginValues: []string{"12", "75002"}, DestinationColumns: []string{"telephone"},
			Message: "Le numéro de téléphone est invalide", Exception: "TelephoneWarning"}
	}
	blocking := func(id string) transform.Log {
		return transform.Log{IdentifiantUnique: id, Function: "clean_identifiant_externe", OriginColumns: []string{"id", "nom"},
			OriginValues: []string{"", ""}, DestinationColumns: []string{"identifiant_externe"},
			Message: "L'identifiant externe est requis", Exception: "IdentifiantExterneError", Blocking: true}
	}
	return []transform.Log{
		warn("ecomaison_10"),     // created → AJOUT
		warn("ecomaison_2"),      // updated → MODIF
		warn("ecomaison_1"),      // unchanged → MODIF (left over)
		blocking("ecomaison_99"), // dropped by normalisation → AJOUT (left over)
		blocking("ecomaison_3"),  // deleted acteur → not written (as LVAO)
	}
}

var scenarioNormalizeMetadata = map[string]string{transform.MetadataNoSousCategorieFiltered: "1"}

// pipelineResult is what the steps returned.
type pipelineResult struct {
	validate ValidateStats
	diff     DiffStats
	counts   Counts
	input    WriteInput
	// validateLogs are Validate's logs (an artifact).
	validateLogs Source[transform.Log]
}

// roundTrip passes a step's stats through JSON, as between task functions.
func roundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// runPipeline runs Validate, Diff and Write as separate task functions
// would, every stream through a JSON-lines artifact. It returns Write's
// error.
func runPipeline(t *testing.T, pool *pgxpool.Pool, run RunInfo, rows []transform.Row, normLogs []transform.Log, opts WriteOptions) (pipelineResult, error) {
	t.Helper()
	ctx := context.Background()
	var res pipelineResult

	normalized, normLogArt := newArtifact(t, "normalized.jsonl"), newArtifact(t, "normalize_logs.jsonl")
	writeJSONL(t, normalized, rows)
	writeJSONL(t, normLogArt, normLogs)

	// source_data_validate
	ref, err := LoadRefData(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	valid, valLogs := newArtifact(t, "valid.jsonl"), newArtifact(t, "validate_logs.jsonl")
	vf, lf := valid.create(t), valLogs.create(t)
	vw, lw := NewJSONLWriter[transform.Row](vf), NewJSONLWriter[transform.Log](lf)
	vst, err := Validate(ctx, ref, JSONLSource[transform.Row](normalized.open)(), vw, lw, ValidateOptions{Logger: quiet})
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	for _, c := range []interface{ Flush() error }{vw, lw} {
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	vf.Close()
	lf.Close()
	res.validate = roundTrip(t, vst)

	// keep_acteur_changed + db_data_prepare
	create, update, del := newArtifact(t, "create.jsonl"), newArtifact(t, "update.jsonl"), newArtifact(t, "delete.jsonl")
	cf, uf, df := create.create(t), update.create(t), del.create(t)
	cw := NewChangeWriter(cf, uf, df)
	dst, err := Diff(ctx, pool, res.validate.SourceCodes, JSONLSource[transform.Row](valid.open)(), cw,
		DiffOptions{KeepIDs: res.validate.DroppedIDs, Logger: quiet})
	if err != nil {
		t.Fatalf("diff: %v", err)
	}
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	cf.Close()
	uf.Close()
	df.Close()
	res.diff = roundTrip(t, dst)
	res.validateLogs = JSONLSource[transform.Log](valLogs.open)

	// db_write_type_action_suggestions
	res.input = WriteInput{
		Changes: ChangeSet{
			Create: JSONLSource[Change](create.open),
			Update: JSONLSource[Change](update.open),
			Delete: JSONLSource[Change](del.open),
		},
		Logs:              Concat(JSONLSource[transform.Log](normLogArt.open), res.validateLogs),
		NormalizeMetadata: scenarioNormalizeMetadata,
		Diff:              res.diff,
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	res.counts, err = Write(ctx, pool, run, res.input, opts)
	return res, err
}

// quiet drops the steps' log lines in tests.
var quiet = slog.New(slog.DiscardHandler)

var run1 = RunInfo{DagID: "eo-ecomaison", RunID: "manual__2025-08-01T10:00:00+00:00"}
