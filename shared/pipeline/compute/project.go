package compute

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

// Embedded holds the LVAO models (models/<layer>/…/<name>.sql with a
// schema.yml of data tests per folder) and their macros (macros/*.sql).
//
//go:embed models macros
var Embedded embed.FS

// Model is one SQL model: a SELECT materialized as a warehouse table of the
// model's name.
type Model struct {
	// Name is the file name without .sql (the table name).
	Name string
	// Path is the folder under models/ ("marts/carte").
	Path string
	// SQL is the rendered SELECT.
	SQL string
	// Deps are the models it references with ref(), sorted.
	Deps []string
	// OnWebapp models read webapp tables (source('qfdmo', …)): their SELECT
	// runs on the webapp database and streams into the warehouse.
	OnWebapp bool
	// Tests are its data tests, from the folder's schema.yml.
	Tests []DataTest
}

// Project is every model in dependency order.
type Project struct {
	Models []*Model
	byName map[string]*Model
}

// Model returns the model named name.
func (p *Project) Model(name string) (*Model, bool) {
	m, ok := p.byName[name]
	return m, ok
}

// LoadProject reads models and macros from fsys (Embedded in production),
// rendering table references in the warehouse schema, and checks that
// every reference resolves, that there is no cycle, and that each data test
// names a model. A relationships test makes its parent model a dependency
// (as dbt orders tests after both models).
func LoadProject(fsys fs.FS, schema string) (*Project, error) {
	if schema == "" {
		return nil, fmt.Errorf("error loading models: empty warehouse schema")
	}
	macros := map[string]*macro{}
	macroFiles, _ := fs.Glob(fsys, "macros/*.sql")
	for _, f := range macroFiles {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		m, err := parseMacro(f, string(b))
		if err != nil {
			return nil, err
		}
		if _, dup := macros[m.name]; dup {
			return nil, fmt.Errorf("%s: macro %s defined twice", f, m.name)
		}
		macros[m.name] = m
	}
	p := &Project{byName: map[string]*Model{}}
	var schemaFiles []string
	err := fs.WalkDir(fsys, "models", func(file string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch {
		case path.Base(file) == "schema.yml":
			schemaFiles = append(schemaFiles, file)
			return nil
		case !strings.HasSuffix(file, ".sql"):
			return nil
		}
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return err
		}
		m, err := loadModel(file, string(b), schema, macros)
		if err != nil {
			return err
		}
		if _, dup := p.byName[m.Name]; dup {
			return fmt.Errorf("%s: model %s defined twice", file, m.Name)
		}
		p.byName[m.Name] = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error loading models: %w", err)
	}
	if len(p.byName) == 0 {
		return nil, fmt.Errorf("error loading models: no model under models/")
	}
	for _, f := range schemaFiles {
		if err := p.loadTests(fsys, f); err != nil {
			return nil, err
		}
	}
	if err := p.sort(); err != nil {
		return nil, err
	}
	return p, nil
}

func loadModel(file, text, schema string, macros map[string]*macro) (*Model, error) {
	r := &renderer{schema: schema, macros: macros}
	sql, err := r.render(text, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	m := &Model{Name: strings.TrimSuffix(path.Base(file), ".sql"), Path: strings.TrimPrefix(path.Dir(file), "models/"), SQL: sql}
	if m.Path == "models" {
		m.Path = ""
	}
	for _, s := range r.sources {
		if strings.HasPrefix(s, sourceWebapp+".") {
			m.OnWebapp = true
		}
	}
	slices.Sort(r.refs)
	m.Deps = slices.Compact(r.refs)
	if m.OnWebapp && (len(m.Deps) > 0 || len(r.sources) != countPrefix(r.sources, sourceWebapp+".")) {
		// A model runs on one database: a webapp query cannot join
		// warehouse tables.
		return nil, fmt.Errorf("%s: a model reading webapp sources cannot also read warehouse tables", file)
	}
	return m, nil
}

func countPrefix(ss []string, prefix string) int {
	n := 0
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// sort orders the models so that each comes after its dependencies
// (ties by path then name, for a stable order) and rejects cycles and
// unknown references.
func (p *Project) sort() error {
	names := make([]string, 0, len(p.byName))
	for n, m := range p.byName {
		for _, d := range m.Deps {
			if _, ok := p.byName[d]; !ok {
				return fmt.Errorf("error loading models: %s/%s references unknown model %s", m.Path, n, d)
			}
		}
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := p.byName[names[i]], p.byName[names[j]]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Name < b.Name
	})
	done := map[string]bool{}
	visiting := map[string]bool{}
	var visit func(n string, chain []string) error
	visit = func(n string, chain []string) error {
		if done[n] {
			return nil
		}
		if visiting[n] {
			return fmt.Errorf("error loading models: dependency cycle %s", strings.Join(append(chain, n), " → "))
		}
		visiting[n] = true
		for _, d := range p.byName[n].Deps {
			if err := visit(d, append(chain, n)); err != nil {
				return err
			}
		}
		visiting[n] = false
		done[n] = true
		p.Models = append(p.Models, p.byName[n])
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return err
		}
	}
	return nil
}

// Select returns the models matching the selectors, in dependency order.
// A selector is a folder in dotted form ("base", "marts.carte": every model
// under models/marts/carte) or a model name, as dbt's --models. No
// selector selects everything.
func (p *Project) Select(selectors ...string) ([]*Model, error) {
	if len(selectors) == 0 {
		return p.Models, nil
	}
	matched := map[string]bool{}
	for _, s := range selectors {
		dir := strings.ReplaceAll(s, ".", "/")
		n := 0
		for _, m := range p.Models {
			if m.Name == s || m.Path == dir || strings.HasPrefix(m.Path, dir+"/") {
				matched[m.Name] = true
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("selector %q matches no model (use a folder such as \"marts.carte\" or a model name)", s)
		}
	}
	var out []*Model
	for _, m := range p.Models {
		if matched[m.Name] {
			out = append(out, m)
		}
	}
	return out, nil
}
