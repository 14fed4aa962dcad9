package harness

import (
	"strings"
	"testing"

	"github.com/lvao/dataplatform/shared/config"
)

// serve's first lines: one function per line, their URLs in one column
// whatever the length of the names (apply-suggestions-check is 23).
func TestSummaryAlignsFunctionURLs(t *testing.T) {
	t.Parallel()
	p := &Platform{URL: "http://127.0.0.1:8080", Config: &config.Config{LogsBucket: "l", DataBucket: "d"},
		Functions: []FunctionSpec{{Name: "apply-suggestions-check", Private: true}, {Name: "noop", Private: true}, {Name: "web"}}}
	col := -1
	for _, l := range strings.Split(p.Summary(), "\n") {
		i := strings.Index(l, "http://127.0.0.1:8080/functions/")
		if i < 0 || !strings.HasPrefix(l, "  ") {
			continue
		}
		if col >= 0 && i != col {
			t.Errorf("URL at column %d, want %d:\n%s", i, col, p.Summary())
		}
		col = i
	}
	if col < 0 {
		t.Fatalf("no function line:\n%s", p.Summary())
	}
}
