package suggest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
	"github.com/lvao/dataplatform/shared/webapp/webapptest"
)

// A stored acteur keeps its identifiant_unique when the source's id format
// changed: the row is matched through (identifiant_externe, source_code)
// (retrieve_identifiant_unique_from_existing_acteur).
func TestDiffMatchesStoredIdentifiantUnique(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := webapptest.Open(t)
	insertActeur(t, pool, "7", acteurOpts{id: "ecomaison_ancien_7"})

	var changes ChangeBuffer
	st, err := Diff(ctx, pool, []string{testSource}, SliceSource([]transform.Row{testRow("7", rowOpts{ville: "Lyon"})})(),
		&changes, DiffOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if st.Created != 0 || st.Deleted != 0 || st.Updated != 1 || len(changes.Update) != 1 {
		t.Fatalf("stats = %+v", st)
	}
	u := changes.Update[0]
	if u.IdentifiantUnique != "ecomaison_ancien_7" || u.Suggestion.Get("identifiant_unique").Str() != "ecomaison_ancien_7" ||
		strings.Join(u.Fields, ",") != "ville" {
		t.Errorf("update = %s %v %v", u.IdentifiantUnique, u.Suggestion.Get("identifiant_unique"), u.Fields)
	}
}

// Two stored acteurs with the same (identifiant_externe, source_code)
// cannot be told apart: LVAO fails, so do we.
func TestDiffFailsOnDuplicatedIdentifiant(t *testing.T) {
	t.Parallel()
	pool := webapptest.Open(t)
	insertActeur(t, pool, "7", acteurOpts{id: "ecomaison_ancien_7", statut: StatutSupprime})
	insertActeur(t, pool, "7", acteurOpts{})
	_, err := Diff(context.Background(), pool, []string{testSource}, SliceSource([]transform.Row{testRow("7", rowOpts{})})(),
		Discard[Change](), DiffOptions{Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "Duplicated identifiant") {
		t.Fatalf("err = %v", err)
	}
}

func TestDiffRefusesNoRows(t *testing.T) {
	t.Parallel()
	pool := webapptest.Open(t)
	insertActeur(t, pool, "1", acteurOpts{})
	_, err := Diff(context.Background(), pool, []string{testSource}, SliceSource[transform.Row](nil)(), Discard[Change](), DiffOptions{Logger: quiet})
	if !errors.Is(err, ErrNoValidRows) {
		t.Fatalf("err = %v, want ErrNoValidRows", err)
	}
}

// Many rows stream through Diff from a generator (no slice of rows): 20
// 000 stored acteurs, one in ten gone from the data, one in ten moved, and
// 1 000 new rows.
func TestDiffStreamsManyRows(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("large data set")
	}
	const n = 20000
	ctx := context.Background()
	pool := webapptest.Open(t)
	mustExec(t, pool, `INSERT INTO qfdmo_acteur (identifiant_unique, nom, acteur_type_id, adresse, code_postal, ville,
		location, source_id, identifiant_externe, statut, public_accueilli, reprise, lieu_prestation)
		SELECT 'ecomaison_m' || g, 'Acteur m' || g, (SELECT id FROM qfdmo_acteurtype WHERE code = 'commerce'),
		'1 rue de la Paix', '75002', 'Paris', ST_SetSRID(ST_MakePoint(2.3315, 48.8686), 4326)::geography,
		(SELECT id FROM qfdmo_source WHERE code = 'ecomaison'), 'm' || g, 'ACTIF', '', '', 'SUR_PLACE'
		FROM generate_series(1, $1) g`, n)
	mustExec(t, pool, `INSERT INTO qfdmo_acteur_acteur_services (acteur_id, acteurservice_id)
		SELECT identifiant_unique, (SELECT id FROM qfdmo_acteurservice WHERE code = 'structure_de_collecte') FROM qfdmo_acteur`)
	mustExec(t, pool, `INSERT INTO qfdmo_propositionservice (acteur_id, action_id)
		SELECT identifiant_unique, (SELECT id FROM qfdmo_action WHERE code = 'trier') FROM qfdmo_acteur`)
	mustExec(t, pool, `INSERT INTO qfdmo_propositionservice_sous_categories (propositionservice_id, souscategorieobjet_id)
		SELECT ps.id, (SELECT id FROM qfdmo_souscategorieobjet WHERE code = 'vetement') FROM qfdmo_propositionservice ps`)

	rows := func(yield func(transform.Row, error) bool) {
		for i := 1; i <= n; i++ {
			o := rowOpts{}
			switch i % 10 {
			case 0:
				continue // gone: deleted
			case 5:
				o.ville = "Lyon" // moved: updated
			}
			if !yield(testRow(fmt.Sprintf("m%d", i), o), nil) {
				return
			}
		}
		for i := 1; i <= n/20; i++ {
			if !yield(testRow(fmt.Sprintf("new%d", i), rowOpts{}), nil) {
				return
			}
		}
	}
	start := time.Now()
	counted := map[Action]int{}
	st, err := Diff(ctx, pool, []string{testSource}, rows, SinkFunc[Change](func(c Change) error {
		counted[c.Action]++
		return nil
	}), DiffOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("diff of %d rows: %v", n, time.Since(start))
	want := DiffStats{Created: n / 20, Updated: n / 10, Deleted: n / 10, Unchanged: n - 2*n/10,
		UpdatesByField: map[string]FieldDiff{"ville": {Modif: n / 10}}}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	if counted[ActionCreate] != st.Created || counted[ActionUpdate] != st.Updated || counted[ActionDelete] != st.Deleted {
		t.Errorf("changes sent = %v", counted)
	}
}
