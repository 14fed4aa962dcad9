package download

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// cmaRow is a row of the CMA API (columns of the cma DAG's rules); row 0 of
// each thousand has a null id when nullIDs.
func cmaRow(i int, nullIDs bool) string {
	id := strconv.Quote(fmt.Sprintf("cma-%d", i))
	if nullIDs && i%1000 == 0 {
		id = "null"
	}
	return fmt.Sprintf(`{"id":%s,"nom":"Réparateur %d","adresse":"%d rue de la Paix","adresse_2":null,`+
		`"code_postal":"75002","ville":"Paris","final_latitude":48.86,"final_longitude":2.33,`+
		`"categories":["Vélo","Électroménager"],"email":"contact%d@example.org","website":"",`+
		`"effectif":%d,"eco_maison":false}`, id, i, i, i, i%50)
}

// cmaServer plays apiopendata.artisanat.fr with total rows: page and
// page_size as query parameters, rows under data.
func cmaServer(t *testing.T, total int, nullIDs bool) *server {
	return newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		page, err1 := strconv.Atoi(q.Get("page"))
		size, err2 := strconv.Atoi(q.Get("page_size"))
		if err1 != nil || err2 != nil || page < 1 || size < 1 {
			http.Error(w, "bad paging", http.StatusBadRequest)
			return
		}
		var rows []string
		for i := (page - 1) * size; i < min(page*size, total); i++ {
			rows = append(rows, cmaRow(i, nullIDs))
		}
		fmt.Fprintf(w, `{"total_entries":%d,"page":%d,"data":[%s]}`, total, page, strings.Join(rows, ","))
	})
}

func TestArtisanatPaging(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ total, pages int }{{1, 1}, {999, 1}, {1000, 1}, {1001, 2}, {2500, 3}} {
		t.Run(strconv.Itoa(c.total), func(t *testing.T) {
			t.Parallel()
			srv := cmaServer(t, c.total, false)
			rows, st, err := collect(t, testConfig(t, srv.URL+"/reparacteur", ModeArtisanat))
			if err != nil {
				t.Fatalf("Download: %v", err)
			}
			if len(rows) != c.total || st.Pages != c.pages {
				t.Fatalf("%d rows in %d pages, want %d in %d", len(rows), st.Pages, c.total, c.pages)
			}
			want := []string{"/reparacteur?page=1&page_size=1"}
			for p := 1; p <= c.pages; p++ {
				want = append(want, fmt.Sprintf("/reparacteur?page=%d&page_size=1000", p))
			}
			if got := srv.requests(); !slices.Equal(got, want) {
				t.Errorf("requests %q, want %q", got, want)
			}
			last := rows[len(rows)-1]
			wantValue(t, last, "id", transform.String(fmt.Sprintf("cma-%d", c.total-1)))
			wantValue(t, last, "final_latitude", transform.String("48.86"))
			wantValue(t, last, "effectif", transform.String(strconv.Itoa((c.total-1)%50)))
			wantValue(t, last, "eco_maison", transform.Bool(false))
			wantValue(t, last, "adresse_2", transform.Missing)
			wantValue(t, last, "categories", transform.Strings("Vélo", "Électroménager"))
		})
	}
}

func TestArtisanatNoEntries(t *testing.T) {
	t.Parallel()
	srv := cmaServer(t, 0, false)
	_, _, err := collect(t, testConfig(t, srv.URL+"/reparacteur", ModeArtisanat))
	if !errors.Is(err, ErrNoData) || len(srv.requests()) != 1 {
		t.Fatalf("err = %v after %q, want ErrNoData after the count call", err, srv.requests())
	}
}

// TestArtisanatIgnoreNullIDs: the cma DAG's ignore_rows_with_null_or_empty_fields.
func TestArtisanatIgnoreNullIDs(t *testing.T) {
	t.Parallel()
	srv := cmaServer(t, 2001, true)
	cfg := testConfig(t, srv.URL+"/reparacteur", ModeArtisanat)
	cfg.IgnoreRowsWithNullOrEmptyFields = []string{"id"}
	rows, st, err := collect(t, cfg)
	if err != nil || len(rows) != 1998 || st.Dropped != 3 || st.Rows != 1998 {
		t.Fatalf("rows %d, stats %+v, err %v", len(rows), st, err)
	}
}

// When ignore_rows_with_null_or_empty_fields drops every row received, the
// error says so, and names a field no row has (a KeyError upstream): it
// said "no data received", as if the API had sent nothing.
func TestArtisanatEveryRowIgnored(t *testing.T) {
	t.Parallel()
	srv := cmaServer(t, 3, false)
	for field, want := range map[string]string{
		"siret2":    `the 3 rows received were all dropped by ignore_rows_with_null_or_empty_fields ["siret2"] (no row has the column(s) ["siret2"]`,
		"adresse_2": `the 3 rows received were all dropped by ignore_rows_with_null_or_empty_fields ["adresse_2"]`,
	} {
		cfg := testConfig(t, srv.URL+"/reparacteur", ModeArtisanat)
		cfg.IgnoreRowsWithNullOrEmptyFields = []string{field}
		_, _, err := collect(t, cfg)
		if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), want) ||
			(field == "adresse_2") != !strings.Contains(err.Error(), "no row has") {
			t.Errorf("%s: err = %v, want %q", field, err, want)
		}
	}
}

func TestArtisanatMissingKeys(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"no total_entries": `{"count":3}`,
		"no data":          `{"total_entries":3,"rows":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
			_, _, err := collect(t, testConfig(t, srv.URL+"/reparacteur", ModeArtisanat))
			if !errors.Is(err, ErrUnexpectedResponse) {
				t.Fatalf("err = %v, want ErrUnexpectedResponse", err)
			}
		})
	}
}
