package compute_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/compute"
	"github.com/lvao/dataplatform/shared/runtime"
)

// A failing data test fails the compute task: the error and the log name
// the test, the model and the offending rows, and the model's previous
// table stays in place.
func TestFailingDataTestFailsComputeAndNamesRows(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.acteur("ok", nil)
	e.ps(false, "ok", "reparer", "ecran")
	e.build()

	// A revision without acteur and without a name: int_acteur.nom is NULL.
	e.revision("sans_nom", row{"acteur_type_id": e.types["commerce"], "public_accueilli": "Particuliers"})
	task := compute.Task(&compute.Deps{
		Webapp:          func() (*pgxpool.Pool, error) { return e.web, nil },
		Warehouse:       func() (*pgxpool.Pool, error) { return e.wh, nil },
		WarehouseSchema: e.whSchema,
	})
	_, err := task(e.ctx, &runtime.Task{TaskID: "intermediate", Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
		Args: map[string]any{"select": []any{"base", "intermediate"}}})
	var f *compute.TestFailure
	if !errors.As(err, &f) {
		t.Fatalf("want a data test failure, got %v", err)
	}
	if f.Test.Model != "int_acteur" || f.Test.Name() != "not_null(nom)" || f.Count != 1 || len(f.Rows) != 1 {
		t.Errorf("failure %+v", f)
	}
	if !strings.Contains(err.Error(), `"identifiant_unique":"sans_nom"`) {
		t.Errorf("the error does not name the row: %v", err)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "data test failed") || !strings.Contains(logs, "sans_nom") || !strings.Contains(logs, "not_null(nom)") {
		t.Errorf("the log does not name the row:\n%s", logs)
	}
	equal(t, "previous int_acteur kept", e.whStrings(`SELECT identifiant_unique FROM int_acteur`), []string{"ok"})
	equal(t, "no half-built table", e.whStrings(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '%\_\_next'`, e.whSchema), nil)

	// Selecting a layer whose upstream was never built is refused early.
	e2 := setup(t)
	if _, err := e2.runner.Build(e2.ctx, "marts.carte"); err == nil || !strings.Contains(err.Error(), "not built yet") {
		t.Errorf("building marts without intermediate: %v", err)
	}
}
