package harness

import (
	"strings"
	"testing"

	"github.com/lvao/dataplatform/shared/config"
)

// The harness prints DATABASE_URL (the start summary, also served at /) and
// errors quoting it: a password never shows, however the URL carries it.
func TestRedactURLMasksEveryFormOfPassword(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"postgres://u:s3cr3t@h:5432/db", "postgres://u:***@h:5432/db"},
		{"postgres://u:p@ss@h:5432/db?sslmode=disable", "postgres://u:***@h:5432/db?sslmode=disable"},
		{"postgres://u@h/db?sslmode=disable&password=s3cr3t", "postgres://u@h/db?sslmode=disable&password=***"},
		{"postgres://u@h/db?password=s3cr3t&sslmode=disable", "postgres://u@h/db?password=***&sslmode=disable"},
		{"failed: host=h user=u password=s3cr3t dbname=db", "failed: host=h user=u password=*** dbname=db"},
		{"postgres://postgres@127.0.0.1:5432/lvao_local?sslmode=disable", "postgres://postgres@127.0.0.1:5432/lvao_local?sslmode=disable"},
	} {
		got := RedactURL(tt.in)
		if got != tt.want || strings.Contains(got, "s3cr3t") || strings.Contains(got, "ss@") {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Secret values are masked in task logs wherever they appear. The harness's
// own defaults for secret variables must not be ordinary words: with an
// S3_ACCESS_KEY of "local", every "localhost" and "lvao-local-logs" in a
// task's log read "***host" and "lvao-***-logs".
func TestHarnessDefaultSecretsDoNotMaskOrdinaryText(t *testing.T) {
	t.Parallel()
	text := "GET http://localhost:8080/local/x: 404; bucket lvao-local-logs, stage local, secret-key rotation, postgres"
	for _, v := range config.SecretValues(MapEnv(Defaults())) {
		if strings.Contains(text, v) {
			t.Errorf("the default secret value %q masks ordinary log text: %q", v, text)
		}
	}
}
