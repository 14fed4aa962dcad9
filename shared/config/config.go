// Package config parses the environment once into one validated struct.
//
// Every variable the bundle reads is a field here and is documented in
// .env.template. Load reports every missing or malformed variable at once.
// Secret values are listed by SecretValues so log writers can mask them.
package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Config is the whole runtime configuration of a function or the harness.
type Config struct {
	// Stage is the deployment stage (preprod, prod, local). Default "local".
	Stage string
	// DatabaseURL is the platform's Postgres (runs, task instances…). Required.
	DatabaseURL string
	// DatabaseSchema is the Postgres schema of the platform tables. Default "lvao_platform".
	DatabaseSchema string
	// WebappDatabaseURL is the LVAO webapp database (qfdmo_*, data_suggestion*). Default DatabaseURL.
	WebappDatabaseURL string
	// WarehouseDatabaseURL is the warehouse (former dbt) database. Default WebappDatabaseURL.
	WarehouseDatabaseURL string
	// WebappDatabaseSchema holds the webapp tables (qfdmo_*, data_*). Default "public".
	WebappDatabaseSchema string
	// BANEndpoint is the BAN geocoding API. Default https://data.geopf.fr/geocodage/search/.
	BANEndpoint string

	// QueueBackend is "sqs", "nats" or "memory" (harness only). Default "sqs".
	QueueBackend string
	// QueuePrefix prefixes every queue name / NATS subject. Default "lvao-<stage>-".
	QueuePrefix string
	// SQSEndpoint is the Scaleway Queues SQS endpoint. Default https://sqs.mnq.fr-par.scaleway.com.
	SQSEndpoint string
	// SQSRegion default "fr-par".
	SQSRegion string
	// SQSAccessKey and SQSSecretKey are Queues credentials (secret).
	SQSAccessKey, SQSSecretKey string
	// NATSURL is the NATS server URL when QueueBackend is "nats".
	NATSURL string
	// NATSCreds is the content of a NATS .creds file (secret), optional.
	NATSCreds string

	// S3Endpoint default https://s3.fr-par.scw.cloud.
	S3Endpoint string
	// S3Region default "fr-par".
	S3Region string
	// S3AccessKey and S3SecretKey are Object Storage credentials (secret).
	S3AccessKey, S3SecretKey string
	// LogsBucket holds task logs. Default "lvao-<stage>-logs".
	LogsBucket string
	// DataBucket holds artifacts. Default "lvao-<stage>-data".
	DataBucket string

	// CoordinatorURL is where the web function sends actions. Optional.
	CoordinatorURL string
	// CoordinatorToken is the X-Auth-Token for the coordinator (secret). Optional.
	CoordinatorToken string
	// WebUsers is "user:bcrypthash,user2:hash" (secret). Optional.
	WebUsers string
	// WebSessionKey signs session cookies (secret). Optional.
	WebSessionKey string
	// APITokens is a comma-separated list of bearer tokens for the JSON API (secret). Optional.
	APITokens string

	// TaskLease is how long a claimed attempt stays valid without heartbeat. Default 60s.
	TaskLease time.Duration
	// RequeueAfter republishes a task queued longer than this. Default 2m.
	RequeueAfter time.Duration
	// TickLinger keeps the coordinator's tick request open this long,
	// queueing due retries every 5s between the cron's minutes. Default 0.
	TickLinger time.Duration
	// LogFlushInterval is how often a running task's log is flushed to S3. Default 3s.
	LogFlushInterval time.Duration
	// FunctionTimeout is the function's own timeout: a task's execution
	// timeout when its DAG sets none. Default 15m.
	FunctionTimeout time.Duration
}

// Secret names the variables whose values are masked in logs.
var Secret = []string{
	"DATABASE_URL", "WEBAPP_DATABASE_URL", "WAREHOUSE_DATABASE_URL",
	"SQS_ACCESS_KEY", "SQS_SECRET_KEY", "NATS_CREDS",
	"S3_ACCESS_KEY", "S3_SECRET_KEY",
	"COORDINATOR_TOKEN", "WEB_USERS", "WEB_SESSION_KEY", "API_TOKENS",
}

// Error lists every problem found in the environment.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration: " + strings.Join(e.Problems, "; ")
}

// FromEnv loads the configuration from the process environment.
func FromEnv() (*Config, error) { return Load(os.LookupEnv) }

// Load builds the configuration from a lookup function (os.LookupEnv in
// production, a map in tests: tests never mutate the process environment).
func Load(lookup func(string) (string, bool)) (*Config, error) {
	var problems []string
	get := func(name, def string) string {
		if v, ok := lookup(name); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	// dur reads a positive duration; one whose default is 0 (off, as
	// TICK_LINGER) may be set to 0 too.
	dur := func(name string, def time.Duration) time.Duration {
		v := get(name, "")
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || (d == 0 && def != 0) {
			msg := "a positive Go duration (e.g. 30s, 2m)"
			if def == 0 {
				msg = "a Go duration (e.g. 50s; 0 for off)"
			}
			problems = append(problems, fmt.Sprintf("%s: %q is not %s", name, v, msg))
			return def
		}
		return d
	}
	// pgURL checks a database URL that is set; one left unset takes def
	// (another variable's value, already checked under its own name).
	pgURL := func(name, def string) string {
		v := get(name, "")
		if v == "" {
			return def
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			problems = append(problems, fmt.Sprintf("%s: not a postgres:// URL", name))
		}
		return v
	}
	c := &Config{}
	c.Stage = get("STAGE", "local")
	c.DatabaseURL = pgURL("DATABASE_URL", "")
	if c.DatabaseURL == "" {
		problems = append(problems, "DATABASE_URL: missing (postgres://user:pass@host:5432/db)")
	}
	c.DatabaseSchema = get("DATABASE_SCHEMA", "lvao_platform")
	if !validIdent(c.DatabaseSchema) {
		problems = append(problems, fmt.Sprintf("DATABASE_SCHEMA: %q is not a plain identifier [a-z_][a-z0-9_]*", c.DatabaseSchema))
	}
	c.WebappDatabaseURL = pgURL("WEBAPP_DATABASE_URL", c.DatabaseURL)
	c.WarehouseDatabaseURL = pgURL("WAREHOUSE_DATABASE_URL", c.WebappDatabaseURL)
	c.WebappDatabaseSchema = get("WEBAPP_DATABASE_SCHEMA", "public")
	if !validIdent(c.WebappDatabaseSchema) {
		problems = append(problems, fmt.Sprintf("WEBAPP_DATABASE_SCHEMA: %q is not a plain identifier [a-z_][a-z0-9_]*", c.WebappDatabaseSchema))
	}
	c.BANEndpoint = get("BAN_ENDPOINT", "https://data.geopf.fr/geocodage/search/")

	c.QueueBackend = get("QUEUE_BACKEND", "sqs")
	c.QueuePrefix = get("QUEUE_PREFIX", "lvao-"+c.Stage+"-")
	c.SQSEndpoint = get("SQS_ENDPOINT", "https://sqs.mnq.fr-par.scaleway.com")
	c.SQSRegion = get("SQS_REGION", "fr-par")
	c.SQSAccessKey = get("SQS_ACCESS_KEY", "")
	c.SQSSecretKey = get("SQS_SECRET_KEY", "")
	c.NATSURL = get("NATS_URL", "")
	c.NATSCreds = get("NATS_CREDS", "")
	switch c.QueueBackend {
	case "sqs":
		if c.SQSAccessKey == "" || c.SQSSecretKey == "" {
			problems = append(problems, "SQS_ACCESS_KEY, SQS_SECRET_KEY: missing (Scaleway Queues credentials) while QUEUE_BACKEND=sqs")
		}
	case "nats":
		if c.NATSURL == "" {
			problems = append(problems, "NATS_URL: missing while QUEUE_BACKEND=nats")
		}
	case "memory":
	default:
		problems = append(problems, fmt.Sprintf("QUEUE_BACKEND: %q is not one of sqs, nats, memory", c.QueueBackend))
	}

	c.S3Endpoint = get("S3_ENDPOINT", "https://s3.fr-par.scw.cloud")
	c.S3Region = get("S3_REGION", "fr-par")
	c.S3AccessKey = get("S3_ACCESS_KEY", "")
	c.S3SecretKey = get("S3_SECRET_KEY", "")
	c.LogsBucket = get("LOGS_BUCKET", "lvao-"+c.Stage+"-logs")
	c.DataBucket = get("DATA_BUCKET", "lvao-"+c.Stage+"-data")

	for _, b := range []struct{ name, value string }{{"LOGS_BUCKET", c.LogsBucket}, {"DATA_BUCKET", c.DataBucket}} {
		if !bucketName.MatchString(b.value) || strings.Contains(b.value, "..") {
			from := ""
			if v, _ := lookup(b.name); strings.TrimSpace(v) == "" {
				from = " (its default, from STAGE)"
			}
			problems = append(problems, fmt.Sprintf("%s: %q%s is not a valid bucket name (3-63 lowercase letters, digits, - or .)", b.name, b.value, from))
		}
	}

	c.CoordinatorURL = get("COORDINATOR_URL", "")
	c.CoordinatorToken = get("COORDINATOR_TOKEN", "")
	c.WebUsers = get("WEB_USERS", "")
	c.WebSessionKey = get("WEB_SESSION_KEY", "")
	c.APITokens = get("API_TOKENS", "")

	// Endpoints are not secrets: a bad one is shown as written.
	for _, e := range []struct{ name, value string }{
		{"S3_ENDPOINT", c.S3Endpoint}, {"SQS_ENDPOINT", c.SQSEndpoint},
		{"BAN_ENDPOINT", c.BANEndpoint}, {"COORDINATOR_URL", c.CoordinatorURL},
	} {
		if u, err := url.Parse(e.value); e.value != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			problems = append(problems, fmt.Sprintf("%s: %q is not an http(s):// URL", e.name, e.value))
		}
	}

	// atLeast refuses a duration too short to work: a lease renewed every
	// lease/3 must outlast a database round trip under load; a log
	// flushed more often than this would be an S3 PUT storm.
	atLeast := func(name string, d, floor time.Duration) time.Duration {
		if d < floor && d != 0 {
			problems = append(problems, fmt.Sprintf("%s: %s is too short (at least %s)", name, d, floor))
		}
		return d
	}
	c.TaskLease = atLeast("TASK_LEASE", dur("TASK_LEASE", 60*time.Second), time.Second)
	c.RequeueAfter = atLeast("REQUEUE_AFTER", dur("REQUEUE_AFTER", 2*time.Minute), time.Second)
	c.TickLinger = dur("TICK_LINGER", 0)
	c.LogFlushInterval = atLeast("LOG_FLUSH_INTERVAL", dur("LOG_FLUSH_INTERVAL", 3*time.Second), 100*time.Millisecond)
	c.FunctionTimeout = atLeast("FUNCTION_TIMEOUT", dur("FUNCTION_TIMEOUT", 15*time.Minute), time.Second)
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// SecretValues returns the values of secret variables, for masking: each
// whole value and the secrets inside it (each token of a comma-separated
// list, each hash of WEB_USERS, a database URL's password), as Airflow's
// masker masks a connection's password on its own. Values shorter than 4
// characters are left out (masking them would destroy the log).
func SecretValues(lookup func(string) (string, bool)) []string {
	var out []string
	add := func(v string) {
		if v = strings.TrimSpace(v); len(v) >= 4 {
			out = append(out, v)
		}
	}
	for _, name := range Secret {
		v, ok := lookup(name)
		if !ok {
			continue
		}
		add(v)
		switch name {
		case "API_TOKENS":
			for _, t := range strings.Split(v, ",") {
				add(t)
			}
		case "WEB_USERS": // user:hash: the user names are not secret
			for _, entry := range strings.Split(v, ",") {
				if _, hash, ok := strings.Cut(entry, ":"); ok {
					add(hash)
				}
			}
		case "DATABASE_URL", "WEBAPP_DATABASE_URL", "WAREHOUSE_DATABASE_URL":
			if u, err := url.Parse(strings.TrimSpace(v)); err == nil {
				if pw, ok := u.User.Password(); ok {
					add(pw)
				}
				add(u.Query().Get("password"))
			}
		}
	}
	return out
}

// bucketName is S3's rule for bucket names (Scaleway's Object Storage too).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func validIdent(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, r := range s {
		if r == '_' || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}
