// Package ban geocodes addresses with the Base Adresse Nationale (the
// French address API), through a configurable endpoint and the webapp's
// data_bancache table (answers younger than 30 days are reused), as the
// pharmacies source DAG does.
package ban

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// DefaultEndpoint is the BAN search API LVAO uses.
const DefaultEndpoint = "https://data.geopf.fr/geocodage/search/"

// Geocoder asks the BAN, through the cache.
type Geocoder struct {
	// Endpoint default DefaultEndpoint.
	Endpoint string
	// Client default: a client with a 30 s timeout.
	Client *http.Client
	// Pool is the webapp database holding data_bancache; nil disables the cache.
	Pool *pgxpool.Pool
	// TTL of cached answers. Default 30 days.
	TTL time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// RetryWait is the wait before a request's second try, doubled for the
	// third. Default 500ms.
	RetryWait time.Duration
}

// Result is the best BAN feature for a query.
type Result struct {
	Found      bool
	Score      float64
	Label      string
	Address    string
	PostalCode string
	City       string
	Latitude   float64
	Longitude  float64
}

// featureCollection is the BAN's GeoJSON answer.
type featureCollection struct {
	Query    string `json:"query"`
	Features []struct {
		Geometry struct {
			Coordinates []float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties struct {
			Label    string  `json:"label"`
			Score    float64 `json:"score"`
			Name     string  `json:"name"`
			Postcode string  `json:"postcode"`
			City     string  `json:"city"`
		} `json:"properties"`
	} `json:"features"`
}

func (g *Geocoder) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// Geocode looks up "adresse code_postal ville", from the cache when a
// fresh answer exists, else from the BAN (and caches the raw answer).
func (g *Geocoder) Geocode(ctx context.Context, adresse, codePostal, ville string) (Result, error) {
	if raw, ok, err := g.cached(ctx, adresse, codePostal, ville); err != nil {
		return Result{}, err
	} else if ok {
		return parse(raw)
	}
	query := strings.Join(nonEmpty(adresse, codePostal, ville), " ")
	raw, err := g.fetch(ctx, query)
	if err != nil {
		return Result{}, err
	}
	res, err := parse(raw)
	if err != nil {
		return Result{}, err
	}
	if err := g.store(ctx, adresse, codePostal, ville, raw, res); err != nil {
		return Result{}, err
	}
	return res, nil
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (g *Geocoder) cached(ctx context.Context, adresse, codePostal, ville string) (json.RawMessage, bool, error) {
	if g.Pool == nil {
		return nil, false, nil
	}
	ttl := g.TTL
	if ttl <= 0 {
		ttl = 30 * 24 * time.Hour
	}
	var raw json.RawMessage
	err := g.Pool.QueryRow(ctx, `SELECT ban_returned FROM data_bancache
		WHERE adresse = $1 AND code_postal = $2 AND ville = $3 AND modifie_le > $4 AND ban_returned IS NOT NULL
		ORDER BY modifie_le DESC LIMIT 1`, adresse, codePostal, ville, g.now().Add(-ttl)).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("error reading data_bancache: %w", err)
	}
	return raw, true, nil
}

func (g *Geocoder) store(ctx context.Context, adresse, codePostal, ville string, raw json.RawMessage, res Result) error {
	if g.Pool == nil {
		return nil
	}
	var lon, lat *float64
	if res.Found {
		lon, lat = &res.Longitude, &res.Latitude
	}
	_, err := g.Pool.Exec(ctx, `INSERT INTO data_bancache (adresse, code_postal, ville, location, ban_returned, modifie_le)
		VALUES ($1, $2, $3, CASE WHEN $4::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($4, $5), 4326) END, $6, $7)`,
		adresse, codePostal, ville, lon, lat, raw, g.now())
	if err != nil {
		return fmt.Errorf("error writing data_bancache: %w", err)
	}
	return nil
}

func (g *Geocoder) retryWait() time.Duration {
	if g.RetryWait > 0 {
		return g.RetryWait
	}
	return 500 * time.Millisecond
}

func (g *Geocoder) endpoint() string {
	if g.Endpoint == "" {
		return DefaultEndpoint
	}
	return g.Endpoint
}

func (g *Geocoder) fetch(ctx context.Context, query string) (json.RawMessage, error) {
	endpoint := g.endpoint()
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("BAN endpoint %q: %w", endpoint, err)
	}
	v := u.Query()
	v.Set("q", query)
	v.Set("limit", "1")
	u.RawQuery = v.Encode()
	client := g.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * g.retryWait()): // back-off between tries
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		switch {
		case err != nil:
			lastErr = err
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			lastErr = fmt.Errorf("BAN answered %d", resp.StatusCode)
		case resp.StatusCode != http.StatusOK:
			// A query the BAN rejects (e.g. too short) is "not found", not a failure.
			return json.RawMessage(`{"features":[]}`), nil
		default:
			if !json.Valid(body) {
				return nil, fmt.Errorf("BAN answer for %q is not JSON", query)
			}
			return body, nil
		}
	}
	return nil, fmt.Errorf("BAN lookup %q failed: %w", query, lastErr)
}

func parse(raw json.RawMessage) (Result, error) {
	var fc featureCollection
	if err := json.Unmarshal(raw, &fc); err != nil {
		return Result{}, fmt.Errorf("invalid BAN answer: %w", err)
	}
	if len(fc.Features) == 0 {
		return Result{}, nil
	}
	f := fc.Features[0]
	r := Result{Found: true, Score: f.Properties.Score, Label: f.Properties.Label, Address: f.Properties.Name,
		PostalCode: f.Properties.Postcode, City: f.Properties.City}
	if len(f.Geometry.Coordinates) == 2 {
		r.Longitude, r.Latitude = f.Geometry.Coordinates[0], f.Geometry.Coordinates[1]
	}
	return r, nil
}

// maxLookupFailures is how many lookups in a row may fail (each after its
// own retries) before Lookup declares the BAN unavailable.
const maxLookupFailures = 3

// Lookup adapts the geocoder to transform.AddressLookup (the
// validate_address_with_ban option), without the cache: the query is a
// free-text address. A failed lookup drops its row (the normaliser's
// choice), but maxLookupFailures failures in a row, or a cancelled task,
// wrap transform.ErrUnavailable and fail the task: a BAN outage dropped
// every row, one lookup and its retries (1.5 s) at a time, hours for a
// large source.
func (g *Geocoder) Lookup(ctx context.Context) transform.AddressLookup {
	failures := 0
	return func(query string) (transform.AddressMatch, bool, error) {
		raw, err := g.fetch(ctx, query)
		if err != nil {
			if failures++; failures >= maxLookupFailures || ctx.Err() != nil {
				return transform.AddressMatch{}, false, fmt.Errorf("%w: the BAN (%s) failed %d lookups in a row, the last one: %w",
					transform.ErrUnavailable, g.endpoint(), failures, err)
			}
			return transform.AddressMatch{}, false, err
		}
		failures = 0
		var fc featureCollection
		_ = json.Unmarshal(raw, &fc)
		r, err := parse(raw)
		if err != nil || !r.Found {
			return transform.AddressMatch{}, false, err
		}
		return transform.AddressMatch{Query: fc.Query, Label: r.Label, Address: r.Address, PostalCode: r.PostalCode,
			City: r.City, Latitude: r.Latitude, Longitude: r.Longitude}, true, nil
	}
}

// minScore is the BAN score above which the pharmacies DAG trusts a match.
const minScore = 0.5

// PharmaciesStep is the pharmacies DAG's specific step (after the
// expected-columns check): geocode each row; a match with score > 0.5
// overwrites adresse, code_postal, ville, latitude and longitude, else the
// location becomes (0, 0); rows at latitude 0 or longitude 0 are dropped.
func (g *Geocoder) PharmaciesStep(ctx context.Context) func(transform.Row) (transform.Row, bool, error) {
	return func(r transform.Row) (transform.Row, bool, error) {
		res, err := g.Geocode(ctx, r.Get("adresse").PyStr(), r.Get("code_postal").PyStr(), r.Get("ville").PyStr())
		if err != nil {
			return r, false, err
		}
		if !res.Found || res.Score <= minScore {
			r.Set("latitude", transform.Float(0))
			r.Set("longitude", transform.Float(0))
			return r, false, nil
		}
		r.Set("adresse", transform.String(res.Address))
		r.Set("code_postal", transform.String(res.PostalCode))
		r.Set("ville", transform.String(res.City))
		r.Set("latitude", transform.Float(res.Latitude))
		r.Set("longitude", transform.Float(res.Longitude))
		return r, res.Latitude != 0 && res.Longitude != 0, nil
	}
}
