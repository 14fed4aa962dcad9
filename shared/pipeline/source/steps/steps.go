// Package steps are the task functions of the source DAGs (LVAO's chain
// source_config_validate → source_data_download → source_data_normalize →
// source_data_validate → keep_acteur_changed → db_data_prepare →
// db_write_type_action_suggestions). Each step reads its input as a
// JSON-lines artifact of the previous task, writes its output as an
// artifact of its own, and returns small statistics as its result: data
// streams through S3, a row at a time, never whole in memory.
package steps

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/source/ban"
	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
	"github.com/lvao/dataplatform/shared/runtime"
)

// Deps are what the steps use besides the task's own context.
type Deps struct {
	// Webapp is the LVAO webapp database (reference tables, acteurs,
	// suggestions). Required.
	Webapp func() (*pgxpool.Pool, error)
	// HTTP downloads sources. Default http.DefaultClient.
	HTTP *http.Client
	// S3 reads source-s3's files (s3://…). Optional.
	S3 *s3.Client
	// BANEndpoint is the BAN search API (pharmacies, validate_address_with_ban).
	// Default ban.DefaultEndpoint.
	BANEndpoint string
}

// Args are a source task's args (see shared/dags/<source>.yaml).
type Args struct {
	Step   string          `json:"step"`
	Config json.RawMessage `json:"config"`
}

// Config is a source DAG's configuration as its tasks receive it.
type Config struct {
	transform.SourceConfig
	FetchMode      string `json:"fetch_mode"`
	S3ConnectionID string `json:"s3_connection_id"`
	DryRun         bool   `json:"dry_run"`
}

// Artifact names (artifacts/<dag>/<run>/<task>/<name>).
const (
	RowsArtifact = "rows.jsonl.gz"
	LogsArtifact = "logs.jsonl.gz"
	// KeepIDsArtifact (of source_data_normalize) lists, one JSON string a
	// line, the identifiant_unique of the acteurs whose rows were dropped
	// where the upstream task would have failed (transform.RowResult.KeepIDs):
	// keep_acteur_changed neither updates nor deletes them.
	KeepIDsArtifact = "keep_ids.jsonl.gz"
)

// Task ids of LVAO's chain, where each step finds its input.
const (
	TaskDownload  = "source_data_download"
	TaskNormalize = "source_data_normalize"
	TaskValidate  = "source_data_validate"
	TaskKeep      = "keep_acteur_changed"
	TaskPrepare   = "db_data_prepare"
)

// parse decodes the args; errors are ArgsErrors (no retry).
func parse(t *runtime.Task) (Args, Config, error) {
	var a Args
	if err := t.DecodeArgs(&a); err != nil {
		return a, Config{}, err
	}
	var c Config
	if len(a.Config) == 0 {
		return a, c, &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("config is missing")}
	}
	// SourceConfig has its own UnmarshalJSON, which an embedding struct
	// would inherit for all its fields: decode the two parts apart.
	var extra struct {
		FetchMode      string  `json:"fetch_mode"`
		S3ConnectionID *string `json:"s3_connection_id"`
		DryRun         bool    `json:"dry_run"`
	}
	if err := json.Unmarshal(a.Config, &c.SourceConfig); err != nil {
		return a, c, &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("config: %w", err)}
	}
	if err := json.Unmarshal(a.Config, &extra); err != nil {
		return a, c, &runtime.ArgsError{Task: t.TaskID, Err: fmt.Errorf("config: %w", err)}
	}
	c.FetchMode, c.DryRun = extra.FetchMode, extra.DryRun
	if extra.S3ConnectionID != nil {
		c.S3ConnectionID = *extra.S3ConnectionID
	}
	if c.DagID == "" {
		c.DagID = t.DagID
	}
	return a, c, nil
}

func (d *Deps) banGeocoder(pool *pgxpool.Pool) *ban.Geocoder {
	return &ban.Geocoder{Endpoint: d.BANEndpoint, Client: d.httpClient(), Pool: pool}
}

func (d *Deps) httpClient() *http.Client {
	if d.HTTP != nil {
		return d.HTTP
	}
	return http.DefaultClient
}
