package bundle

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// A function's stdout (JSON lines) masks a secret also when JSON escapes
// it: a password holding & < > or " was written \u0026… and left as is.
func TestStdoutMasksJSONEscapedSecrets(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	secrets := []string{`p&ss<w>rd"x`, "plain-secret"}
	log := slog.New(slog.NewJSONHandler(maskWriter{w: &out, r: jsonMasker(secrets)}, nil))
	log.Error("connect failed", "error", `postgres://u:p&ss<w>rd"x@db/x`, "token", "plain-secret")
	got := out.String()
	if strings.Contains(got, "ss") || strings.Contains(got, "plain-secret") || strings.Count(got, "***") != 2 {
		t.Fatalf("stdout %s", got)
	}
}
