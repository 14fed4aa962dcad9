package download

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// Fetch modes: the fetch_mode values of shared/lvao/sources.json, plus
// ModeJSON for an endpoint that returns its rows in one JSON document.
const (
	ModeDataFair   = "data_fair_paginated"
	ModeArtisanat  = "artisanat_paged"
	ModePharmacies = "pharmacies_zip_csv"
	ModeS3XLSX     = "s3_xlsx"
	ModeJSON       = "json"
)

// s3EndpointRe is constants.download.s3_xlsx.endpoint_regex.
var s3EndpointRe = regexp.MustCompile(`^s3://[a-zA-Z0-9.\-_]+(/[a-zA-Z0-9.\-_]+)*$`)

// Config says what to download and how. Zero values mean the documented
// defaults.
type Config struct {
	// Endpoint is the source's endpoint (required): an http(s) URL or
	// s3://bucket/key.xlsx.
	Endpoint string
	// MetadataEndpoint, when set, is a data-fair schema URL: its fields'
	// keys (x-calculated ones skipped) are the expected columns, added as ""
	// to rows lacking them. Default: no schema alignment.
	MetadataEndpoint string
	// FetchMode is one of the Mode* constants. Default: chosen from the
	// endpoint's shape as the Python fetch_data_from_endpoint does.
	FetchMode string
	// HTTPClient default: a client without overall timeout (RequestTimeout
	// bounds every wait on the network instead).
	HTTPClient *http.Client
	// S3 is the client for ModeS3XLSX (required in that mode only).
	S3 *s3.Client
	// Logger default: logs are discarded.
	Logger *slog.Logger
	// MaxRetries is how many times a transient failure (network error,
	// timeout, HTTP 429 or 5xx) is retried. Default 3; negative: none.
	MaxRetries int
	// RetryBackoff is the wait before the first retry, doubled for each
	// next one (a Retry-After header may lengthen it). Default 1s.
	RetryBackoff time.Duration
	// MaxBackoff caps one wait between tries. Default 30s.
	MaxBackoff time.Duration
	// RequestTimeout is the longest wait for the network in one request:
	// for the response headers, then for each read of the body (as the
	// Python requests' timeout=60; time spent in the sink does not count).
	// Default 60s.
	RequestTimeout time.Duration
	// TempDir holds the pharmacies ZIP while it is read. Default
	// os.TempDir().
	TempDir string
	// IgnoreRowsWithNullOrEmptyFields drops JSON rows where one of these
	// fields is null, absent or "" (the DAG parameter of the same name; as in
	// Python it does not apply to the file modes, which log a warning).
	IgnoreRowsWithNullOrEmptyFields []string
	// RequiredColumns must be in the data (after schema alignment), else
	// ErrMissingColumn. The file modes check their header before any row is
	// sent; the JSON modes check at the end. Default: none.
	RequiredColumns []string
}

// Stats describes a finished (or failed) download.
type Stats struct {
	Mode string
	// Rows is how many rows were sent to the sink.
	Rows int64
	// Pages is how many data pages (HTTP responses holding rows) were read;
	// 1 for the file modes. CMA's counting call is not a page.
	Pages int
	// Columns are the columns of the data in order of first appearance,
	// then the expected columns the data lacked.
	Columns []string
	// ExtraColumns are data columns the schema does not expect (logged,
	// kept). MissingColumns are expected columns no row had (added as "").
	ExtraColumns, MissingColumns []string
	// Dropped counts rows dropped by IgnoreRowsWithNullOrEmptyFields.
	Dropped int64
	// SkippedLines counts CSV lines with more fields than the header
	// (pandas on_bad_lines="warn").
	SkippedLines int64
	// Retries counts the retried requests.
	Retries int
	// NULCellsCleaned counts the cells whose NUL characters (U+0000) were
	// removed: Postgres text cannot hold them, and one would fail the
	// suggestion write of the whole cohort.
	NULCellsCleaned int64
}

// Download fetches the source and sends its rows, one at a time, to sink.
// Nothing holds the whole source: JSON pages are decoded as they arrive,
// files are read as streams. Rows already sent stay sent when a later error
// occurs; the caller must then discard the partial result.
func Download(ctx context.Context, cfg Config, sink func(transform.Row) error) (Stats, error) {
	st := Stats{}
	mode, err := resolveMode(cfg)
	if err != nil {
		return st, err
	}
	st.Mode = mode
	cfg = withDefaults(cfg)
	d := &downloader{
		cfg:   cfg,
		log:   cfg.Logger.With("endpoint", cfg.Endpoint, "mode", mode),
		stats: &st,
	}
	d.http = &fetcher{cfg: &d.cfg, log: d.log, stats: &st}
	d.log.Info("download: start")

	expected, err := d.expectedColumns(ctx)
	if err != nil {
		return st, err
	}
	fileMode := mode == ModePharmacies || mode == ModeS3XLSX
	d.em = newEmitter(sink, expected, &st)
	d.em.log = d.log
	if fileMode {
		if len(cfg.IgnoreRowsWithNullOrEmptyFields) > 0 {
			d.log.Warn("download: ignore_rows_with_null_or_empty_fields is not applied to a file source",
				"fields", cfg.IgnoreRowsWithNullOrEmptyFields)
		}
	} else {
		d.em.ignore = cfg.IgnoreRowsWithNullOrEmptyFields
		d.em.castNumbers = true
	}

	switch mode {
	case ModeDataFair:
		err = d.dataFair(ctx)
	case ModeArtisanat:
		err = d.artisanat(ctx)
	case ModeJSON:
		err = d.plainJSON(ctx)
	case ModePharmacies:
		err = d.pharmacies(ctx)
	case ModeS3XLSX:
		err = d.s3XLSX(ctx)
	}
	d.em.finish()
	if err != nil {
		return st, err
	}
	if st.Rows == 0 && st.Dropped > 0 {
		return st, fmt.Errorf("error downloading %s: %w: the %d rows received were all dropped by ignore_rows_with_null_or_empty_fields %q%s",
			cfg.Endpoint, ErrNoData, st.Dropped, cfg.IgnoreRowsWithNullOrEmptyFields, d.em.absent(cfg.IgnoreRowsWithNullOrEmptyFields))
	}
	if st.Rows == 0 || len(st.Columns) == 0 {
		return st, fmt.Errorf("error downloading %s: %w", cfg.Endpoint, ErrNoData)
	}
	if err := checkRequired(cfg.RequiredColumns, st.Columns); err != nil {
		return st, fmt.Errorf("error downloading %s: %w", cfg.Endpoint, err)
	}
	d.logColumns()
	d.log.Info("download: done", "rows", st.Rows, "pages", st.Pages, "columns", len(st.Columns),
		"dropped", st.Dropped, "retries", st.Retries)
	return st, nil
}

// ModeForEndpoint picks the fetch mode from the endpoint's shape, in the
// order of the Python fetch_data_from_endpoint.
func ModeForEndpoint(endpoint string) (string, error) {
	switch {
	case strings.HasPrefix(endpoint, "s3://"):
		return ModeS3XLSX, nil
	case strings.Contains(endpoint, "pointsapport.ademe.fr"), strings.Contains(endpoint, "data.ademe.fr"):
		return ModeDataFair, nil
	case strings.Contains(endpoint, "apiopendata.artisanat.fr"):
		return ModeArtisanat, nil
	case strings.Contains(endpoint, "ordre.pharmacien.fr"):
		return ModePharmacies, nil
	case strings.HasPrefix(endpoint, "http") && !strings.HasSuffix(endpoint, ".zip") &&
		!strings.HasSuffix(endpoint, ".csv") && !strings.Contains(endpoint, "?"):
		return ModeJSON, nil
	}
	return "", fmt.Errorf("%w: %q (Pas de fonction de récupération pour l'url)", ErrUnknownEndpoint, endpoint)
}

func resolveMode(cfg Config) (string, error) {
	if cfg.Endpoint == "" {
		return "", fmt.Errorf("%w: the endpoint is empty", ErrUnknownEndpoint)
	}
	mode := cfg.FetchMode
	if mode == "" {
		var err error
		if mode, err = ModeForEndpoint(cfg.Endpoint); err != nil {
			return "", err
		}
	}
	switch mode {
	case ModeS3XLSX:
		if !s3EndpointRe.MatchString(cfg.Endpoint) || !strings.HasSuffix(cfg.Endpoint, ".xlsx") {
			return "", fmt.Errorf("%w: %q is not s3://bucket/key.xlsx", ErrUnknownEndpoint, cfg.Endpoint)
		}
		if cfg.S3 == nil {
			return "", fmt.Errorf("error downloading %s: mode %s needs an S3 client", cfg.Endpoint, mode)
		}
	case ModeDataFair, ModeArtisanat, ModePharmacies, ModeJSON:
		if err := checkHTTPURL(cfg.Endpoint); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("%w: unknown fetch mode %q", ErrUnknownEndpoint, mode)
	}
	if cfg.MetadataEndpoint != "" {
		if err := checkHTTPURL(cfg.MetadataEndpoint); err != nil {
			return "", err
		}
	}
	return mode, nil
}

func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an http(s) URL", ErrUnknownEndpoint, raw)
	}
	return nil
}

func withDefaults(cfg Config) Config {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	return cfg
}

func checkRequired(required, columns []string) error {
	have := make(map[string]bool, len(columns))
	for _, c := range columns {
		have[c] = true
	}
	var missing []string
	for _, c := range required {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %q (columns: %q)", ErrMissingColumn, missing, columns)
	}
	return nil
}

// downloader is one Download call.
type downloader struct {
	cfg   Config
	log   *slog.Logger
	stats *Stats
	http  *fetcher
	em    *emitter
}

func (d *downloader) logColumns() {
	if len(d.stats.MissingColumns) > 0 {
		d.log.Warn("download: expected columns missing from the data, added as empty strings",
			"columns", d.stats.MissingColumns)
	}
	// data-fair's own fields (_i, _id, _rand, _score, _updatedAt,
	// _geopoint…) come with every row and are never in a dataset's schema:
	// noted, not warned about at every run.
	var internal, extra []string
	for _, c := range d.stats.ExtraColumns {
		if strings.HasPrefix(c, "_") {
			internal = append(internal, c)
		} else {
			extra = append(extra, c)
		}
	}
	if len(extra) > 0 {
		d.log.Warn("download: columns not in the schema", "columns", extra)
	}
	if len(internal) > 0 {
		d.log.Info("download: data-fair's own columns, not in the schema", "columns", internal)
	}
}
