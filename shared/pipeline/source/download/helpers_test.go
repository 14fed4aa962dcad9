package download

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// ecoColumns are the data-fair columns of eo-ecosystem, as named by its
// normalization rules in shared/lvao/sources.json.
var ecoColumns = []string{
	"nom_de_lorganisme", "enseigne_commerciale", "longitudewgs84", "latitudewgs84", "ecoorganisme",
	"type_de_point_de_collecte", "public_accueilli", "exclusivite_de_reprisereparation", "reprise",
	"produitsdechets_acceptes", "consignes_dacces", "uniquement_sur_rdv", "adresse_complement",
	"horaires_douverture", "site_web", "email", "labels_etou_bonus", "id_point_apport_ou_reparation",
	"siret", "siren", "adresse_format_ban", "telephone", "point_dapport_de_service_reparation",
	"point_de_reparation", "point_dapport_pour_reemploi", "point_de_collecte_ou_de_reprise_des_dechets",
	"service_a_domicile", "perimetre_dintervention", "filiere", "latitudemercator", "longitudemercator",
	"accessible", "date_debut_point_ephemere",
}

// ecoRow is one data-fair row of eo-ecosystem as JSON, with its technical
// fields, a number, a bool and a null.
func ecoRow(i int) string {
	b := make([]byte, 0, 2048)
	b = fmt.Appendf(b, `{"_i":%d,"_id":"id%d","_rand":%d,"_score":null`, i, i, i*7%1000)
	for _, c := range ecoColumns {
		b = append(b, `,"`...)
		b = append(b, c...)
		b = append(b, `":`...)
		switch c {
		case "latitudewgs84":
			b = strconv.AppendFloat(b, 48.5+float64(i%100)/1000, 'g', -1, 64)
		case "point_de_reparation":
			b = strconv.AppendBool(b, i%2 == 0)
		case "siren":
			b = append(b, "null"...)
		case "id_point_apport_ou_reparation":
			b = strconv.AppendInt(append(b, `"ID-`...), int64(i), 10)
			b = append(b, '"')
		default:
			b = append(b, '"')
			b = append(b, c...)
			b = strconv.AppendInt(append(b, ' '), int64(i), 10)
			b = append(b, '"')
		}
	}
	return string(append(b, '}'))
}

// testConfig is a Config with fast retries and logs in the test output.
func testConfig(t *testing.T, endpoint, mode string) Config {
	return Config{
		Endpoint:     endpoint,
		FetchMode:    mode,
		Logger:       slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RetryBackoff: time.Millisecond,
		MaxBackoff:   5 * time.Millisecond,
		TempDir:      t.TempDir(),
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// collect downloads into a slice.
func collect(t *testing.T, cfg Config) ([]transform.Row, Stats, error) {
	t.Helper()
	var rows []transform.Row
	st, err := Download(context.Background(), cfg, func(r transform.Row) error {
		rows = append(rows, r)
		return nil
	})
	return rows, st, err
}

// server is an httptest server that records the requests it got.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string // request URIs
}

func newServer(t *testing.T, h func(s *server, w http.ResponseWriter, r *http.Request)) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.URL.RequestURI())
		s.mu.Unlock()
		h(s, w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

// wantValue checks one cell.
func wantValue(t *testing.T, r transform.Row, col string, want transform.Value) {
	t.Helper()
	got, ok := r.Lookup(col)
	if !ok {
		t.Errorf("column %q absent from %s", col, r.AppendJSON(nil))
		return
	}
	if got.Kind() != want.Kind() || !got.Equal(want) {
		t.Errorf("%s = %s (kind %d), want %s (kind %d)", col, got.AppendJSON(nil), got.Kind(), want.AppendJSON(nil), want.Kind())
	}
}
