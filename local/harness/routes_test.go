package harness

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lvao/dataplatform/shared/config"
)

// serve's first lines: one function per line, their URLs in one column
// whatever the length of the names (apply-suggestions-check is 23).
func TestSummaryAlignsFunctionURLs(t *testing.T) {
	t.Parallel()
	p := &Platform{URL: "http://127.0.0.1:8080", Config: &config.Config{LogsBucket: "l", DataBucket: "d"},
		Functions: []FunctionSpec{{Name: "apply-suggestions-check", Private: true}, {Name: "noop", Private: true}, {Name: "web"}}}
	col := -1
	for _, l := range strings.Split(p.Summary(), "\n") {
		i := strings.Index(l, "http://127.0.0.1:8080/functions/")
		if i < 0 || !strings.HasPrefix(l, "  ") {
			continue
		}
		if col >= 0 && i != col {
			t.Errorf("URL at column %d, want %d:\n%s", i, col, p.Summary())
		}
		col = i
	}
	if col < 0 {
		t.Fatalf("no function line:\n%s", p.Summary())
	}
}

// --addr :8080 or 0.0.0.0:8080 listens everywhere, but the URLs printed
// (and given to the functions: S3_ENDPOINT, COORDINATOR_URL) must be ones a
// browser and a client can open: http://[::]:8080 is not.
func TestListenURLOfAnUnspecifiedAddressIsLoopback(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		"[::]:8080":      "http://127.0.0.1:8080",
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"[::1]:8080":     "http://[::1]:8080",
		"10.0.0.2:9000":  "http://10.0.0.2:9000",
	} {
		addr, err := net.ResolveTCPAddr("tcp", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := listenURL(addr); got != want {
			t.Errorf("listenURL(%s) = %s, want %s", in, got, want)
		}
	}
}

// A function gets its path as sent, even with an empty or dot segment
// (ServeMux answered it with a bodyless redirect to another path).
func TestFunctionsGetTheirPathAsSent(t *testing.T) {
	t.Parallel()
	var got string
	fns := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.URL.Path })
	mux := http.NewServeMux()
	mux.Handle("/functions/", fns)
	mux.HandleFunc("GET /harness/stats", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := functionsAsSent(mux, func() http.Handler { return fns })
	for _, p := range []string{"/functions/coordinator/api/v1/dags//dagRuns", "/functions/coordinator/api/v1/dags/x/../y"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", p, nil))
		if rec.Code != 200 || got != p {
			t.Errorf("POST %s: %d, the function got %q", p, rec.Code, got)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/harness/stats", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("the harness's own pages: %d", rec.Code)
	}
}
