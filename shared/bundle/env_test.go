package bundle

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A deployed function that cannot start answers 500 and logs why (names of
// variables, never values). The web function is public: its answer says no
// more than that (the configuration's state, database hosts and users are
// for the logs, not for anyone on the Internet); a private function, which
// only the platform and holders of a token reach, also gives the detail.
func TestFunctionThatCannotStartTellsOnlyItsLogsWhenPublic(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": "mysql://admin:s3cr3t@10.1.2.3/prod", "QUEUE_BACKEND": "sqs"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, tt := range []struct {
		name       string
		wantDetail bool
	}{{"web", false}, {"coordinator", true}} {
		var logs bytes.Buffer
		h := fromEnv(tt.name, lookup, &logs)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("%s: status %d", tt.name, rec.Code)
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error"] == nil {
			t.Fatalf("%s: body %q is not {\"error\": …}", tt.name, rec.Body.String())
		}
		_, hasDetail := body["detail"]
		if hasDetail != tt.wantDetail || (tt.wantDetail && !strings.Contains(rec.Body.String(), "DATABASE_URL")) {
			t.Errorf("%s: body %s, want detail: %v", tt.name, rec.Body.String(), tt.wantDetail)
		}
		if !strings.Contains(logs.String(), "DATABASE_URL") || !strings.Contains(logs.String(), "SQS_ACCESS_KEY") {
			t.Errorf("%s: the log does not say what is wrong: %s", tt.name, logs.String())
		}
		for _, out := range []string{logs.String(), rec.Body.String()} {
			if strings.Contains(out, "s3cr3t") {
				t.Errorf("%s: a secret value is shown: %s", tt.name, out)
			}
		}
	}
}

// A function added to serverless.yml and functions/ but not to Functions:
// its instance answers 500 naming what to do, instead of panicking in its
// package's init (a Go stack trace in the logs, every request failing).
func TestFunctionNotInTheBundleAnswersInsteadOfPanicking(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := fromEnv("nosuch", func(string) (string, bool) { return "", false }, &logs)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(logs.String(), `nosuch`) ||
		!strings.Contains(logs.String(), "shared/bundle") {
		t.Fatalf("status %d, body %s, log %s", rec.Code, rec.Body.String(), logs.String())
	}
}
