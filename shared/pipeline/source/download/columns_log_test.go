package download

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// data-fair's own fields (_i, _id…) come with every row and are never in
// the schema: only the other unexpected columns are warned about.
func TestExtraColumnsWarnOnlyAboutTheDatasetsOwn(t *testing.T) {
	t.Parallel()
	srv := dataFairServer(t, 1, 2, ecoSchema())
	cfg := testConfig(t, srv.URL+"/lines?size=2", ModeDataFair)
	cfg.MetadataEndpoint = srv.URL + "/schema"
	var buf bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	if _, _, err := collect(t, cfg); err != nil {
		t.Fatal(err)
	}
	var warn, info string
	for _, l := range strings.Split(buf.String(), "\n") {
		switch {
		case strings.Contains(l, "level=WARN") && strings.Contains(l, "not in the schema"):
			warn = l
		case strings.Contains(l, "level=INFO") && strings.Contains(l, "data-fair's own columns"):
			info = l
		}
	}
	if !strings.Contains(warn, "columns=[filiere]") {
		t.Errorf("warning %q, want it to name filiere only", warn)
	}
	if !strings.Contains(info, "_i") || !strings.Contains(info, "_score") || strings.Contains(info, "filiere") {
		t.Errorf("info %q, want data-fair's own columns", info)
	}
}
