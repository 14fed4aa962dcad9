package sources_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// A product_mapping (in a run's conf) whose label maps to something else
// than a code or a list of codes fails source_config_validate naming the
// label: it passed, and every row naming the label was dropped at
// normalisation, the run then writing suggestions for the others (or
// failing with "no row left" far from the mistake).
func TestSourceDagInvalidProductMappingFailsConfig(t *testing.T) {
	t.Parallel()
	df := &dataFair{pageSize: 5}
	df.set([]map[string]any{
		ecosystemRow("A1", "Répar Un", "Artisan, commerce indépendant", "Cartouches", 48.85),
		ecosystemRow("A2", "Répar Deux", "Artisan, commerce indépendant", "Chaussure", 48.86),
	})
	p := newPlatform(t, df)
	code, doc, stderr := p.run(map[string]any{"product_mapping": map[string]any{
		"cartouches": 5, "chaussure": "chaussures", "vêtement": []any{"vetement", nil}}})
	if code != 1 || taskStates(doc)["source_config_validate"] != "failed" {
		t.Fatalf("exit %d tasks %v %s", code, taskStates(doc), stderr)
	}
	for _, task := range doc.Tasks {
		if task.TaskID == "source_config_validate" &&
			(!strings.Contains(task.Error, `"cartouches": 5`) || !strings.Contains(task.Error, `"vêtement": ['vetement', None]`)) {
			t.Errorf("error %q should name the labels and their values", task.Error)
		}
	}
	if got := p.counts(); got != "cohorts=0 groups=0 units=0 logs=0" {
		t.Errorf("written: %s", got)
	}
}

// A failure whose message quotes what a server sent in another encoding
// (here a Latin-1 HTTP reason phrase) is recorded, in valid UTF-8: Postgres
// refused the message with the outcome, and the attempt ended as a zombie
// once its lease expired, its message lost.
func TestSourceDagFailureQuotingLatin1IsRecorded(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 404 Non trouv\xe9\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		_ = buf.Flush()
	}))
	t.Cleanup(srv.Close)
	p := newPlatform(t, &dataFair{})
	p.dataURL = srv.URL
	code, doc, stderr := p.run(map[string]any{"metadata_endpoint": ""})
	if code != 1 || taskStates(doc)["source_data_download"] != "failed" {
		t.Fatalf("exit %d tasks %v %s", code, taskStates(doc), stderr)
	}
	for _, task := range doc.Tasks {
		if task.TaskID == "source_data_download" && (!utf8.ValidString(task.Error) || !strings.Contains(task.Error, "404 Non trouv")) {
			t.Errorf("error %q should give the status, in valid UTF-8", task.Error)
		}
	}
}
