package pyfmt

import "testing"

// The expected texts are what CPython 3 prints for repr(s).
func TestRepr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":           `'plain'`,
		"l'atelier":       `"l'atelier"`,
		`say "hi"`:        `'say "hi"'`,
		`l'a "b"`:         `'l\'a "b"'`,
		"a\\b":            `'a\\b'`,
		"tab\tnl\ncr\r":   `'tab\tnl\ncr\r'`,
		"bell\x07del\x7f": `'bell\x07del\x7f'`,
		"Réparé":          `'Réparé'`,
	} {
		if got := Repr(in); got != want {
			t.Errorf("Repr(%q) = %s, want %s", in, got, want)
		}
	}
}
