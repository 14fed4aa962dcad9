package sources_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/shared/engine"
)

// running is a harness platform started in-process for one test.
type running struct {
	t *testing.T
	p *harness.Platform
}

func (p *platform) conf() map[string]any {
	return map[string]any{"endpoint": p.dataURL + "/lines?size=10000", "metadata_endpoint": p.dataURL + "/schema"}
}

// start runs the platform in-process (functions, queue, tick, S3).
func (p *platform) start() *running {
	p.t.Helper()
	h, err := harness.Start(context.Background(), harness.Config{Env: harness.MapEnv(p.env), S3Dir: p.s3Dir, Tick: 500 * time.Millisecond})
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(h.Close)
	return &running{t: p.t, p: h}
}

func (r *running) trigger(conf map[string]any) string {
	r.t.Helper()
	run, _, err := r.p.Deps.Engine.Trigger(context.Background(), engine.TriggerParams{DagID: "eo-ecosystem", Conf: conf, IgnorePause: true})
	if err != nil {
		r.t.Fatal(err)
	}
	return run.RunID
}

func (r *running) clear(runID, task string) {
	r.t.Helper()
	if _, err := r.p.Deps.Engine.Clear(context.Background(), engine.ClearParams{DagID: "eo-ecosystem", RunID: runID, TaskIDs: []string{task}}); err != nil {
		r.t.Fatal(err)
	}
}

// wait reads the run until it ends (a condition with a deadline).
func (r *running) wait(runID string) engine.RunDoc {
	r.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		doc, err := r.p.Deps.Engine.GetRun(context.Background(), "eo-ecosystem", runID)
		if err == nil && (doc.State == "success" || doc.State == "failed") {
			return doc
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("run %s did not end: %+v %v", runID, doc, err)
		}
	}
	return engine.RunDoc{}
}

// insertActeur stores an ACTIF acteur of the ecosystem source.
func (p *platform) insertActeur(id, ext string) {
	p.t.Helper()
	_, err := p.webapp.Exec(context.Background(), `INSERT INTO qfdmo_acteur (identifiant_unique, nom, acteur_type_id, adresse,
		code_postal, ville, location, source_id, identifiant_externe, statut, public_accueilli, reprise, lieu_prestation)
		VALUES ($1, 'Ancien nom', (SELECT id FROM qfdmo_acteurtype WHERE code = 'commerce'), '1 rue de la Paix', '75002',
		'Paris', ST_SetSRID(ST_MakePoint(2.33, 48.86), 4326)::geography, (SELECT id FROM qfdmo_source WHERE code = 'ecosystem'),
		$2, 'ACTIF', '', '', 'SUR_PLACE')`, id, ext)
	if err != nil {
		p.t.Fatalf("insert acteur %s: %v", id, err)
	}
}

// cohorts counts the groups of each cohort, by action.
func (p *platform) cohorts() string { return p.cohortsOf("") }

func (p *platform) cohortsOf(runID string) string {
	p.t.Helper()
	rows, err := p.webapp.Query(context.Background(), `SELECT split_part(c.identifiant_action, ' - ', 2), count(g.id)
		FROM data_suggestioncohorte c LEFT JOIN data_suggestiongroupe g ON g.suggestion_cohorte_id = c.id
		WHERE $1 = '' OR c.identifiant_execution = replace($1, '__', ' - ')
		GROUP BY 1`, runID)
	if err != nil {
		p.t.Fatal(err)
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var a string
		var n int
		_ = rows.Scan(&a, &n)
		parts = append(parts, fmt.Sprintf("%s=%d", a, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
