package apply_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/pipeline/apply"
	"github.com/lvao/dataplatform/shared/runtime"
)

// The first task short-circuits the DAG when nothing is ATRAITER, for
// both tables; rows in another statut do not count.
func TestCheckShortCircuitsWhenNothingToProcess(t *testing.T) {
	f := setup(t)
	for _, groupe := range []bool{false, true} {
		res, err := f.task(apply.Check(f.webapp), groupe)
		if err != nil {
			t.Fatal(err)
		}
		want(t, "empty tables", res, map[string]any{"skip_downstream": true, "pending": 0})
	}
	c := f.cohort("SOURCE_SUPRESSION")
	for _, s := range []string{"AVALIDER", "REJETEE", "ENCOURS", "ERREUR", "SUCCES"} {
		f.suggestion(c, s, map[string]any{"identifiant_unique": "x"})
		f.exec(`INSERT INTO data_suggestiongroupe (suggestion_cohorte_id, statut) VALUES ($1, $2)`, c, s)
	}
	for _, groupe := range []bool{false, true} {
		res, _ := f.task(apply.Check(f.webapp), groupe)
		want(t, "no row ATRAITER", res, map[string]any{"skip_downstream": true, "pending": 0})
	}
	f.suggestion(c, "ATRAITER", map[string]any{"identifiant_unique": "x"})
	res, _ := f.task(apply.Check(f.webapp), false)
	want(t, "one suggestion ATRAITER", res, map[string]any{"pending": 1})
	res, _ = f.task(apply.Check(f.webapp), true)
	want(t, "groups (none ATRAITER)", res, map[string]any{"skip_downstream": true, "pending": 0})
}

// Each suggestion goes ATRAITER → SUCCES, or ERREUR with the message in
// metadata; a failure does not stop the others; rows in other statuts are
// left alone; the task log tells the progress.
func TestApplyErrorDoesNotBlockOthers(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	f.acteur("a3", acteurOpts{})
	ok1 := f.changes(change(1, "acteur_update", "a1", map[string]any{"nom": "Nouveau nom 1"}))
	bad := f.changes(change(1, "acteur_update", "absent", map[string]any{"nom": "x"}))
	ok3 := f.changes(change(1, "acteur_update", "a3", map[string]any{"nom": "Nouveau nom 3"}))
	waiting := f.suggestion(f.cohort("CLUSTERING"), "AVALIDER",
		map[string]any{"changes": []any{change(1, "acteur_update", "a1", map[string]any{"nom": "jamais"})}})

	st := f.apply(false)
	want(t, "stats", st, apply.Stats{Pending: 3, Succeeded: 2, Failed: 1})
	f.wantStatut(false, ok1, "SUCCES", "")
	f.wantStatut(false, bad, "ERREUR", "Acteur matching query does not exist.")
	f.wantStatut(false, ok3, "SUCCES", "")
	f.wantStatut(false, waiting, "AVALIDER", "")
	want(t, "a1.nom", f.row("qfdmo_acteur", "a1")["nom"], "Nouveau nom 1")
	want(t, "a3.nom", f.row("qfdmo_acteur", "a3")["nom"], "Nouveau nom 3")
	var meta string
	f.scalar(&meta, `SELECT metadata::text FROM data_suggestion WHERE id = $1`, bad)
	want(t, "metadata", meta, `{"error": "Acteur matching query does not exist."}`)
	for _, s := range []string{"suggestions to process", "applied", "error while applying", "done"} {
		if !strings.Contains(f.log.String(), s) {
			t.Errorf("task log lacks %q:\n%s", s, f.log.String())
		}
	}
	// A second run finds nothing to do.
	want(t, "second run", f.apply(false), apply.Stats{})
}

// A suggestion is applied in one transaction: when its second change fails,
// the first one is rolled back.
func TestApplyRollsBackWholeSuggestion(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{nom: "Avant"})
	id := f.changes(
		change(1, "acteur_update", "a1", map[string]any{"nom": "Après"}),
		change(2, "acteur_verify_presence_in_revision", "a1", nil),
	)
	f.apply(false)
	f.wantStatut(false, id, "ERREUR", "RevisionActeur matching query does not exist.")
	want(t, "nom", f.row("qfdmo_acteur", "a1")["nom"], "Avant")
}

// Near the task's deadline no suggestion is taken: they stay ATRAITER
// for the next run.
func TestApplyStopsBeforeDeadline(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	id := f.changes(change(1, "acteur_change_nothing_in_base", "a1", nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := apply.Run(ctx, f.pool, apply.KindSuggestion, apply.Options{StopMargin: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	want(t, "stats", st, apply.Stats{Pending: 1, Remaining: 1, StoppedEarly: true})
	f.wantStatut(false, id, "ATRAITER", "")
}

// Unknown args fail the task without retry (a typo in the DAG file).
func TestApplyArgs(t *testing.T) {
	f := setup(t)
	tk := &runtime.Task{TaskID: "x", Args: map[string]any{"use_groupe": true}, Logger: nil}
	_, err := apply.Apply(f.webapp)(f.ctx, tk)
	var ae *runtime.ArgsError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an ArgsError", err)
	}
	_, err = apply.Check(f.webapp)(f.ctx, tk)
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an ArgsError", err)
	}
}

// Legacy suggestions of a type LVAO does not apply end in ERREUR; groups
// of a type without an apply succeed doing nothing.
func TestApplyUnknownTypes(t *testing.T) {
	f := setup(t)
	s := f.suggestion(f.cohort("ENRICH_ACTEURS_SIRET"), "ATRAITER", map[string]any{})
	g := f.groupe(f.cohort("CLUSTERING"), "", "", "")
	f.apply(false)
	f.apply(true)
	f.wantStatut(false, s, "ERREUR", "Suggestion cohorte statut is not implemented ENRICH_ACTEURS_SIRET")
	f.wantStatut(true, g, "SUCCES", "")
}

// A row whose apply loses its database connection (here the server ends
// the session, as a restart or failover does) is not the row's fault: it
// goes back to ATRAITER, not ERREUR with "terminating connection…", and
// the run stops with the error (the task fails and is retried); the rows
// applied before it keep SUCCES and the next run applies the rest.
func TestApplyGivesBackRowWhenConnectionLost(t *testing.T) {
	f := setup(t)
	f.acteur("a1", acteurOpts{})
	f.acteur("a2", acteurOpts{})
	f.exec(`CREATE FUNCTION end_session() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$`)
	f.exec(`CREATE TRIGGER end_session BEFORE UPDATE ON qfdmo_acteur FOR EACH ROW
		WHEN (NEW.nom = 'coupure') EXECUTE FUNCTION end_session()`)
	before := f.changes(change(1, "acteur_update", "a1", map[string]any{"nom": "Avant"}))
	cut := f.changes(change(1, "acteur_update", "a2", map[string]any{"nom": "coupure"}))
	after := f.changes(change(1, "acteur_update", "a1", map[string]any{"ville": "Lyon"}))
	g := f.groupe(f.cohort("SOURCE_MODIFICATION"), "a2", "", "", u("Acteur", champ("nom"), "coupure"))

	_, err := f.task(apply.Apply(f.webapp), false)
	if err == nil || !strings.Contains(err.Error(), "terminating connection") {
		t.Fatalf("run error = %v, want the lost connection", err)
	}
	f.wantStatut(false, before, "SUCCES", "")
	f.wantStatut(false, cut, "ATRAITER", "")
	f.wantStatut(false, after, "ATRAITER", "")
	if _, err := f.task(apply.Apply(f.webapp), true); err == nil {
		t.Fatal("groups: the lost connection was not reported")
	}
	f.wantStatut(true, g, "ATRAITER", "")

	f.exec(`DROP TRIGGER end_session ON qfdmo_acteur`)
	f.applyOK(false)
	f.applyOK(true)
	f.wantStatut(false, cut, "SUCCES", "")
	f.wantStatut(false, after, "SUCCES", "")
	f.wantStatut(true, g, "SUCCES", "")
	want(t, "a2.nom", f.row("qfdmo_acteur", "a2")["nom"], "coupure")
}
