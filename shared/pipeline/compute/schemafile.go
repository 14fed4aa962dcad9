package compute

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"

	"go.yaml.in/yaml/v3"
)

// schemaFile is a folder's schema.yml, in dbt's shape:
//
//	models:
//	  - name: int_acteur
//	    columns:
//	      - name: identifiant_unique
//	        data_tests: [not_null, unique]
//	      - name: statut
//	        data_tests:
//	          - accepted_values: {values: [ACTIF, INACTIF, SUPPRIME]}
//	      - name: source_id
//	        data_tests:
//	          - relationships: {to: "ref('base_source')", field: id}
//	    data_tests:
//	      - unique_combination_of_columns: {combination_of_columns: [a, b]}
type schemaFile struct {
	Models []struct {
		Name    string `yaml:"name"`
		Columns []struct {
			Name      string      `yaml:"name"`
			DataTests []yaml.Node `yaml:"data_tests"`
		} `yaml:"columns"`
		DataTests []yaml.Node `yaml:"data_tests"`
	} `yaml:"models"`
}

var refArg = regexp.MustCompile(`^\s*ref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)\s*$`)

func (p *Project) loadTests(fsys fs.FS, file string) error {
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		return err
	}
	var sf schemaFile
	if err := yaml.Unmarshal(b, &sf); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, sm := range sf.Models {
		m, ok := p.byName[sm.Name]
		if !ok {
			return fmt.Errorf("%s: tests for unknown model %s", file, sm.Name)
		}
		add := func(column string, nodes []yaml.Node) error {
			for i := range nodes {
				t, err := parseTest(&nodes[i], m.Name, column)
				if err != nil {
					return fmt.Errorf("%s: model %s: %w", file, m.Name, err)
				}
				if t.Kind == testRelationships {
					if _, ok := p.byName[t.To]; !ok {
						return fmt.Errorf("%s: model %s: relationships test to unknown model %s", file, m.Name, t.To)
					}
					if t.To != m.Name && !slices.Contains(m.Deps, t.To) {
						m.Deps = append(m.Deps, t.To)
						slices.Sort(m.Deps)
					}
				}
				m.Tests = append(m.Tests, t)
			}
			return nil
		}
		for _, c := range sm.Columns {
			if err := add(c.Name, c.DataTests); err != nil {
				return err
			}
		}
		if err := add("", sm.DataTests); err != nil {
			return err
		}
	}
	return nil
}

// parseTest reads one test entry: a bare name or a one-key map of
// arguments (also accepted under dbt's "arguments:" key).
func parseTest(n *yaml.Node, model, column string) (DataTest, error) {
	t := DataTest{Model: model, Column: column}
	if n.Kind == yaml.ScalarNode {
		t.Kind = n.Value
		return t, t.check()
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return t, fmt.Errorf("line %d: a test is a name or a map with one key", n.Line)
	}
	t.Kind = n.Content[0].Value
	var args struct {
		Values    []any    `yaml:"values"`
		To        string   `yaml:"to"`
		Field     string   `yaml:"field"`
		Columns   []string `yaml:"combination_of_columns"`
		Arguments *struct {
			Values  []any    `yaml:"values"`
			To      string   `yaml:"to"`
			Field   string   `yaml:"field"`
			Columns []string `yaml:"combination_of_columns"`
		} `yaml:"arguments"`
	}
	if err := n.Content[1].Decode(&args); err != nil {
		return t, fmt.Errorf("line %d: %w", n.Line, err)
	}
	if a := args.Arguments; a != nil {
		args.Values, args.To, args.Field, args.Columns = a.Values, a.To, a.Field, a.Columns
	}
	t.Values, t.Field, t.Columns = args.Values, args.Field, args.Columns
	if args.To != "" {
		m := refArg.FindStringSubmatch(args.To)
		if m == nil {
			return t, fmt.Errorf("line %d: relationships \"to\" must be ref('model'), got %q", n.Line, args.To)
		}
		t.To = m[1]
	}
	return t, t.check()
}
