package web

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// WEB_USERS is a secret: an entry it cannot read is reported by its
// position, never by its text (an entry without ':' may be a password or a
// hash pasted alone, and only the whole variable's value is masked).
func TestParseUsersNeverLogsAnEntry(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	users := parseUsers("admin:$2a$10$abcdefghijklmnopqrstuv,hunter2-secret, bob:plaintext-pw ,:$2a$10$nouser", log)
	if len(users) != 1 || users["admin"] == nil {
		t.Fatalf("users %v, want admin only", users)
	}
	out := buf.String()
	for _, secret := range []string{"hunter2-secret", "plaintext-pw", "$2a$10$nouser"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows %q: %s", secret, out)
		}
	}
	for _, want := range []string{`"entry":2`, `"entry":3`, `"entry":4`, `"user":"bob"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s: %s", want, out)
		}
	}
}
