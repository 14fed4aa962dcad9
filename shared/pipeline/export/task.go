package export

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/runtime"
)

// Deps are what the export-opendata task function needs.
type Deps struct {
	// Warehouse opens the warehouse pool. Required.
	Warehouse func() (*pgxpool.Pool, error)
	// WarehouseSchema holds the open-data table. Required.
	WarehouseSchema string
	// S3 is the Object Storage client. Required.
	S3 *s3.Client
	// Bucket is the default bucket (args bucket_name overrides it).
	Bucket string
	// Now default time.Now.
	Now func() time.Time
}

// Args are the task's args (LVAO's export_opendata_dag params).
type Args struct {
	// BucketName default Deps.Bucket.
	BucketName string `json:"bucket_name"`
	// RemoteDir default DefaultPrefix ("acteurs").
	RemoteDir string `json:"remote_dir"`
	// OpendataTable default DefaultTable.
	OpendataTable string `json:"opendata_table"`
	// RetentionDays default 30.
	RetentionDays int `json:"retention_days"`
}

// Task is the export-opendata task function.
func Task(d *Deps) runtime.TaskFunc {
	return func(ctx context.Context, t *runtime.Task) (any, error) {
		var a Args
		if err := t.DecodeArgs(&a); err != nil {
			return nil, err
		}
		if a.BucketName == "" {
			a.BucketName = d.Bucket
		}
		if a.BucketName == "" {
			return nil, &runtime.ArgsError{Task: t.TaskID, Err: errors.New("bucket_name is required (no default bucket)")}
		}
		pool, err := d.Warehouse()
		if err != nil {
			return nil, err
		}
		return Export(ctx, Config{Warehouse: pool, Schema: d.WarehouseSchema, Table: a.OpendataTable,
			S3: d.S3, Bucket: a.BucketName, Prefix: a.RemoteDir, Retention: time.Duration(a.RetentionDays) * 24 * time.Hour,
			Now: d.Now, Logger: t.Logger})
	}
}
