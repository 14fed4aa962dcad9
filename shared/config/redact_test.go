package config_test

import (
	"testing"

	"github.com/lvao/dataplatform/shared/config"
)

// Driver errors quote the connection string: the store and the harness
// mask its password however the URL carries it (one '@' inside it, a
// password= parameter, a key=value DSN).
func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`failed to connect to "postgres://u:p@ss@h/db": refused`: `failed to connect to "postgres://u:***@h/db": refused`,
		"postgres://u@h/db?password=s3cr3t&sslmode=disable":      "postgres://u@h/db?password=***&sslmode=disable",
		"host=h user=u password=s3cr3t dbname=db":                "host=h user=u password=*** dbname=db",
		"postgres://u@h/db": "postgres://u@h/db",
	} {
		if got := config.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
