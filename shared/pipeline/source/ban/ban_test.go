package ban

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
	"github.com/lvao/dataplatform/shared/store/storetest"
)

// cachePool is a pool on a fresh schema holding data_bancache (PostGIS).
func cachePool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	schema := storetest.Schema(t)
	cfg, err := pgxpool.ParseConfig(storetest.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema + ",public"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	// Parallel packages may create the extension at once: one wins.
	_, _ = pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis")
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+schema+`;
		CREATE TABLE `+schema+`.data_bancache (id bigserial PRIMARY KEY, adresse varchar, code_postal varchar,
		ville varchar, location geometry(Point, 4326), ban_returned jsonb, modifie_le timestamptz NOT NULL)`); err != nil {
		t.Fatalf("data_bancache (is postgresql-15-postgis-3 installed?): %v", err)
	}
	return pool
}

const answer = `{"type":"FeatureCollection","query":"12 rue de la Paix 75002 Paris","features":[{"type":"Feature",
"geometry":{"type":"Point","coordinates":[2.331,48.869]},
"properties":{"label":"12 Rue de la Paix 75002 Paris","score":0.97,"name":"12 Rue de la Paix","postcode":"75002","city":"Paris"}}]}`

func TestGeocodeUsesTheCacheFor30Days(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Query().Get("q") != "12 rue de la Paix 75002 Paris" || r.URL.Query().Get("limit") != "1" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
		_, _ = w.Write([]byte(answer))
	}))
	defer srv.Close()
	now := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
	g := &Geocoder{Endpoint: srv.URL, Pool: cachePool(t), Now: func() time.Time { return now }}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		res, err := g.Geocode(ctx, "12 rue de la Paix", "75002", "Paris")
		if err != nil {
			t.Fatal(err)
		}
		if !res.Found || res.Address != "12 Rue de la Paix" || res.Latitude != 48.869 || res.Longitude != 2.331 {
			t.Fatalf("result %+v", res)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d BAN calls, want 1 (second from data_bancache)", calls.Load())
	}
	var wkt string
	if err := g.Pool.QueryRow(ctx, "SELECT ST_AsText(location) FROM data_bancache").Scan(&wkt); err != nil || wkt != "POINT(2.331 48.869)" {
		t.Fatalf("cached location %q %v", wkt, err)
	}
	now = now.Add(31 * 24 * time.Hour)
	if _, err := g.Geocode(ctx, "12 rue de la Paix", "75002", "Paris"); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Fatalf("a 31-day-old answer was reused")
	}
}

func TestPharmaciesStep(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("q") {
		case "12 rue de la Paix 75002 Paris":
			_, _ = w.Write([]byte(answer))
		case "nowhere":
			_, _ = w.Write([]byte(`{"features":[{"geometry":{"coordinates":[1,1]},"properties":{"score":0.2}}]}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	step := (&Geocoder{Endpoint: srv.URL}).PharmaciesStep(context.Background())
	row := transform.NewRow(transform.Field{Name: "adresse", Value: transform.String("12 rue de la Paix")},
		transform.Field{Name: "code_postal", Value: transform.String("75002")}, transform.Field{Name: "ville", Value: transform.String("Paris")})
	out, keep, err := step(row)
	if err != nil || !keep || out.Get("ville").PyStr() != "Paris" || out.Get("latitude").PyStr() != "48.869" {
		t.Fatalf("found: keep=%v err=%v row=%v", keep, err, out)
	}
	low := transform.NewRow(transform.Field{Name: "adresse", Value: transform.String("nowhere")})
	if out, keep, err := step(low); err != nil || keep || out.Get("latitude").PyStr() != "0.0" {
		t.Fatalf("low score: keep=%v err=%v row=%v", keep, err, out)
	}
}

// A failed lookup drops its row, but maxLookupFailures in a row mean the BAN
// is down: the error then wraps transform.ErrUnavailable, which fails the
// task (an outage dropped every row, one lookup and its retries at a time).
// A success in between starts the count again.
func TestLookupDeclaresTheBANUnavailable(t *testing.T) {
	t.Parallel()
	var fail atomic.Bool
	fail.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"features": []}`))
	}))
	t.Cleanup(srv.Close)
	lookup := (&Geocoder{Endpoint: srv.URL, RetryWait: time.Millisecond}).Lookup(context.Background())
	for i, want := range []bool{false, false, true, true} {
		if i == 2 {
			// A success resets the count: two more failures are needed.
			fail.Store(false)
			if _, _, err := lookup("ok"); err != nil {
				t.Fatal(err)
			}
			fail.Store(true)
			for j := 0; j < maxLookupFailures-1; j++ {
				if _, _, err := lookup("x"); err == nil || errors.Is(err, transform.ErrUnavailable) {
					t.Fatalf("failure %d after a success: %v", j+1, err)
				}
			}
		}
		_, _, err := lookup("3 rue de la Paix")
		if err == nil || errors.Is(err, transform.ErrUnavailable) != want {
			t.Fatalf("lookup %d: err = %v, want unavailable = %v", i+1, err, want)
		}
	}
}
