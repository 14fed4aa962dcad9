package compute

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The models are SQL with a small subset of dbt's Jinja: {{ expr }} where
// expr is a call name(arg, …) or a macro parameter name, and an argument is
// a quoted string or a macro parameter. Built-in calls:
//
//	ref('model')                  a warehouse model (declares a dependency)
//	source('qfdmo', 'table')      a webapp table (read through the webapp pool)
//	source('clone', 'table')      a warehouse-side reference table (geo data)
//	coalesce_empty('a', 'b')      a if a is neither NULL nor '' else b
//	field_empty('a')              '' when a is '__empty__' (LVAO's "force empty")
//	public_accueilli_exclus()     the public_accueilli values hidden from the map
//	sscat_from_action('s', 'act') sous-catégorie codes of one action in a services JSON
//
// and every macro of macros/*.sql by name.
var exprPattern = regexp.MustCompile(`(?s)\{\{(.*?)\}\}`)

// sourceNamespaces are the namespaces source() accepts.
const (
	sourceWebapp = "qfdmo"
	sourceClone  = "clone"
)

// macro is a reusable SQL fragment with named parameters (dbt macros).
type macro struct {
	name   string
	params []string
	body   string
}

// renderer renders one model and records what it references.
type renderer struct {
	schema  string
	macros  map[string]*macro
	refs    []string
	sources []string // "namespace.table"
	depth   int
}

func (r *renderer) render(sql string, vars map[string]string) (string, error) {
	var firstErr error
	out := exprPattern.ReplaceAllStringFunc(sql, func(m string) string {
		if firstErr != nil {
			return m
		}
		s, err := r.eval(strings.TrimSpace(m[2:len(m)-2]), vars)
		if err != nil {
			firstErr = fmt.Errorf("%s: %w", strings.TrimSpace(m), err)
		}
		return s
	})
	return out, firstErr
}

// eval evaluates one expression.
func (r *renderer) eval(expr string, vars map[string]string) (string, error) {
	name, args, isCall, err := parseCall(expr, vars)
	if err != nil {
		return "", err
	}
	if !isCall {
		v, ok := vars[name]
		if !ok {
			return "", fmt.Errorf("unknown variable %q", name)
		}
		return v, nil
	}
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %d argument(s), got %d", name, n, len(args))
		}
		return nil
	}
	switch name {
	case "ref":
		if err := want(1); err != nil {
			return "", err
		}
		r.refs = append(r.refs, args[0])
		return pgx.Identifier{r.schema, args[0]}.Sanitize(), nil
	case "source":
		if err := want(2); err != nil {
			return "", err
		}
		r.sources = append(r.sources, args[0]+"."+args[1])
		switch args[0] {
		case sourceWebapp:
			// Read on the webapp connection, whose search_path names the
			// webapp schema (webapp.ConfigurePool).
			return pgx.Identifier{args[1]}.Sanitize(), nil
		case sourceClone:
			return pgx.Identifier{r.schema, args[1]}.Sanitize(), nil
		}
		return "", fmt.Errorf("unknown source namespace %q (want %q or %q)", args[0], sourceWebapp, sourceClone)
	case "coalesce_empty":
		if err := want(2); err != nil {
			return "", err
		}
		// LVAO: an empty string in a revision means "not corrected".
		return fmt.Sprintf("COALESCE(NULLIF(%s, ''), %s)", args[0], args[1]), nil
	case "field_empty":
		if err := want(1); err != nil {
			return "", err
		}
		// LVAO: '__empty__' in a revision forces the field empty (a plain
		// '' would fall back to the imported value).
		return fmt.Sprintf("CASE WHEN %s = '__empty__' THEN '' ELSE %s END", args[0], args[0]), nil
	case "public_accueilli_exclus":
		if err := want(0); err != nil {
			return "", err
		}
		// Acteurs open to nobody or to professionals only are not shown.
		return "('AUCUN', 'PROFESSIONNELS')", nil
	case "sscat_from_action":
		if err := want(2); err != nil {
			return "", err
		}
		return fmt.Sprintf(`(SELECT string_agg(DISTINCT sc, '|')
    FROM jsonb_array_elements(%s) AS elem,
         jsonb_array_elements_text(elem->'sous_categories') AS sc
    WHERE elem->>'action' = %s)`, args[0], quoteLiteral(args[1])), nil
	}
	m, ok := r.macros[name]
	if !ok {
		return "", fmt.Errorf("unknown function or macro %q", name)
	}
	if len(args) != len(m.params) {
		return "", fmt.Errorf("macro %s takes %d argument(s), got %d", name, len(m.params), len(args))
	}
	if r.depth > 10 {
		return "", fmt.Errorf("macro %s: macros nested too deep", name)
	}
	bound := map[string]string{}
	for i, p := range m.params {
		bound[p] = args[i]
	}
	r.depth++
	defer func() { r.depth-- }()
	return r.render(m.body, bound)
}

// parseCall splits "name('a', b)" into its name and evaluated arguments;
// a bare "name" is a variable reference.
func parseCall(expr string, vars map[string]string) (name string, args []string, isCall bool, err error) {
	open := strings.IndexByte(expr, '(')
	if open < 0 {
		if !isIdent(expr) {
			return "", nil, false, fmt.Errorf("cannot parse %q", expr)
		}
		return expr, nil, false, nil
	}
	name = strings.TrimSpace(expr[:open])
	if !isIdent(name) || !strings.HasSuffix(expr, ")") {
		return "", nil, false, fmt.Errorf("cannot parse %q", expr)
	}
	rest := strings.TrimSpace(expr[open+1 : len(expr)-1])
	for rest != "" {
		var arg string
		switch rest[0] {
		case '\'', '"':
			end := strings.IndexByte(rest[1:], rest[0])
			if end < 0 {
				return "", nil, false, fmt.Errorf("unterminated string in %q", expr)
			}
			arg, rest = rest[1:end+1], rest[end+2:]
		default:
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			v := strings.TrimSpace(rest[:end])
			val, ok := vars[v]
			if !isIdent(v) || !ok {
				return "", nil, false, fmt.Errorf("unknown argument %q in %q", v, expr)
			}
			arg, rest = val, rest[end:]
		}
		args = append(args, arg)
		rest = strings.TrimSpace(rest)
		if rest != "" {
			if rest[0] != ',' {
				return "", nil, false, fmt.Errorf("expected ',' in %q", expr)
			}
			rest = strings.TrimSpace(rest[1:])
		}
	}
	return name, args, true, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// macroHeader is the first line of a macro file: "-- macro name(a, b)".
var macroHeader = regexp.MustCompile(`^--\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*$`)

func parseMacro(file, text string) (*macro, error) {
	first, body, _ := strings.Cut(text, "\n")
	m := macroHeader.FindStringSubmatch(strings.TrimSpace(first))
	if m == nil {
		return nil, fmt.Errorf("%s: first line must be \"-- macro name(param, …)\"", file)
	}
	mac := &macro{name: m[1], body: body}
	for _, p := range strings.Split(m[2], ",") {
		if p = strings.TrimSpace(p); p != "" {
			if !isIdent(p) {
				return nil, fmt.Errorf("%s: bad parameter name %q", file, p)
			}
			mac.params = append(mac.params, p)
		}
	}
	return mac, nil
}
