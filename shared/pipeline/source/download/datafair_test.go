package download

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// dataFairServer serves pages of rowsPerPage rows at /lines?page=N and a
// schema at /schema.
func dataFairServer(t *testing.T, pages, rowsPerPage int, schema string) *server {
	return newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/schema" {
			fmt.Fprint(w, schema)
			return
		}
		page := 1
		fmt.Sscan(r.URL.Query().Get("page"), &page)
		bw := bufio.NewWriter(w)
		fmt.Fprintf(bw, `{"total":%d,"results":[`, pages*rowsPerPage)
		for i := range rowsPerPage {
			if i > 0 {
				bw.WriteString(",\n")
			}
			bw.WriteString(ecoRow((page-1)*rowsPerPage + i))
		}
		bw.WriteString("]")
		switch {
		case page < pages:
			fmt.Fprintf(bw, `,"next":"%s/lines?size=%d&page=%d"`, s.URL, rowsPerPage, page+1)
		case page%2 == 0:
			bw.WriteString(`,"next":null`)
		}
		bw.WriteString("}")
		bw.Flush()
	})
}

// ecoSchema expects every data column but filiere, one column the data
// lacks, and calculated fields that do not count.
func ecoSchema() string {
	var fields []string
	for _, c := range ecoColumns {
		if c != "filiere" {
			fields = append(fields, fmt.Sprintf(`{"key":%q,"type":"string"}`, c))
		}
	}
	fields = append(fields,
		`{"key":"date_fin_point_ephemere","type":"string"}`,
		`{"key":"_geopoint","type":"string","x-calculated":true}`,
		`{"key":"_i","type":"integer","x-calculated":true}`)
	return "[" + strings.Join(fields, ",") + "]"
}

func TestDataFairPagesAndSchema(t *testing.T) {
	t.Parallel()
	srv := dataFairServer(t, 3, 4, ecoSchema())
	cfg := testConfig(t, srv.URL+"/lines?size=4", ModeDataFair)
	cfg.MetadataEndpoint = srv.URL + "/schema"
	rows, st, err := collect(t, cfg)
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	if len(rows) != 12 || st.Rows != 12 || st.Pages != 3 {
		t.Fatalf("got %d rows, stats %+v", len(rows), st)
	}
	for i, r := range rows {
		wantValue(t, r, "id_point_apport_ou_reparation", transform.String(fmt.Sprintf("ID-%d", i)))
	}
	r := rows[5]
	wantValue(t, r, "_i", transform.String("5"))                                  // int column cast to str
	wantValue(t, r, "latitudewgs84", transform.String(fmt.Sprint(48.5+5.0/1000))) // float column cast to str
	wantValue(t, r, "point_de_reparation", transform.Bool(false))
	wantValue(t, r, "siren", transform.Missing)
	wantValue(t, r, "_score", transform.Missing)
	wantValue(t, r, "date_fin_point_ephemere", transform.String("")) // expected, absent: ""
	if r.Has("_geopoint") {
		t.Error("calculated schema field _geopoint was added")
	}
	if !slices.Equal(st.MissingColumns, []string{"date_fin_point_ephemere"}) {
		t.Errorf("MissingColumns = %q", st.MissingColumns)
	}
	if want := []string{"_i", "_id", "_rand", "_score", "filiere"}; !slices.Equal(st.ExtraColumns, want) {
		t.Errorf("ExtraColumns = %q, want %q", st.ExtraColumns, want)
	}
	if st.Columns[0] != "_i" || st.Columns[len(st.Columns)-1] != "date_fin_point_ephemere" ||
		len(st.Columns) != 4+len(ecoColumns)+1 {
		t.Errorf("Columns = %q", st.Columns)
	}
	if got := srv.requests(); got[0] != "/schema" || len(got) != 4 {
		t.Errorf("requests = %q", got)
	}
}

// TestDataFairRetryMidPage: a connection broken in the middle of a page is
// retried, and the rows of the page already sent are not sent again.
func TestDataFairRetryMidPage(t *testing.T) {
	t.Parallel()
	page := `{"results":[` + ecoRow(0) + "," + ecoRow(1) + "," + ecoRow(2) + `]}`
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		if len(s.requests()) == 1 {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			cut := strings.Index(page, ecoRow(2)) + 10 // rows 0 and 1 complete
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(page), page[:cut])
			buf.Flush()
			conn.Close()
			return
		}
		fmt.Fprint(w, page)
	})
	rows, st, err := collect(t, testConfig(t, srv.URL+"/lines", ModeDataFair))
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	if len(rows) != 3 || st.Retries != 1 || st.Pages != 1 {
		t.Fatalf("got %d rows, stats %+v", len(rows), st)
	}
	for i, r := range rows {
		wantValue(t, r, "id_point_apport_ou_reparation", transform.String(fmt.Sprintf("ID-%d", i)))
	}
}

func TestHTTP500FailsAfterRetries(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	cfg := testConfig(t, srv.URL+"/lines?size=10", ModeDataFair)
	cfg.MaxRetries = 2
	_, st, err := collect(t, cfg)
	var se *HTTPStatusError
	if !errors.As(err, &se) || se.StatusCode != 500 {
		t.Fatalf("err = %v, want an HTTP 500 error", err)
	}
	if msg := err.Error(); !strings.Contains(msg, srv.URL+"/lines?size=10") || !strings.Contains(msg, "500") ||
		!strings.Contains(msg, "3 tries") {
		t.Errorf("message %q should name the URL, the status and the tries", msg)
	}
	if n := len(srv.requests()); n != 3 || st.Retries != 2 {
		t.Errorf("%d requests, %d retries; want 3 and 2", n, st.Retries)
	}
}

func TestHTTP429ThenOK(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		if len(s.requests()) == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, `{"results":[`+ecoRow(0)+`]}`)
	})
	rows, st, err := collect(t, testConfig(t, srv.URL+"/data", ModeJSON))
	if err != nil || len(rows) != 1 || st.Retries != 1 {
		t.Fatalf("rows %d, stats %+v, err %v", len(rows), st, err)
	}
}

func TestHTTP404NotRetried(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	})
	_, _, err := collect(t, testConfig(t, srv.URL+"/lines?size=1", ModeDataFair))
	var se *HTTPStatusError
	if !errors.As(err, &se) || se.StatusCode != 404 || len(srv.requests()) != 1 {
		t.Fatalf("err = %v after %d requests, want a 404 after 1", err, len(srv.requests()))
	}
}

func TestInvalidJSON(t *testing.T) {
	t.Parallel()
	body := `{"results":[{"nom_de_lorganisme":"a"},{"nom_de_lorganisme": }]}`
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, body)
	})
	url := srv.URL + "/lines?size=2"
	var sent int
	_, err := Download(t.Context(), testConfig(t, url, ModeDataFair), func(transform.Row) error {
		sent++
		return nil
	})
	var je *InvalidJSONError
	if !errors.Is(err, ErrInvalidJSON) || !errors.As(err, &je) {
		t.Fatalf("err = %v, want invalid JSON", err)
	}
	if je.URL != url || je.Offset < int64(strings.LastIndex(body, "{")) || je.Offset > int64(len(body)) {
		t.Errorf("error at %s offset %d; body %q", je.URL, je.Offset, body)
	}
	if !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "offset") {
		t.Errorf("message %q should name the URL and the offset", err)
	}
	if sent != 1 || len(srv.requests()) != 1 {
		t.Errorf("%d rows sent, %d requests; want 1 and 1 (no retry)", sent, len(srv.requests()))
	}
}

func TestUnexpectedShapes(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"no results":       `{"total":0,"next":null}`,
		"results not list": `{"results":{"a":1}}`,
		"row not object":   `{"results":[1]}`,
		"document":         `"hello"`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
			_, _, err := collect(t, testConfig(t, srv.URL+"/lines?size=1", ModeDataFair))
			if !errors.Is(err, ErrUnexpectedResponse) {
				t.Fatalf("err = %v, want ErrUnexpectedResponse", err)
			}
		})
	}
}

func TestEmptyResultFails(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"total":0,"results":[],"next":null}`)
	})
	_, st, err := collect(t, testConfig(t, srv.URL+"/lines?size=10", ModeDataFair))
	if !errors.Is(err, ErrNoData) || st.Pages != 1 {
		t.Fatalf("err = %v, stats %+v; want ErrNoData", err, st)
	}
}

func TestPlainJSON(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"array":          `[` + ecoRow(0) + `,` + ecoRow(1) + `]`,
		"object results": `{"count":2,"results":[` + ecoRow(0) + `,` + ecoRow(1) + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
			rows, _, err := collect(t, testConfig(t, srv.URL+"/acteurs", ""))
			if err != nil || len(rows) != 2 {
				t.Fatalf("rows %d, err %v", len(rows), err)
			}
			wantValue(t, rows[1], "_rand", transform.String("7"))
		})
	}
}

func TestSinkErrorStops(t *testing.T) {
	t.Parallel()
	srv := dataFairServer(t, 2, 5, "")
	stop := errors.New("stop")
	n := 0
	_, err := Download(t.Context(), testConfig(t, srv.URL+"/lines?size=5", ModeDataFair), func(transform.Row) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || len(srv.requests()) != 1 {
		t.Fatalf("err = %v after %d requests, want the sink's error after 1", err, len(srv.requests()))
	}
}

func TestRequiredColumnJSON(t *testing.T) {
	t.Parallel()
	srv := dataFairServer(t, 1, 2, "")
	cfg := testConfig(t, srv.URL+"/lines?size=2", ModeDataFair)
	cfg.RequiredColumns = []string{"nom_de_lorganisme", "identifiant_unique"}
	_, _, err := collect(t, cfg)
	if !errors.Is(err, ErrMissingColumn) || !strings.Contains(err.Error(), "identifiant_unique") {
		t.Fatalf("err = %v, want ErrMissingColumn naming identifiant_unique", err)
	}
}

// TestModeForEndpointSources: every source DAG's endpoint gives its
// fetch_mode.
func TestModeForEndpointSources(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../transform/testdata/sources.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Sources []struct {
			DagID     string `json:"dag_id"`
			Endpoint  string `json:"endpoint"`
			FetchMode string `json:"fetch_mode"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Sources) != 20 {
		t.Fatalf("%d sources", len(f.Sources))
	}
	for _, s := range f.Sources {
		if got, err := ModeForEndpoint(s.Endpoint); err != nil || got != s.FetchMode {
			t.Errorf("%s: ModeForEndpoint(%q) = %q, %v; want %q", s.DagID, s.Endpoint, got, err, s.FetchMode)
		}
	}
}

func TestUnknownEndpoint(t *testing.T) {
	t.Parallel()
	cases := []struct{ endpoint, mode string }{
		{"ftp://example.org/data.json", ""},
		{"https://example.org/export.zip", ""},
		{"https://example.org/export.csv", ""},
		{"https://example.org/data?format=json", ""},
		{"/local/file.json", ""},
		{"", ""},
		{"https://example.org/data", "bogus_mode"},
		{"s3://bucket/file.csv", ""},
		{"s3://bucket/file.xlsx", ModeDataFair},
		{"https://example.org/file.xlsx", ModeS3XLSX},
	}
	for _, c := range cases {
		_, err := Download(t.Context(), Config{Endpoint: c.endpoint, FetchMode: c.mode}, func(transform.Row) error {
			t.Error("sink called")
			return nil
		})
		if !errors.Is(err, ErrUnknownEndpoint) {
			t.Errorf("Download(%q, %q) err = %v, want ErrUnknownEndpoint", c.endpoint, c.mode, err)
		}
	}
}

// TestNetworkTimeout: a server that does not answer, or stops sending in
// the middle of a body, fails after RequestTimeout (each try).
func TestNetworkTimeout(t *testing.T) {
	t.Parallel()
	for name, partial := range map[string]bool{"headers": false, "body": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
				if partial {
					fmt.Fprint(w, `{"results":[`+ecoRow(0)+`,`)
					w.(http.Flusher).Flush()
				}
				<-r.Context().Done() // until the client gives up
			})
			cfg := testConfig(t, srv.URL+"/lines?size=2", ModeDataFair)
			cfg.RequestTimeout = 50 * time.Millisecond
			cfg.MaxRetries = 1
			rows, st, err := collect(t, cfg)
			want := map[bool]string{false: "no response within 50ms", true: "no data within 50ms"}[partial]
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "2 tries") {
				t.Fatalf("err = %v, want %q after 2 tries", err, want)
			}
			if st.Retries != 1 || len(rows) != map[bool]int{false: 0, true: 1}[partial] {
				t.Errorf("%d rows, stats %+v", len(rows), st)
			}
		})
	}
}

// A next URL that leads back to an earlier page (a cycle of two pages, not
// only a page naming itself) fails the download with a message naming both
// pages, instead of sending the same rows again until the task times out.
func TestDataFairNextCycleFails(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		next := s.URL + "/lines?size=1&after=1"
		if r.URL.Query().Get("after") == "1" {
			next = s.URL + "/lines?size=1" // back to the first page
		}
		fmt.Fprintf(w, `{"results":[%s],"next":%q}`, ecoRow(1), next)
	})
	rows, st, err := collect(t, testConfig(t, srv.URL+"/lines?size=1", ModeDataFair))
	if !errors.Is(err, ErrUnexpectedResponse) || !strings.Contains(err.Error(), "cycle") ||
		!strings.Contains(err.Error(), srv.URL+"/lines?size=1 is page 1") {
		t.Fatalf("err = %v, want a cycle naming page 1", err)
	}
	if len(rows) != 2 || st.Pages != 2 || len(srv.requests()) != 2 {
		t.Errorf("%d rows, %d pages, %d requests; want 2, 2, 2", len(rows), st.Pages, len(srv.requests()))
	}
}

// A numeric id beyond int64 reaches the rows as the digits Python's str()
// gives (pandas kept the int), not as a float's "1.2345678901234567e+19":
// the identifiant_unique built from it must not change nor collide.
func TestDataFairBigIntegerKeepsItsDigits(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"results":[{"id_point_apport_ou_reparation":12345678901234567890,"siret":12345678901234,"n":1.5}]}`)
	})
	rows, _, err := collect(t, testConfig(t, srv.URL+"/lines?size=1", ModeDataFair))
	if err != nil || len(rows) != 1 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	wantValue(t, rows[0], "id_point_apport_ou_reparation", transform.String("12345678901234567890"))
	wantValue(t, rows[0], "siret", transform.String("12345678901234"))
	wantValue(t, rows[0], "n", transform.String("1.5"))
}

// NUL characters (U+0000) are removed from strings, list items included:
// Postgres text cannot hold them, and one failed the suggestion write of
// the whole cohort without naming the row.
func TestDataFairRemovesNULCharacters(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"results":[{"nom":"Nul\u0000Byte","produits":["a\u0000","b"],"ok":"sans"},{"nom":"x"}]}`)
	})
	rows, st, err := collect(t, testConfig(t, srv.URL+"/lines?size=1", ModeDataFair))
	if err != nil || len(rows) != 2 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	wantValue(t, rows[0], "nom", transform.String("NulByte"))
	wantValue(t, rows[0], "produits", transform.Strings("a", "b"))
	wantValue(t, rows[0], "ok", transform.String("sans"))
	if st.NULCellsCleaned != 2 {
		t.Errorf("NULCellsCleaned = %d, want 2", st.NULCellsCleaned)
	}
}

// A response starting with a UTF-8 byte order mark fails as in Python
// ("Unexpected UTF-8 BOM"), with a message saying so rather than
// "invalid character 'ï'".
func TestDataFairBOMIsNamed(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "\uFEFF"+`{"results":[{"nom":"a"}]}`)
	})
	_, _, err := collect(t, testConfig(t, srv.URL+"/lines?size=1", ModeDataFair))
	var je *InvalidJSONError
	if !errors.As(err, &je) || je.Offset != 0 || !strings.Contains(err.Error(), "byte order mark") {
		t.Fatalf("err = %v, want invalid JSON naming the BOM", err)
	}
}

// A JSON response whose Content-Type names another charset than UTF-8 is
// decoded with it, as Python's requests does for response.json(): Latin-1
// "Vêtement" became "V\ufffdtement", an unknown product label. Without a
// charset (or with UTF-8) the body is read as UTF-8.
func TestDataFairDecodesTheCharsetTheServerNames(t *testing.T) {
	t.Parallel()
	latin1 := []byte("{\"results\": [{\"produits\": \"V\xeatement\"}]}")
	for ct, want := range map[string]string{
		"application/json; charset=iso-8859-1":   "Vêtement",
		"application/json; charset=windows-1252": "Vêtement",
		"application/json; charset=utf-8":        "V\ufffdtement",
		"application/json":                       "V\ufffdtement",
		"application/json; charset=no-such":      "V\ufffdtement",
	} {
		srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			_, _ = w.Write(latin1)
		})
		rows, _, err := collect(t, testConfig(t, srv.URL+"/lines", ModeDataFair))
		if err != nil || len(rows) != 1 {
			t.Fatalf("%s: %d rows, %v", ct, len(rows), err)
		}
		wantValue(t, rows[0], "produits", transform.String(want))
	}
}
