package main

import (
	"os"
	"path/filepath"
	"strings"
)

// webResults is the web function benchmark's report (tests/webbench,
// run first by `make bench`), embedded in this report so that every
// figure is in tests/bench/RESULTS.md; "" when it has not been run.
func webResults() string {
	b, err := os.ReadFile(filepath.Join("..", "webbench", "RESULTS.md"))
	if err != nil {
		return ""
	}
	text := strings.TrimSpace(string(b))
	// One level down: a section of this report.
	text = strings.Replace(text, "# Web function benchmark", "# Web function benchmark (from tests/webbench/RESULTS.md)", 1)
	return "\n" + text + "\n"
}
