package config

import (
	"strings"
	"testing"
	"time"
)

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadListsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Load(lookup(map[string]string{"QUEUE_BACKEND": "kafka", "TASK_LEASE": "soon", "DATABASE_URL": "mysql://x"}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"DATABASE_URL: not a postgres:// URL", `QUEUE_BACKEND: "kafka" is not one of`, `TASK_LEASE: "soon" is not a positive Go duration`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
	_, err = Load(lookup(map[string]string{}))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL: missing") || !strings.Contains(err.Error(), "SQS_ACCESS_KEY, SQS_SECRET_KEY: missing") {
		t.Errorf("missing: %v", err)
	}
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(lookup(map[string]string{"DATABASE_URL": "postgres://u:pw@h/db", "QUEUE_BACKEND": "memory", "STAGE": "preprod"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.LogsBucket != "lvao-preprod-logs" || c.QueuePrefix != "lvao-preprod-" || c.TaskLease != time.Minute || c.WebappDatabaseURL != c.DatabaseURL {
		t.Errorf("defaults %+v", c)
	}
	if strings.Contains(c.DatabaseSchema, " ") || c.DatabaseSchema != "lvao_platform" {
		t.Errorf("schema %q", c.DatabaseSchema)
	}
	if v := SecretValues(lookup(map[string]string{"DATABASE_URL": "postgres://secret", "STAGE": "prod"})); len(v) != 1 || v[0] != "postgres://secret" {
		t.Errorf("secret values %v", v)
	}
}

// TICK_LINGER's default is 0 (off): writing it explicitly is accepted.
func TestTickLingerZeroIsOff(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0", "0s", "50s"} {
		c, err := Load(lookup(map[string]string{"DATABASE_URL": "postgres://u@h/db", "QUEUE_BACKEND": "memory", "TICK_LINGER": v}))
		if err != nil {
			t.Fatalf("TICK_LINGER=%s: %v", v, err)
		}
		if want, _ := time.ParseDuration(v); c.TickLinger != want {
			t.Errorf("TICK_LINGER=%s: %s", v, c.TickLinger)
		}
	}
	for _, v := range []string{"-1s", "soon"} {
		_, err := Load(lookup(map[string]string{"DATABASE_URL": "postgres://u@h/db", "QUEUE_BACKEND": "memory", "TICK_LINGER": v}))
		if err == nil || !strings.Contains(err.Error(), "TICK_LINGER: ") {
			t.Errorf("TICK_LINGER=%s: %v, want an error naming it", v, err)
		}
	}
}

// An endpoint that is not an http(s) URL is named at start, with its value
// (these are not secrets), instead of failing at the first S3 or queue call
// with the SDK's "endpoint rule error".
func TestLoadRejectsEndpointsThatAreNotURLs(t *testing.T) {
	t.Parallel()
	_, err := Load(lookup(map[string]string{"DATABASE_URL": "postgres://u@h/db", "QUEUE_BACKEND": "memory",
		"S3_ENDPOINT": "notaurl", "SQS_ENDPOINT": "sqs.mnq.fr-par.scaleway.com", "BAN_ENDPOINT": "ftp://x/",
		"COORDINATOR_URL": "http://"}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`S3_ENDPOINT: "notaurl" is not an http(s):// URL`, `SQS_ENDPOINT: "sqs.mnq.fr-par.scaleway.com" is not`,
		`BAN_ENDPOINT: "ftp://x/" is not`, `COORDINATOR_URL: "http://" is not`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
	if _, err := Load(lookup(map[string]string{"DATABASE_URL": "postgres://u@h/db", "QUEUE_BACKEND": "memory",
		"S3_ENDPOINT": "http://127.0.0.1:9000", "COORDINATOR_URL": "https://coord.example/"})); err != nil {
		t.Errorf("valid endpoints refused: %v", err)
	}
}

// A database URL left unset defaults to another one: a bad DATABASE_URL is
// reported once, under its own name, not also as WEBAPP_DATABASE_URL and
// WAREHOUSE_DATABASE_URL which the user never set.
func TestLoadNamesOnlyTheDatabaseURLThatIsSet(t *testing.T) {
	t.Parallel()
	_, err := Load(lookup(map[string]string{"DATABASE_URL": "mysql://u:pw@h/db", "QUEUE_BACKEND": "memory"}))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL: not a postgres:// URL") {
		t.Fatalf("error %v, want DATABASE_URL named", err)
	}
	for _, name := range []string{"WEBAPP_DATABASE_URL", "WAREHOUSE_DATABASE_URL"} {
		if strings.Contains(err.Error(), name) {
			t.Errorf("%v names %s, which is not set", err, name)
		}
	}
	if strings.Contains(err.Error(), "pw") {
		t.Errorf("%v shows the password", err)
	}
	_, err = Load(lookup(map[string]string{"DATABASE_URL": "postgres://u@h/db", "WAREHOUSE_DATABASE_URL": "http://x", "QUEUE_BACKEND": "memory"}))
	if err == nil || !strings.Contains(err.Error(), "WAREHOUSE_DATABASE_URL: not a postgres:// URL") {
		t.Errorf("an explicit bad WAREHOUSE_DATABASE_URL: %v", err)
	}
}

// A bucket name S3 refuses (as STAGE=Prod makes "lvao-Prod-logs") is named
// at start, with the STAGE it came from, not at the first upload.
func TestLoadRejectsInvalidBucketNames(t *testing.T) {
	t.Parallel()
	_, err := Load(lookup(map[string]string{"DATABASE_URL": "postgres://u@h/db", "QUEUE_BACKEND": "memory", "STAGE": "Prod"}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`LOGS_BUCKET: "lvao-Prod-logs" (its default, from STAGE) is not a valid bucket name`, `DATA_BUCKET: "lvao-Prod-data"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
	_, err = Load(lookup(map[string]string{"DATABASE_URL": "postgres://u@h/db", "QUEUE_BACKEND": "memory", "LOGS_BUCKET": "my_logs"}))
	if err == nil || !strings.Contains(err.Error(), `LOGS_BUCKET: "my_logs" is not a valid bucket name`) || strings.Contains(err.Error(), "DATA_BUCKET") {
		t.Errorf("LOGS_BUCKET=my_logs: %v", err)
	}
}

// A secret variable may hold several secrets: each token of API_TOKENS,
// each user's hash of WEB_USERS, the password inside a database URL. Each is
// masked on its own, as Airflow's masker masks a connection's password: a
// log line showing one token, or the password alone, shows "***".
func TestSecretValuesIncludeEachPartOfASecret(t *testing.T) {
	t.Parallel()
	got := SecretValues(lookup(map[string]string{
		"API_TOKENS":          "tok-aaaa, tok-bbbb",
		"WEB_USERS":           "admin:$2a$10$hashhashhash,bob:$2a$10$otherhash",
		"DATABASE_URL":        "postgres://lvao:pw-s3cr3t@db.internal:5432/lvao?sslmode=require",
		"WEBAPP_DATABASE_URL": "postgres://app@db/app?password=qp-s3cr3t",
		"S3_SECRET_KEY":       "s3-secret-value",
		"STAGE":               "prod",
	}))
	set := map[string]bool{}
	for _, v := range got {
		set[v] = true
	}
	for _, want := range []string{"tok-aaaa", "tok-bbbb", "$2a$10$hashhashhash", "$2a$10$otherhash", "pw-s3cr3t", "qp-s3cr3t",
		"s3-secret-value", "postgres://lvao:pw-s3cr3t@db.internal:5432/lvao?sslmode=require", "tok-aaaa, tok-bbbb"} {
		if !set[want] {
			t.Errorf("SecretValues lacks %q: %q", want, got)
		}
	}
	for _, not := range []string{"prod", "admin", "bob", "lvao", "db.internal"} {
		if set[not] {
			t.Errorf("SecretValues masks %q, which is not a secret: %q", not, got)
		}
	}
}

// A duration too short to work is refused, naming the floor.
func TestLoadRefusesDurationsTooShort(t *testing.T) {
	t.Parallel()
	_, err := Load(lookup(map[string]string{"DATABASE_URL": "postgres://u@h/db", "QUEUE_BACKEND": "memory",
		"TASK_LEASE": "10ms", "LOG_FLUSH_INTERVAL": "1ms", "REQUEUE_AFTER": "1s"}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"TASK_LEASE: 10ms is too short (at least 1s)", "LOG_FLUSH_INTERVAL: 1ms is too short (at least 100ms)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "REQUEUE_AFTER") {
		t.Errorf("1s is enough for REQUEUE_AFTER: %v", err)
	}
}
