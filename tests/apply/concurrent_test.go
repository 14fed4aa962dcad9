package apply_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/lvao/dataplatform/shared/pipeline/apply"
)

// Two applies at once (a retried task overlapping the next scheduled run,
// apply_suggestions_groupe run by hand during its cron run): every row is
// applied exactly once, by one of them; the other skips it.
func TestConcurrentAppliesApplyEachRowOnce(t *testing.T) {
	f := setup(t)
	const n = 40
	ids := make([]int32, n)
	for i := range ids {
		id := fmt.Sprintf("a%d", i)
		f.acteur(id, acteurOpts{})
		// RGPD appends a comment: a second apply would append it twice.
		ids[i] = f.changes(change(1, "acteur_rgpd_anonymize", id, map[string]any{"nom": "X", "commentaires": "rgpd"}))
	}
	var wg sync.WaitGroup
	stats := make([]apply.Stats, 2)
	errs := make([]error, 2)
	for i := range stats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stats[i], errs[i] = apply.Run(f.ctx, f.pool, apply.KindSuggestion, apply.Options{BatchSize: 7})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := stats[0].Succeeded + stats[1].Succeeded; got != n || stats[0].Failed+stats[1].Failed != 0 {
		t.Errorf("stats %+v %+v: %d succeeded, want %d and no failure", stats[0], stats[1], got, n)
	}
	for _, id := range ids {
		f.wantStatut(false, id, "SUCCES", "")
	}
	if k := f.count(`SELECT count(*) FROM qfdmo_acteur WHERE commentaires <> '[{"message": "rgpd"}]'`); k != 0 {
		t.Errorf("%d acteurs anonymised twice (or not at all)", k)
	}
}
