package store

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

//go:embed queries/*.sql
var queriesFS embed.FS

// queries holds every named query of queries/*.sql ("-- name: X" blocks).
// Every query takes its time as a parameter ($n::timestamptz "now") so
// tests control the clock.
var queries = loadQueries()

func loadQueries() map[string]string {
	out := map[string]string{}
	files, _ := fs.Glob(queriesFS, "queries/*.sql")
	for _, f := range files {
		b, _ := queriesFS.ReadFile(f)
		var name string
		var body strings.Builder
		flush := func() {
			if name != "" {
				out[name] = strings.TrimSpace(body.String())
			}
			body.Reset()
		}
		for _, line := range strings.Split(string(b), "\n") {
			if n, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
				flush()
				name = strings.TrimSpace(n)
				if _, dup := out[name]; dup {
					panic(fmt.Sprintf("query %s defined twice", name))
				}
				continue
			}
			body.WriteString(line)
			body.WriteByte('\n')
		}
		flush()
	}
	return out
}

func q(name string) string {
	s, ok := queries[name]
	if !ok {
		panic("unknown query " + name)
	}
	return s
}
