package sources_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lvao/dataplatform/local/cli"
	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/shared/engine"
)

// source_sinoe with its default dechet_mapping (where to fetch the waste
// nomenclature, as LVAO fetched it when parsing the DAG file) and rows of
// one ANNEE: the mapping is fetched, the year column kept through the
// expected-columns check, and the waste codes become sous-categories.
func TestSinoeFetchesDechetMappingAndKeepsAnnee(t *testing.T) {
	t.Parallel()
	sinoeRow := func(id, codes string) map[string]any {
		return map[string]any{"C_SERVICE": id, "N_SERVICE": "Déchèterie " + id, "AD1_SITE": "Route de Lyon", "AD2_SITE": nil,
			"L_VILLE_SITE": "Saint-Étienne", "CP_SITE": 42000, "LST_TYPE_DECHET": codes, "ORIGINE_DECHET_ACC": "DMA/PRO",
			"TEL_SERVICE": "0477000000", "_geopoint": "45.43,4.39", "ANNEE": 2025, "_i": 1, "_id": id, "_rand": 1, "_score": nil,
			"C_ACTEUR": "A", "N_ACTEUR": "SM", "GPS_LAT": 45.43, "GPS_LONG": 4.39}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var page map[string]any
		if strings.Contains(r.URL.Path, "nomenclature") {
			page = map[string]any{"results": []map[string]any{
				{"C_TYP_DECHET": "01.3", "L_TYP_DECHET": "Déchets d'élagage"},
				{"C_TYP_DECHET": "02.31", "L_TYP_DECHET": nil, "LST_TYP_DECHET": "Déchets de plâtre"},
			}}
		} else {
			page = map[string]any{"results": []map[string]any{sinoeRow("D1", "01.3|02.31"), sinoeRow("D2", "01.3")}}
		}
		_ = json.NewEncoder(w).Encode(page)
	}))
	defer srv.Close()
	p := newPlatform(t, &dataFair{})
	// LVAO's SINOE mapping names huile_alimentaire, which the fixtures
	// lack: the local seed adds it (webapp/localfixtures), so the DAG runs
	// on a schema the harness prepares by itself.
	conf, _ := json.Marshal(map[string]any{"endpoint": srv.URL + "/lines?size=10000",
		"dechet_mapping": map[string]any{"fetched_when_dag_file_is_parsed": true, "url": srv.URL + "/nomenclature/lines?size=10000",
			"response_list_key": "results", "key_field": "C_TYP_DECHET", "value_field": "L_TYP_DECHET",
			"value_field_fallback": "LST_TYP_DECHET"}})
	var out, errb bytes.Buffer
	m := &cli.Main{Env: harness.MapEnv(p.env), Stdout: &out, Stderr: &errb}
	code := m.Run(context.Background(), []string{"dag", "run", "source_sinoe", "--json", "--timeout", "1m",
		"--s3-dir", p.s3Dir, "--conf", string(conf)})
	var doc engine.RunDoc
	_ = json.Unmarshal(out.Bytes(), &doc)
	if code != 0 {
		for _, task := range doc.Tasks {
			if task.Error != "" {
				t.Logf("%s: %s", task.TaskID, task.Error)
			}
		}
		t.Fatalf("exit %d tasks %v %s", code, taskStates(doc), errb.String())
	}
	if got := p.cohorts(); got != "AJOUT=2" {
		t.Errorf("groups by cohort: %s", got)
	}
	var props string
	err := p.webapp.QueryRow(t.Context(), `SELECT valeurs[1] FROM data_suggestionunitaire
		WHERE champs = '{proposition_service_codes}' ORDER BY id LIMIT 1`).Scan(&props)
	if err != nil || props != `[{"action": "trier", "sous_categories": ["dechets_verts", "platre_pmcb_produits_et_materiaux_de_construction_du_batiment"]}]` {
		t.Errorf("propositions of D1: %s %v", props, err)
	}
}
