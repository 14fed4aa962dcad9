package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"sync"
)

// Reference data of the LVAO webapp (qfdmo tables) that normalisation and
// validation check codes against, loaded from Django fixtures (natural keys:
// objects are linked by code, a foreign key is written ["code"]) and from
// db_mapping.json (product label → sous_categorie codes).

// ActeurType is a qfdmo.acteurtype.
type ActeurType struct {
	Code    string `json:"code"`
	Libelle string `json:"libelle"`
}

// Source is a qfdmo.source (source_code must be one of their codes).
type Source struct {
	Code     string `json:"code"`
	Libelle  string `json:"libelle"`
	Afficher bool   `json:"afficher"`
	URL      string `json:"url"`
	Licence  string `json:"licence"`
}

// Label is a qfdmo.labelqualite.
type Label struct {
	Code     string `json:"code"`
	Libelle  string `json:"libelle"`
	Afficher bool   `json:"afficher"`
	Bonus    bool   `json:"bonus"`
	URL      string `json:"url"`
}

// Categorie is a qfdmo.categorieobjet.
type Categorie struct {
	Code    string `json:"code"`
	Libelle string `json:"libelle"`
}

// SousCategorie is a qfdmo.souscategorieobjet.
type SousCategorie struct {
	Code             string `json:"code"`
	Libelle          string `json:"libelle"`
	Categorie        string `json:"-"` // code of the categorie
	Afficher         bool   `json:"afficher"`
	ReemploiPossible bool   `json:"reemploi_possible"`
}

// Action is a qfdmo.action.
type Action struct {
	Code         string   `json:"code"`
	Libelle      string   `json:"libelle"`
	Afficher     bool     `json:"afficher"`
	Order        int      `json:"order"`
	GroupeAction string   `json:"-"` // code of the groupe_action
	Directions   []string `json:"-"` // codes of the action directions
}

// ActeurService is a qfdmo.acteurservice.
type ActeurService struct {
	Code    string   `json:"code"`
	Libelle string   `json:"libelle"`
	Actions []string `json:"-"` // codes of its actions
}

// RefData holds the reference tables. The zero value is empty; fill it with
// LoadFixture / LoadDBMapping or LoadRefData, before the first check (the
// code indexes are built once). Safe for concurrent checks.
type RefData struct {
	ActeurTypes    []ActeurType
	Sources        []Source
	Labels         []Label
	Categories     []Categorie
	SousCategories []SousCategorie
	Actions        []Action
	ActeurServices []ActeurService
	// ProductMappings are db_mapping.json's mappings by key
	// ("sous_categories", "sous_categories_cma", …).
	ProductMappings map[string]map[string]Value

	once  sync.Once
	known map[string]map[string]bool // column → known codes, built on first check
}

// fixtureObject is one object of a Django fixture.
type fixtureObject struct {
	Model  string          `json:"model"`
	Fields json.RawMessage `json:"fields"`
}

// naturalKey reads a foreign key written as a natural key (["code"]).
func naturalKey(raw json.RawMessage) string {
	var k []string
	if json.Unmarshal(raw, &k) == nil && len(k) > 0 {
		return k[0]
	}
	return ""
}

// naturalKeys reads a many-to-many written as natural keys ([["a"], ["b"]]).
func naturalKeys(raw json.RawMessage) []string {
	var ks [][]string
	var out []string
	if json.Unmarshal(raw, &ks) == nil {
		for _, k := range ks {
			if len(k) > 0 {
				out = append(out, k[0])
			}
		}
	}
	return out
}

// LoadFixture adds the objects of one Django fixture (a JSON array of
// {model, fields}). Models it does not know are skipped.
func (d *RefData) LoadFixture(r io.Reader) error {
	var objs []fixtureObject
	if err := json.NewDecoder(r).Decode(&objs); err != nil {
		return fmt.Errorf("error decoding fixture: %w", err)
	}
	for _, o := range objs {
		var links struct {
			Categorie    json.RawMessage `json:"categorie"`
			GroupeAction json.RawMessage `json:"groupe_action"`
			Directions   json.RawMessage `json:"directions"`
			Actions      json.RawMessage `json:"actions"`
		}
		if err := json.Unmarshal(o.Fields, &links); err != nil {
			return fmt.Errorf("error decoding fixture %s: %w", o.Model, err)
		}
		var err error
		switch o.Model {
		case "qfdmo.acteurtype":
			var v ActeurType
			err = json.Unmarshal(o.Fields, &v)
			d.ActeurTypes = append(d.ActeurTypes, v)
		case "qfdmo.source":
			var v Source
			err = json.Unmarshal(o.Fields, &v)
			d.Sources = append(d.Sources, v)
		case "qfdmo.labelqualite":
			var v Label
			err = json.Unmarshal(o.Fields, &v)
			d.Labels = append(d.Labels, v)
		case "qfdmo.categorieobjet":
			var v Categorie
			err = json.Unmarshal(o.Fields, &v)
			d.Categories = append(d.Categories, v)
		case "qfdmo.souscategorieobjet":
			var v SousCategorie
			err = json.Unmarshal(o.Fields, &v)
			v.Categorie = naturalKey(links.Categorie)
			d.SousCategories = append(d.SousCategories, v)
		case "qfdmo.action":
			var v Action
			err = json.Unmarshal(o.Fields, &v)
			v.GroupeAction = naturalKey(links.GroupeAction)
			v.Directions = naturalKeys(links.Directions)
			d.Actions = append(d.Actions, v)
		case "qfdmo.acteurservice":
			var v ActeurService
			err = json.Unmarshal(o.Fields, &v)
			v.Actions = naturalKeys(links.Actions)
			d.ActeurServices = append(d.ActeurServices, v)
		}
		if err != nil {
			return fmt.Errorf("error decoding fixture %s: %w", o.Model, err)
		}
	}
	return nil
}

// LoadDBMapping adds db_mapping.json's product mappings.
func (d *RefData) LoadDBMapping(r io.Reader) error {
	var m map[string]map[string]Value
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return fmt.Errorf("error decoding db_mapping: %w", err)
	}
	if d.ProductMappings == nil {
		d.ProductMappings = map[string]map[string]Value{}
	}
	for k, v := range m {
		d.ProductMappings[k] = v
	}
	return nil
}

// RefDataFiles are the files LoadRefData reads when present.
var RefDataFiles = []string{
	"acteur_types.json", "sources.json", "labels.json", "categories.json",
	"actions.json", "acteur_services.json",
}

// LoadRefData reads the fixtures of RefDataFiles and db_mapping.json found
// at the root of fsys (a missing file is skipped).
func LoadRefData(fsys fs.FS) (*RefData, error) {
	d := &RefData{}
	load := func(name string, f func(io.Reader) error) error {
		file, err := fsys.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("error opening %s: %w", name, err)
		}
		defer file.Close()
		if err := f(file); err != nil {
			return fmt.Errorf("error loading %s: %w", name, err)
		}
		return nil
	}
	for _, name := range RefDataFiles {
		if err := load(name, d.LoadFixture); err != nil {
			return nil, err
		}
	}
	if err := load("db_mapping.json", d.LoadDBMapping); err != nil {
		return nil, err
	}
	return d, nil
}

// ProductMapping returns the db_mapping.json mapping of a DAG
// (product_mapping_key).
func (d *RefData) ProductMapping(key string) (map[string]Value, error) {
	m, ok := d.ProductMappings[key]
	if !ok {
		return nil, fmt.Errorf("error finding product mapping %q: not in db_mapping", key)
	}
	return m, nil
}

// IdentityProductMapping maps every sous_categorie code to itself: the
// source-s3 DAG's mapping (its files already use LVAO codes).
func (d *RefData) IdentityProductMapping() map[string]Value {
	m := make(map[string]Value, len(d.SousCategories))
	for _, s := range d.SousCategories {
		m[s.Code] = String(s.Code)
	}
	return m
}

func codeSet[T any](items []T, code func(T) string) map[string]bool {
	s := make(map[string]bool, len(items))
	for _, it := range items {
		s[code(it)] = true
	}
	return s
}

// UnknownProductCodes returns the codes a product mapping produces that
// are not sous_categories (source_data_validate refuses such a mapping).
func (d *RefData) UnknownProductCodes(mapping map[string]Value) []string {
	known := codeSet(d.SousCategories, func(s SousCategorie) string { return s.Code })
	seen := map[string]bool{}
	var out []string
	for _, v := range mapping {
		codes := v.StringItems()
		if v.IsString() {
			codes = []string{v.Str()}
		}
		for _, c := range codes {
			if !known[c] && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	sort.Strings(out)
	return out
}

// validatedColumns are the columns source_data_validate checks against the
// reference tables.
var validatedColumns = []string{"acteur_type_code", "source_code", "label_codes", "acteur_service_codes", "sous_categorie_codes"}

func (d *RefData) index() {
	d.once.Do(func() {
		d.known = map[string]map[string]bool{
			"acteur_type_code":     codeSet(d.ActeurTypes, func(a ActeurType) string { return a.Code }),
			"source_code":          codeSet(d.Sources, func(s Source) string { return s.Code }),
			"label_codes":          codeSet(d.Labels, func(l Label) string { return l.Code }),
			"acteur_service_codes": codeSet(d.ActeurServices, func(a ActeurService) string { return a.Code }),
			"sous_categorie_codes": codeSet(d.SousCategories, func(s SousCategorie) string { return s.Code }),
		}
	})
}

// UnknownCodes lists the codes of a normalised row that the reference data
// does not know, by column (the per-row checks of source_data_validate on
// acteur_type_code, source_code, label_codes, acteur_service_codes and
// sous_categorie_codes). An empty result means the row is valid.
func (d *RefData) UnknownCodes(r Row) map[string][]string {
	d.index()
	var out map[string][]string
	for _, col := range validatedColumns {
		v, ok := r.Lookup(col)
		if !ok {
			continue
		}
		codes := v.StringItems()
		if v.IsString() {
			codes = []string{v.Str()}
		}
		for _, code := range codes {
			if code != "" && !d.known[col][code] {
				if out == nil {
					out = map[string][]string{}
				}
				out[col] = append(out[col], code)
			}
		}
	}
	return out
}
