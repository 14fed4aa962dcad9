package cli

import (
	"strings"
	"testing"
)

func TestSampleSourceHelpAndBadInput(t *testing.T) {
	t.Parallel()
	if r := run(t, "sample-source", "--help"); r.code != ExitOK || !strings.Contains(r.stdout, "--rows") {
		t.Errorf("--help: exit %d, stdout %q", r.code, r.stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rows", "0"}, "--rows must be at least 1"},
		{[]string{"--page-size", "-3"}, "--page-size must be at least 1"},
		{[]string{"extra"}, "takes no arguments"},
		{[]string{"--addr", "256.0.0.1:99999"}, "cannot listen on 256.0.0.1:99999"},
	} {
		r := run(t, append([]string{"sample-source"}, c.args...)...)
		if r.code == ExitOK || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q (want one line saying %q)", c.args, r.code, r.stderr, c.want)
		}
	}
}
