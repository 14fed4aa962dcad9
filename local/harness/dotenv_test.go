package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDotEnv(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), ".env")
	content := strings.Join([]string{
		"# a comment",
		"export A=1",
		`B="two words" # a comment after a quoted value`,
		"C='single # not a comment'",
		"TASK_LEASE=6s # a comment after a bare value",
		"URL=postgres://u@h/db?sslmode=disable#frag",
		"WEB_USERS=admin:$2a$10$abc",
		"EMPTY=",
		"",
	}, "\n")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadDotEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "two words", "C": "single # not a comment", "TASK_LEASE": "6s",
		"URL": "postgres://u@h/db?sslmode=disable#frag", "WEB_USERS": "admin:$2a$10$abc", "EMPTY": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
}

func TestLoadDotEnvNamesTheBadLine(t *testing.T) {
	t.Parallel()
	for content, want := range map[string]string{
		"A=1\nNOEQ\n":       ".env:2: not KEY=VALUE",
		"A=1\nB=\"open\n":   `.env:2: B: " quote not closed`,
		"A='x' y\n":         `.env:1: A: "y" after the closing quote`,
		"missing-file-case": "",
	} {
		if want == "" {
			if got, err := LoadDotEnv(filepath.Join(t.TempDir(), ".env")); err != nil || len(got) != 0 {
				t.Errorf("missing file: %v %v", got, err)
			}
			continue
		}
		path := filepath.Join(t.TempDir(), ".env")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadDotEnv(path); err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%q: %v, want it to end with %q", content, err, want)
		}
	}
}
