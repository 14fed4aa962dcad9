package suggest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
	"github.com/lvao/dataplatform/shared/webapp/webapptest"
)

// Diff reads the stored acteurs' contextes a batch at a time: across
// batches, every change still carries its own acteur, in the rows' order
// (deletions in identifiant_unique order).
func TestDiffAcrossBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := webapptest.Open(t)
	const stored = 2*diffBatch + 500
	mustExec(t, pool, `INSERT INTO qfdmo_acteur (identifiant_unique, nom, acteur_type_id, adresse, code_postal, ville,
		location, source_id, identifiant_externe, statut, public_accueilli, reprise, lieu_prestation)
		SELECT $1 || '_' || g, 'Acteur ' || g, (SELECT id FROM qfdmo_acteurtype WHERE code = 'commerce'), '1 rue de la Paix',
		'75002', 'Paris', ST_SetSRID(ST_MakePoint(2.3315, 48.8686), 4326)::geography,
		(SELECT id FROM qfdmo_source WHERE code = $1), g::text, 'ACTIF', '', '', 'SUR_PLACE'
		FROM generate_series(0, $2::int - 1) g`, testSource, stored)
	var rows []transform.Row
	var wantOrder []string
	for i := 0; i < stored; i += 2 { // the even ones come back with another ville; the odd ones are deleted
		ext := fmt.Sprint(i)
		rows = append(rows, testRow(ext, rowOpts{ville: "Lyon"}))
		wantOrder = append(wantOrder, testSource+"_"+ext)
		if i%5 == 0 { // and new acteurs in between
			ext := fmt.Sprintf("new%d", i)
			rows = append(rows, testRow(ext, rowOpts{}))
			wantOrder = append(wantOrder, testSource+"_"+ext)
		}
	}
	var all Slice[Change]
	st, err := Diff(ctx, pool, []string{testSource}, SliceSource(rows)(), &all, DiffOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	news := len(rows) - (stored+1)/2
	if st.Created != news || st.Updated != (stored+1)/2 || st.Deleted != stored/2 || st.Unchanged != 0 {
		t.Fatalf("stats = %+v", st)
	}
	var order, deleted []string
	for _, c := range all.Items {
		if c.Action == ActionDelete {
			deleted = append(deleted, c.IdentifiantUnique)
		} else {
			order = append(order, c.IdentifiantUnique)
		}
		if c.Action == ActionCreate {
			if c.Contexte != nil {
				t.Fatalf("creation %s has a contexte", c.IdentifiantUnique)
			}
			continue
		}
		var ctxRow struct {
			ID string `json:"identifiant_unique"`
		}
		if err := json.Unmarshal(c.Contexte, &ctxRow); err != nil || ctxRow.ID != c.IdentifiantUnique {
			t.Fatalf("%s %s: contexte of %q (%v)", c.Action, c.IdentifiantUnique, ctxRow.ID, err)
		}
	}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("creations and updates not in the rows' order")
	}
	if !sort.StringsAreSorted(deleted) || len(deleted) != stored/2 {
		t.Errorf("deletions: %d, sorted %v", len(deleted), sort.StringsAreSorted(deleted))
	}
}
