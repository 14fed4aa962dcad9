// Package harness emulates Scaleway on one machine: every function of
// serverless.yml behind its own HTTP path with the platform's request shape,
// cron and queue triggers, an embedded S3 endpoint and the local Postgres
// (DESIGN §10). The `local` command (go run ./local) is a thin CLI over it;
// tests drive it in-process.
package harness

import (
	"time"
)

// Env looks a variable up, as os.LookupEnv does. Tests pass a map-backed
// Env instead of mutating the process environment.
type Env func(name string) (string, bool)

// MapEnv returns an Env reading from m.
func MapEnv(m map[string]string) Env {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Layer returns an Env where over wins, then env, then defaults. A value
// that is set but blank counts as unset (as config.Load does), so an empty
// line in a developer's .env does not hide a harness default.
func Layer(over map[string]string, env Env, defaults map[string]string) Env {
	return func(name string) (string, bool) {
		if v, ok := over[name]; ok {
			return v, true
		}
		if env != nil {
			if v, ok := env(name); ok && v != "" {
				return v, true
			}
		}
		v, ok := defaults[name]
		return v, ok
	}
}

// DefaultDatabaseURL is the local Postgres database of the harness.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/lvao_local?sslmode=disable"

// Local lease and requeue delays. Deployed functions use 60s and 2m (see
// serverless.yml); locally a crashed or killed task should be retried, and
// a lost message republished, within seconds, so that a developer sees a
// chaos run or a restart resolve while watching.
const (
	DefaultLocalLease   = 6 * time.Second
	DefaultLocalRequeue = 5 * time.Second
)

// Defaults are the harness's values under the real environment: a local
// database, a short lease and requeue delay, the local stage. The S3
// endpoint and credentials are added by the platform once the embedded
// server listens (unless S3_ENDPOINT names another).
func Defaults() map[string]string {
	return map[string]string{
		"STAGE":         "local",
		"DATABASE_URL":  DefaultDatabaseURL,
		"TASK_LEASE":    DefaultLocalLease.String(),
		"REQUEUE_AFTER": DefaultLocalRequeue.String(),
		"S3_REGION":     "fr-par",
		// Any credentials work with the embedded S3. Secret values are
		// masked wherever they appear in task logs: these must not be
		// ordinary words ("local" masked every "localhost").
		"S3_ACCESS_KEY": "harness-embedded-s3-access-key",
		"S3_SECRET_KEY": "harness-embedded-s3-secret-key",
	}
}

// Forced are values the harness imposes whatever the environment says:
// its queue is always the in-process one (a developer's .env saying
// QUEUE_BACKEND=sqs must not make the harness ask for Queues credentials).
func Forced() map[string]string {
	return map[string]string{"QUEUE_BACKEND": "memory"}
}
