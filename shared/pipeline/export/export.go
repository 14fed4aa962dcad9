// Package export is LVAO's export_opendata DAG: the open-data table
// (exposure_opendata_acteur, built by shared/pipeline/compute) written as
// CSV to S3, both as a dated file and as the public acteurs.csv, then the
// dated files older than 30 days removed.
package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// LatestName is the file that always holds the last export (LVAO's
// MAIN_OPENDATA_FILENAME), public-read, never removed by the clean-up.
const LatestName = "acteurs.csv"

// Defaults of Config.
const (
	DefaultTable     = "exposure_opendata_acteur"
	DefaultPrefix    = "acteurs"
	DefaultRetention = 30 * 24 * time.Hour
)

// Config is one export.
type Config struct {
	// Warehouse holds the open-data table. Required.
	Warehouse *pgxpool.Pool
	// Schema is the warehouse schema. Required.
	Schema string
	// Table default DefaultTable.
	Table string
	// S3 and Bucket are where the files go. Required.
	S3     *s3.Client
	Bucket string
	// Prefix is the folder of the files (LVAO's remote_dir: "acteurs" in
	// production, "acteurs-<env>" elsewhere). Default DefaultPrefix.
	Prefix string
	// Retention: dated files older than this are removed. Default 30 days.
	Retention time.Duration
	// PartSize bounds memory: the CSV streams to S3 in parts of this size.
	// Default (and minimum) MinPartSize.
	PartSize int
	// Now is the clock (the file's timestamp, the retention cut-off).
	// Default time.Now.
	Now func() time.Time
	// Logger default slog.Default().
	Logger *slog.Logger
}

// Result is what an export did.
type Result struct {
	Key       string   `json:"key"`
	LatestKey string   `json:"latest_key"`
	Rows      int64    `json:"rows"`
	Bytes     int64    `json:"bytes"`
	Removed   []string `json:"removed,omitempty"`
}

// Export streams the table as CSV with a header line (PostgreSQL's COPY
// … WITH CSV HEADER, as LVAO's psql export) to <prefix>/<YYYYMMDDHHMMSS>.csv,
// copies it to <prefix>/acteurs.csv with a public-read ACL, then removes
// the dated exports older than the retention.
func Export(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Warehouse == nil || cfg.S3 == nil || cfg.Bucket == "" || cfg.Schema == "" {
		return nil, errors.New("export: Warehouse, Schema, S3 and Bucket are required")
	}
	if cfg.Table == "" {
		cfg.Table = DefaultTable
	}
	if cfg.Prefix = strings.Trim(cfg.Prefix, "/"); cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	now := cfg.Now().UTC()
	res := &Result{
		Key:       path.Join(cfg.Prefix, now.Format("20060102150405")+".csv"),
		LatestKey: path.Join(cfg.Prefix, LatestName),
	}
	conn, err := cfg.Warehouse.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("error connecting to the warehouse: %w", err)
	}
	w := newObjectWriter(ctx, cfg.S3, cfg.Bucket, res.Key, "text/csv; charset=utf-8", cfg.PartSize)
	tag, err := conn.Conn().PgConn().CopyTo(ctx, w,
		"COPY "+pgx.Identifier{cfg.Schema, cfg.Table}.Sanitize()+" TO STDOUT WITH (FORMAT csv, HEADER true)")
	conn.Release()
	if err != nil {
		w.Abort()
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000") { // undefined table / schema
			return nil, fmt.Errorf("the warehouse has no table %s.%s: compute_acteurs builds it, run that DAG first", cfg.Schema, cfg.Table)
		}
		return nil, fmt.Errorf("error exporting %s: %w", cfg.Table, err)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	res.Rows, res.Bytes = tag.RowsAffected(), w.written
	if res.Rows == 0 {
		// Not in LVAO: a header-only file would replace the public one,
		// as compute_acteurs refuses to empty the map.
		_, _ = cfg.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(cfg.Bucket), Key: aws.String(res.Key)})
		return nil, fmt.Errorf("the open-data table %s.%s is empty: %s is left as it was", cfg.Schema, cfg.Table, res.LatestKey)
	}
	cfg.Logger.Info("open-data export written", "key", res.Key, "rows", res.Rows, "bytes", res.Bytes)

	_, err = cfg.S3.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:            aws.String(cfg.Bucket),
		Key:               aws.String(res.LatestKey),
		CopySource:        aws.String(copySource(cfg.Bucket, res.Key)),
		ACL:               types.ObjectCannedACLPublicRead,
		MetadataDirective: types.MetadataDirectiveCopy,
	})
	if err != nil {
		return nil, fmt.Errorf("error publishing %s: %w", res.LatestKey, err)
	}
	cfg.Logger.Info("open-data export published", "key", res.LatestKey)

	if res.Removed, err = RemoveOldExports(ctx, cfg.S3, cfg.Bucket, cfg.Prefix, now.Add(-cfg.Retention)); err != nil {
		return nil, err
	}
	for _, k := range res.Removed {
		cfg.Logger.Warn("old open-data export removed", "key", k)
	}
	return res, nil
}

// copySource is CopyObject's "bucket/key", URL-encoded segment by segment.
func copySource(bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return bucket + "/" + strings.Join(segs, "/")
}
