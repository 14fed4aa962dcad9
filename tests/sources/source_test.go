// Package sources_test runs source DAGs end to end through the local
// harness (`local dag run`): a local data-fair server, the real Postgres
// (platform and webapp schemas of the test), the embedded S3.
package sources_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/local/cli"
	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/local/harness/harnesstest"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/webapp"
)

// ecosystemRow is one row of the eo-ecosystem data-fair dataset, with the
// dataset's real column names.
func ecosystemRow(id, nom, typ, produits string, lat float64) map[string]any {
	return map[string]any{
		"nom_de_lorganisme": nom, "enseigne_commerciale": nom + " SARL",
		"longitudewgs84": "2.3522", "latitudewgs84": fmt.Sprint(lat),
		"ecoorganisme": "Ecosystem", "type_de_point_de_collecte": typ,
		"public_accueilli": "Particuliers", "exclusivite_de_reprisereparation": "non", "reprise": "1 pour 1",
		"produitsdechets_acceptes": produits, "consignes_dacces": "", "uniquement_sur_rdv": "non",
		"adresse_complement": "", "horaires_douverture": "Mo-Fr 09:00-18:00", "site_web": "https://example.org",
		"email": "contact@example.org", "labels_etou_bonus": "", "id_point_apport_ou_reparation": id,
		"siret": "", "siren": "", "adresse_format_ban": "3 rue de la Paix 75002 Paris", "telephone": "0145454545",
		"point_dapport_de_service_reparation": "non", "point_de_reparation": false, "point_dapport_pour_reemploi": "non",
		"point_de_collecte_ou_de_reprise_des_dechets": "oui", "service_a_domicile": "non", "perimetre_dintervention": "",
		"_i": 1, "_id": id, "_updatedAt": "2025-08-01", "_rand": 3, "_geopoint": "48.8,2.3", "filiere": "DEEE", "_score": nil,
		"latitudemercator": "1", "longitudemercator": "2", "accessible": "oui",
		"date_fin_point_ephemere": "", "date_debut_point_ephemere": "",
	}
}

// dataFair serves rows as data-fair pages of pageSize, and the schema.
type dataFair struct {
	mu       sync.Mutex
	rows     []map[string]any
	pageSize int
	status   int    // non-zero: every data request answers this
	raw      string // non-empty: every data request answers this body
}

func (d *dataFair) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if strings.HasSuffix(r.URL.Path, "/schema") {
		var fields []map[string]any
		for k := range ecosystemRow("x", "x", "x", "x", 0) {
			if !strings.HasPrefix(k, "_") {
				fields = append(fields, map[string]any{"key": k})
			}
		}
		fields = append(fields, map[string]any{"key": "_computed", "x-calculated": true})
		_ = json.NewEncoder(w).Encode(fields)
		return
	}
	if d.status != 0 {
		w.WriteHeader(d.status)
		return
	}
	if d.raw != "" {
		_, _ = w.Write([]byte(d.raw))
		return
	}
	var after int
	fmt.Sscan(r.URL.Query().Get("after"), &after)
	end := min(after+d.pageSize, len(d.rows))
	page := map[string]any{"total": len(d.rows), "results": d.rows[after:end]}
	if end < len(d.rows) {
		page["next"] = fmt.Sprintf("http://%s%s?size=%d&after=%d", r.Host, r.URL.Path, d.pageSize, end)
	}
	_ = json.NewEncoder(w).Encode(page)
}

func (d *dataFair) set(rows []map[string]any) {
	d.mu.Lock()
	d.rows, d.status, d.raw = rows, 0, ""
	d.mu.Unlock()
}

// platform is one test's harness configuration.
type platform struct {
	t       *testing.T
	env     map[string]string
	webapp  *pgxpool.Pool
	s3Dir   string
	dataURL string
}

func newPlatform(t *testing.T, df *dataFair) *platform {
	t.Helper()
	srv := httptest.NewServer(df)
	t.Cleanup(srv.Close)
	webSchema := harnesstest.Schema(t)
	_, platSchema := harnesstest.Env(t, nil)
	p := &platform{t: t, s3Dir: t.TempDir(), dataURL: srv.URL + "/data-fair/api/v1/datasets/donnees-eo-ecosystem",
		env: map[string]string{"DATABASE_URL": harnesstest.DatabaseURL(), "DATABASE_SCHEMA": platSchema,
			"WEBAPP_DATABASE_SCHEMA": webSchema, "TASK_LEASE": "5s", "REQUEUE_AFTER": "2s"}}
	cfg, err := pgxpool.ParseConfig(harnesstest.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	webapp.ConfigurePool(cfg, webSchema)
	cfg.MaxConns = 2
	if p.webapp, err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.webapp.Close)
	return p
}

// run runs `local dag run eo-ecosystem --json` and returns the exit code and document.
func (p *platform) run(extraConf map[string]any, args ...string) (int, engine.RunDoc, string) {
	p.t.Helper()
	conf := map[string]any{"endpoint": p.dataURL + "/lines?size=10000", "metadata_endpoint": p.dataURL + "/schema"}
	for k, v := range extraConf {
		conf[k] = v
	}
	c, _ := json.Marshal(conf)
	var out, errb bytes.Buffer
	m := &cli.Main{Env: harness.MapEnv(p.env), Stdout: &out, Stderr: &errb}
	code := m.Run(context.Background(), append([]string{"dag", "run", "eo-ecosystem", "--json", "--timeout", "2m",
		"--s3-dir", p.s3Dir, "--conf", string(c)}, args...))
	var doc engine.RunDoc
	_ = json.Unmarshal(out.Bytes(), &doc)
	return code, doc, errb.String()
}

func (p *platform) count(table string) int {
	p.t.Helper()
	var n int
	if err := p.webapp.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		p.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func (p *platform) counts() string {
	return fmt.Sprintf("cohorts=%d groups=%d units=%d logs=%d", p.count("data_suggestioncohorte"),
		p.count("data_suggestiongroupe"), p.count("data_suggestionunitaire"), p.count("data_suggestionlog"))
}

func taskStates(doc engine.RunDoc) map[string]string {
	out := map[string]string{}
	for _, t := range doc.Tasks {
		out[t.TaskID] = t.State
	}
	return out
}
