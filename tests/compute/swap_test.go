package compute_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lvao/dataplatform/shared/pipeline/compute"
	"github.com/lvao/dataplatform/shared/webapp/webapptest"
)

// Readers of the webapp never see a missing or empty table while the
// compute swaps new tables in: every query of a reader loop running during
// several publications succeeds and counts rows, and each publication's
// content is visible right after it. Index names survive the swaps.
func TestSwapUnderConcurrentReaders(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.acteur("a0", nil)
	e.ps(false, "a0", "reparer", "ecran")
	indexesBefore := e.webStrings(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename LIKE 'qfdmo_displayed%'`, e.webSchema)
	e.build()
	e.publish()

	readers := webapptest.Pool(t, e.webSchema)
	queries := []string{
		`SELECT count(*) FROM qfdmo_displayedacteur`,
		`SELECT count(*) FROM qfdmo_displayedacteur a
			JOIN qfdmo_displayedpropositionservice ps ON ps.acteur_id = a.identifiant_unique
			JOIN qfdmo_displayedpropositionservice_sous_categories sc ON sc.displayedpropositionservice_id = ps.id`,
		`SELECT count(*) FROM qfdmo_vueacteur WHERE est_dans_carte`,
	}
	var (
		stop     atomic.Bool
		swapping atomic.Bool
		during   atomic.Int64 // queries that ran while a swap was in progress
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
		started  = make(chan struct{}, len(queries))
	)
	for i, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				inSwap := swapping.Load()
				var count int64
				err := readers.QueryRow(context.Background(), q).Scan(&count)
				if err != nil || count == 0 {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("reader %d: count %d, error %v", i, count, err))
					mu.Unlock()
				}
				if inSwap && swapping.Load() {
					during.Add(1)
				}
				if n == 0 {
					started <- struct{}{}
				}
			}
		}()
	}
	for range queries {
		<-started
	}
	const rounds = 4
	for r := 1; r <= rounds; r++ {
		id := fmt.Sprintf("a%d", r)
		e.acteur(id, nil)
		e.ps(false, id, "reparer", "ecran")
		e.build("base", "intermediate", "marts", "exposure.carte", "exposure.common", "exposure.exhaustive")
		swapping.Store(true)
		e.publish()
		swapping.Store(false)
		equal(t, fmt.Sprintf("round %d content", r), e.webStrings(`SELECT count(*)::text FROM qfdmo_displayedacteur`), []string{fmt.Sprint(r + 1)})
	}
	stop.Store(true)
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("%d reader failures, first: %s", len(failures), strings.Join(failures[:min(5, len(failures))], "; "))
	}
	if during.Load() == 0 {
		t.Error("no reader query overlapped a publication")
	}
	equal(t, "index names kept", e.webStrings(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename LIKE 'qfdmo_displayed%'`, e.webSchema), indexesBefore)
	equal(t, "no leftover tables", e.webStrings(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND (tablename LIKE '%\_\_new' OR tablename LIKE '%\_\_old')`, e.webSchema), nil)
}

// An exposure table that does not match its webapp table is not
// published: the error names the columns and the live tables stay as
// they are.
func TestPublishRefusesInconsistentTables(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.acteur("a0", nil)
	e.ps(false, "a0", "reparer", "ecran")
	e.build()
	e.exec(`ALTER TABLE qfdmo_displayedacteur ADD COLUMN note_interne text`)
	e.exec(`ALTER TABLE qfdmo_displayedperimetreadomicile ALTER COLUMN valeur TYPE integer USING 0`)

	_, err := e.runner.Publish(e.ctx, "displayed")
	var ce *compute.ConsistencyError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ConsistencyError, got %v", err)
	}
	if ce.Webapp != "qfdmo_displayedacteur" || strings.Join(ce.Missing, ",") != "note_interne" {
		t.Errorf("error %v", err)
	}
	e.exec(`ALTER TABLE qfdmo_displayedacteur DROP COLUMN note_interne`)
	_, err = e.runner.Publish(e.ctx, "displayed")
	if !errors.As(err, &ce) || ce.Webapp != "qfdmo_displayedperimetreadomicile" || len(ce.Types) != 1 || !strings.Contains(ce.Types[0], "valeur") {
		t.Errorf("want a type mismatch on valeur, got %v", err)
	}
	equal(t, "nothing published", e.webStrings(`SELECT identifiant_unique FROM qfdmo_displayedacteur`), nil)
}

// A row the webapp table refuses while it is copied (a narrower column, a
// check) stops the publication with the column and the value named, and
// the map keeps its rows.
func TestPublishCopyErrorNamesColumnAndValue(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.acteur("a0", row{"nom": "Ressourcerie du Faubourg"})
	e.ps(false, "a0", "reparer", "ecran")
	e.build()
	e.publish("displayed")
	e.exec(`ALTER TABLE qfdmo_displayedacteur ALTER COLUMN ville TYPE varchar(5)`)
	e.exec(`UPDATE qfdmo_acteur SET ville = 'Saint-Étienne'`)
	e.build()
	_, err := e.runner.Publish(e.ctx, "displayed")
	if err == nil || !strings.Contains(err.Error(), `column ville: "Saint-Étienne"`) {
		t.Errorf("error = %v, want it to name the column ville and its value", err)
	}
	equal(t, "map kept", e.webStrings(`SELECT nom FROM qfdmo_displayedacteur`), []string{"Ressourcerie du Faubourg"})
}

// An exposure that came out empty never replaces a populated map.
func TestPublishNeverEmptiesTheMap(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.acteur("a0", nil)
	e.ps(false, "a0", "reparer", "ecran")
	e.build()
	e.publish()
	e.exec(`DELETE FROM qfdmo_propositionservice_sous_categories`)
	e.exec(`DELETE FROM qfdmo_propositionservice`)
	e.exec(`DELETE FROM qfdmo_acteur`)
	e.build()
	if _, err := e.runner.Publish(e.ctx, "displayed"); err == nil || !strings.Contains(err.Error(), "would empty qfdmo_displayedacteur") {
		t.Errorf("publishing an empty map: %v", err)
	}
	equal(t, "map kept", e.webStrings(`SELECT identifiant_unique FROM qfdmo_displayedacteur`), []string{"a0"})
}

// The DAG's parallel branches (map and open-data marts) build at the same
// time without stepping on each other.
func TestParallelLayers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.acteur("a0", nil)
	e.ps(false, "a0", "reparer", "ecran")
	e.build("base", "intermediate")
	errs := make(chan error, 2)
	for _, sel := range []string{"marts.carte", "marts.opendata"} {
		go func() {
			_, err := e.runner.Build(e.ctx, sel)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	equal(t, "both built", e.whStrings(`SELECT 'carte' FROM marts_carte_acteur UNION ALL SELECT 'opendata' FROM marts_opendata_acteur`),
		[]string{"carte", "opendata"})
}
