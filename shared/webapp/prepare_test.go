package webapp_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/webapp"
	"github.com/lvao/dataplatform/shared/webapp/webapptest"
)

func TestPrepareCreatesTablesAndSeedsFixtures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := webapptest.Open(t)

	counts := map[string]int{
		"qfdmo_acteurtype":            11,
		"qfdmo_source":                76,
		"qfdmo_labelqualite":          8,
		"qfdmo_actiondirection":       2,
		"qfdmo_groupeaction":          5,
		"qfdmo_action":                11,
		"qfdmo_acteurservice":         17,
		"qfdmo_categorieobjet":        24,
		"qfdmo_souscategorieobjet":    87, // 86 of the fixtures + huile_alimentaire (localfixtures)
		"qfdmo_acteur":                0,
		"data_suggestioncohorte":      0,
		"qfdmo_revisionacteur":        0,
		"data_bancache":               0,
		"qfdmo_acteurservice_actions": -1, // checked below
	}
	for table, want := range counts {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		if want >= 0 && n != want {
			t.Errorf("%s has %d rows, want %d", table, n, want)
		}
	}

	// Natural keys resolved: FK and m2m by code.
	var groupe, categorie string
	if err := pool.QueryRow(ctx, `SELECT g.code FROM qfdmo_action a JOIN qfdmo_groupeaction g ON g.id = a.groupe_action_id WHERE a.code = 'reparer'`).Scan(&groupe); err != nil || groupe != "reparer" {
		t.Errorf("action reparer groupe = %q, %v", groupe, err)
	}
	if err := pool.QueryRow(ctx, `SELECT c.code FROM qfdmo_souscategorieobjet s JOIN qfdmo_categorieobjet c ON c.id = s.categorie_id WHERE s.code = 'poele_casserole'`).Scan(&categorie); err != nil || categorie != "mobilier_et_decoration" {
		t.Errorf("poele_casserole categorie = %q, %v", categorie, err)
	}
	var actions []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(a.code ORDER BY a.code) FROM qfdmo_acteurservice s
		JOIN qfdmo_acteurservice_actions sa ON sa.acteurservice_id = s.id JOIN qfdmo_action a ON a.id = sa.action_id
		WHERE s.code = 'achat_revente_particuliers'`).Scan(&actions); err != nil || len(actions) != 2 || actions[0] != "acheter" || actions[1] != "revendre" {
		t.Errorf("achat_revente_particuliers actions = %v, %v", actions, err)
	}
	var directions int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM qfdmo_action_directions`).Scan(&directions); err != nil || directions == 0 {
		t.Errorf("action directions = %d, %v", directions, err)
	}

	// Constraints as webapp_schema.md says.
	_, err := pool.Exec(ctx, `INSERT INTO qfdmo_acteurtype (code, libelle) VALUES ('Bad Code', 'x')`)
	requireCode(t, err, "23514") // acteur_type_code_format
	_, err = pool.Exec(ctx, `INSERT INTO data_suggestioncohorte (identifiant_action, identifiant_execution, type_action, statut)
		VALUES ('a', 'b', 'SOURCE_AJOUT', 'AVALIDER')`)
	if err != nil {
		t.Fatalf("insert cohorte: %v", err)
	}
	_, err = pool.Exec(ctx, `INSERT INTO data_suggestiongroupe (suggestion_cohorte_id, statut) SELECT id, 'AVALIDER' FROM data_suggestioncohorte`)
	if err != nil {
		t.Fatalf("insert groupe: %v", err)
	}
	_, err = pool.Exec(ctx, `INSERT INTO data_suggestionunitaire (suggestion_groupe_id, statut, ordre, parametres, suggestion_modele, champs, valeurs)
		SELECT id, 'AVALIDER', 1, '{}', 'RevisionActeur', '{statut}', '{SUPPRIME}' FROM data_suggestiongroupe`)
	requireCode(t, err, "23514") // data_su_revision_acteur_if_modele_revision_acteur
	src := `INSERT INTO qfdmo_acteur (identifiant_unique, nom, acteur_type_id, source_id, identifiant_externe, public_accueilli, reprise, location)
		VALUES ($1, 'n', (SELECT id FROM qfdmo_acteurtype WHERE code = 'commerce'), (SELECT id FROM qfdmo_source WHERE code = 'ecomaison'), 'x', '', '', ST_GeogFromText('POINT(2.35 48.85)'))`
	if _, err := pool.Exec(ctx, src, "ecomaison_x"); err != nil {
		t.Fatalf("insert acteur: %v", err)
	}
	_, err = pool.Exec(ctx, src, "ecomaison_x2")
	requireCode(t, err, "23505") // acteur_unique_by_source_and_external_id (both ACTIF)
	if _, err := pool.Exec(ctx, `UPDATE qfdmo_acteur SET statut = 'SUPPRIME'`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, src, "ecomaison_x2"); err != nil {
		t.Errorf("partial unique index should allow a SUPPRIME duplicate: %v", err)
	}
}

func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != code {
		t.Fatalf("error = %v, want SQLSTATE %s", err, code)
	}
}

// Two processes preparing the same fresh schema at once both succeed, and
// the reference tables are seeded once.
func TestPrepareConcurrentAndIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := webapptest.Schema(t)
	pools := []*pgxpool.Pool{webapptest.Pool(t, schema), webapptest.Pool(t, schema), webapptest.Pool(t, schema)}
	var wg sync.WaitGroup
	errs := make([]error, len(pools))
	for i, p := range pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = webapp.Prepare(ctx, p, schema)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("prepare %d: %v", i, err)
		}
	}
	pool := webapptest.Pool(t, schema)
	if err := webapp.Prepare(ctx, pool, schema); err != nil {
		t.Fatalf("prepare again: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM qfdmo_souscategorieobjet").Scan(&n); err != nil || n != 87 {
		t.Fatalf("souscategories = %d, %v; want 87 (seeded once)", n, err)
	}
}

func TestPrepareRejectsEmptySchema(t *testing.T) {
	t.Parallel()
	if err := webapp.Prepare(context.Background(), nil, ""); err == nil {
		t.Fatal("want an error for an empty schema name")
	}
}
