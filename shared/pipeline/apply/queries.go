package apply

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"text/template"
)

//go:embed queries.sql
var queriesSQL string

// queryTemplates are the statements of queries.sql by name.
var queryTemplates = parseQueries(queriesSQL)

func parseQueries(text string) map[string]*template.Template {
	out := map[string]*template.Template{}
	var name string
	var body strings.Builder
	flush := func() {
		if name == "" {
			return
		}
		stmt := strings.TrimSuffix(strings.TrimSpace(body.String()), ";")
		out[name] = template.Must(template.New(name).Option("missingkey=error").Parse(stmt))
		name = ""
		body.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
			flush()
			name = strings.TrimSpace(n)
			continue
		}
		if name == "" || strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	flush()
	return out
}

// sqlParams fill a statement's placeholders.
type sqlParams map[string]string

var (
	renderedMu sync.Mutex
	rendered   = map[string]string{}
)

// query returns the statement name rendered with p (cached: the same few
// tables come back for every suggestion). An unknown name or placeholder
// is a programming error.
func query(name string, p sqlParams) string {
	key := name
	for _, k := range sortedKeys(p) {
		key += "\x00" + k + "=" + p[k]
	}
	renderedMu.Lock()
	defer renderedMu.Unlock()
	if s, ok := rendered[key]; ok {
		return s
	}
	t, ok := queryTemplates[name]
	if !ok {
		panic(fmt.Sprintf("apply: no query named %q in queries.sql", name))
	}
	var b strings.Builder
	if err := t.Execute(&b, map[string]string(p)); err != nil {
		panic(fmt.Sprintf("apply: query %s: %v", name, err))
	}
	rendered[key] = b.String()
	return rendered[key]
}

// tableParams are the placeholders of a statement on one table.
func tableParams(table string) sqlParams { return sqlParams{"Table": table} }

// params are the placeholders of a statement on the model's tables.
func (m *model) params() sqlParams {
	return sqlParams{
		"Table": m.table, "Labels": m.labels, "Services": m.services, "OwnerFK": m.ownerFK,
		"PS": m.ps, "PSSousCat": m.psSousCat, "PSSousCatOwnerFK": m.psSousCatOwnerFK, "Perimetre": m.perimetre,
	}
}
