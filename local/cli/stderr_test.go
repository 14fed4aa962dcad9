package cli

import (
	"strings"
	"testing"
)

// What a task still running after the command returned logs is dropped:
// the caller reads the command's stderr once Run returns.
func TestStderrClosesWithTheCommand(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	w := &closableWriter{w: &b}
	_, _ = w.Write([]byte("during\n"))
	w.close()
	if n, err := w.Write([]byte("after\n")); n != 6 || err != nil {
		t.Fatalf("a late write: %d %v", n, err)
	}
	if b.String() != "during\n" {
		t.Fatalf("stderr %q, want only what came before the close", b.String())
	}
}
