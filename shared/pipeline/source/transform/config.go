package transform

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// SourceConfig is the part of a source DAG's configuration (LVAO's
// SourceConfig) that normalisation reads. JSON names are the DAG parameter
// names; zero values are the SourceConfig defaults.
type SourceConfig struct {
	// DagID selects the DAG-specific steps ("pharmacies", "source_sinoe").
	DagID              string `json:"dag_id"`
	Endpoint           string `json:"endpoint"`
	MetadataEndpoint   string `json:"metadata_endpoint"`
	NormalizationRules []Rule `json:"normalization_rules"`
	// ProductMapping maps a lower-cased product label of the source to one
	// sous_categorie code (a string) or several (a list). See RefData.
	ProductMapping map[string]Value `json:"product_mapping"`
	// DechetMapping maps a SINOE waste code to its label.
	DechetMapping map[string]string `json:"dechet_mapping"`
	// DechetMappingSource is set when the dechet_mapping parameter is not a
	// mapping but where to fetch it (SINOE's default, which LVAO fetched
	// when the DAG file was parsed): the caller fetches it into
	// DechetMapping before normalising.
	DechetMappingSource *DechetMappingSource `json:"-"`
	// LabelBonusReparation is the label code added when labels carry
	// "Agréé Bonus Réparation"; "" means none.
	LabelBonusReparation string `json:"label_bonus_reparation"`
	// ReturnableObjects turns the "donner" action into "rapporter".
	ReturnableObjects bool `json:"returnable_objects"`
	// ValidateAddressWithBAN geocodes addresses with the BAN (needs
	// AddressLookup; without it the text is parsed, as when the flag is off).
	ValidateAddressWithBAN          bool       `json:"validate_address_with_ban"`
	OCA                             *OCAConfig `json:"oca"`
	SourceCode                      string     `json:"source_code"`
	CombineColumnsCategories        []string   `json:"combine_columns_categories"`
	IgnoreRowsWithNullOrEmptyFields []string   `json:"ignore_rows_with_null_or_empty_fields"`
	UseLegacySuggestions            bool       `json:"use_legacy_suggestions"`

	// AddressLookup is the BAN geocoder used when ValidateAddressWithBAN is
	// set. Nil: no lookup. It is the only I/O a transformation may do, and
	// the caller provides it.
	AddressLookup AddressLookup `json:"-"`
}

// OCAConfig is the configuration of sources published by an OCA
// (organisme coordonnateur agréé) on behalf of several eco-organisms.
type OCAConfig struct {
	// Prefix is put before each source_code ("<prefix>_<source>").
	Prefix string `json:"prefix"`
	// DeduplicationSource splits source_code on '|' into one row per source.
	DeduplicationSource bool `json:"deduplication_source"`
}

// UnmarshalJSON accepts null for the optional string fields (Python None).
func (c *SourceConfig) UnmarshalJSON(data []byte) error {
	type plain SourceConfig
	var raw struct {
		plain
		MetadataEndpoint     *string          `json:"metadata_endpoint"`
		LabelBonusReparation *string          `json:"label_bonus_reparation"`
		SourceCode           *string          `json:"source_code"`
		DechetMapping        *json.RawMessage `json:"dechet_mapping"`
		// Decoded one by one below, so that an error names the rule.
		NormalizationRules []json.RawMessage `json:"normalization_rules"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*c = SourceConfig(raw.plain)
	if raw.NormalizationRules != nil {
		c.NormalizationRules = make([]Rule, len(raw.NormalizationRules))
		for i, r := range raw.NormalizationRules {
			if err := json.Unmarshal(r, &c.NormalizationRules[i]); err != nil {
				return fmt.Errorf("normalization_rules[%d]: %w", i, err)
			}
		}
	}
	c.MetadataEndpoint = deref(raw.MetadataEndpoint)
	c.LabelBonusReparation = deref(raw.LabelBonusReparation)
	c.SourceCode = deref(raw.SourceCode)
	if raw.DechetMapping != nil {
		if err := c.decodeDechetMapping(*raw.DechetMapping); err != nil {
			return err
		}
	}
	return nil
}

// decodeDechetMapping reads the dechet_mapping parameter. sources.json
// describes SINOE's mapping (fetched at parse time) as an object of
// settings: one with a key_field, or whose url is an http(s) URL, says
// where the mapping is (whatever its other fields); any other object is
// the mapping itself, waste code → label. Anything else is an error naming
// the parameter: ignoring it left an empty mapping, so every row failed on
// its first waste code and the run ended with "no row left" and no word of
// the parameter.
func (c *SourceConfig) decodeDechetMapping(data json.RawMessage) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return fmt.Errorf("dechet_mapping: %s is not an object (waste code -> label, or where to fetch them)", data)
	}
	var url string
	_, hasKeyField := fields["key_field"]
	isURL := json.Unmarshal(fields["url"], &url) == nil &&
		(strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://"))
	if isURL || hasKeyField {
		var src DechetMappingSource
		if err := json.Unmarshal(data, &src); err != nil || src.URL == "" || src.KeyField == "" || src.ValueField == "" {
			return fmt.Errorf("dechet_mapping: %s: a mapping fetched from url needs url, key_field and value_field (strings)", data)
		}
		c.DechetMappingSource = &src
		return nil
	}
	m := make(map[string]string, len(fields))
	for code, label := range fields {
		var s string
		if err := json.Unmarshal(label, &s); err != nil || string(label) == "null" {
			return fmt.Errorf("dechet_mapping: the label of waste code %q is %s, not a string", code, label)
		}
		m[code] = s
	}
	c.DechetMapping = m
	return nil
}

// DechetMappingSource says where SINOE's waste nomenclature is: a list of
// objects under ResponseListKey at URL, each mapping KeyField to
// ValueField (ValueFieldFallback when ValueField is empty).
type DechetMappingSource struct {
	URL                string `json:"url"`
	ResponseListKey    string `json:"response_list_key"`
	KeyField           string `json:"key_field"`
	ValueField         string `json:"value_field"`
	ValueFieldFallback string `json:"value_field_fallback"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// RuleKind is the kind of a normalisation rule.
type RuleKind uint8

const (
	RuleRename RuleKind = iota + 1
	RuleColumnTransform
	RuleDefaultValue
	RuleDataframeTransform
	RuleRemove
	RuleKeep
)

func (k RuleKind) String() string {
	switch k {
	case RuleRename:
		return "rename"
	case RuleColumnTransform:
		return "column_transform"
	case RuleDefaultValue:
		return "default_value"
	case RuleDataframeTransform:
		return "dataframe_transform"
	case RuleRemove:
		return "remove"
	case RuleKeep:
		return "keep"
	}
	return "unknown"
}

// Rule is one normalisation rule of a source DAG. Which fields are set
// depends on Kind:
//
//	rename               {origin, destination}                   Origin, Destination
//	column transform     {origin, transformation, destination}   Origin, Transformation, Destination
//	default value        {column, value}                         Column, Value
//	dataframe transform  {origin: [..], transformation, destination: [..]}
//	                                                             Origins, Transformation, Destinations
//	remove               {remove}                                Column
//	keep                 {keep}                                  Column
type Rule struct {
	Kind           RuleKind
	Origin         string
	Destination    string
	Origins        []string
	Destinations   []string
	Transformation string
	Column         string
	Value          Value
}

// UnmarshalJSON reads a rule and tells its kind from its keys, as pydantic
// picks the first model of the Union that validates.
func (r *Rule) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return fmt.Errorf("error decoding rule %s: a rule is a JSON object", data)
	}
	str := func(key string) (string, bool) {
		var s string
		m, ok := raw[key]
		return s, ok && json.Unmarshal(m, &s) == nil
	}
	strs := func(key string) ([]string, bool) {
		var s []string
		m, ok := raw[key]
		return s, ok && json.Unmarshal(m, &s) == nil
	}
	*r = Rule{}
	if t, ok := str("transformation"); ok {
		r.Transformation = t
		if o, ok := str("origin"); ok {
			r.Kind, r.Origin = RuleColumnTransform, o
			if r.Destination, ok = str("destination"); !ok {
				return fmt.Errorf("error decoding rule %s: destination must be a string", data)
			}
			return nil
		}
		o, ok1 := strs("origin")
		d, ok2 := strs("destination")
		if !ok1 || !ok2 {
			return fmt.Errorf("error decoding rule %s: origin and destination must both be strings or both lists", data)
		}
		r.Kind, r.Origins, r.Destinations = RuleDataframeTransform, o, d
		return nil
	}
	if o, ok := str("origin"); ok {
		d, ok := str("destination")
		if !ok {
			return fmt.Errorf("error decoding rule %s: destination must be a string", data)
		}
		r.Kind, r.Origin, r.Destination = RuleRename, o, d
		return nil
	}
	if c, ok := str("column"); ok {
		m, ok := raw["value"]
		if !ok {
			return fmt.Errorf("error decoding rule %s: value is required", data)
		}
		v, err := DecodeValue(m)
		if err != nil {
			return fmt.Errorf("error decoding rule %s: %w", data, err)
		}
		r.Kind, r.Column, r.Value = RuleDefaultValue, c, v
		return nil
	}
	if c, ok := str("remove"); ok {
		r.Kind, r.Column = RuleRemove, c
		return nil
	}
	if c, ok := str("keep"); ok {
		r.Kind, r.Column = RuleKeep, c
		return nil
	}
	return fmt.Errorf("error decoding rule %s: unknown rule shape", data)
}

// MarshalJSON writes a rule in the shape it was read from.
func (r Rule) MarshalJSON() ([]byte, error) {
	switch r.Kind {
	case RuleRename:
		return json.Marshal(map[string]string{"origin": r.Origin, "destination": r.Destination})
	case RuleColumnTransform:
		return json.Marshal(map[string]string{"origin": r.Origin, "transformation": r.Transformation, "destination": r.Destination})
	case RuleDefaultValue:
		return json.Marshal(map[string]any{"column": r.Column, "value": r.Value})
	case RuleDataframeTransform:
		return json.Marshal(map[string]any{"origin": r.Origins, "transformation": r.Transformation, "destination": r.Destinations})
	case RuleRemove:
		return json.Marshal(map[string]string{"remove": r.Column})
	case RuleKeep:
		return json.Marshal(map[string]string{"keep": r.Column})
	}
	return nil, fmt.Errorf("error encoding rule: unknown kind %d", r.Kind)
}

// ExpectedColumns is SourceConfig.get_expected_columns: every destination,
// default column and kept column, less the removed ones. After
// normalisation a row must have exactly these columns.
func (c *SourceConfig) ExpectedColumns() map[string]bool {
	cols := map[string]bool{}
	for _, r := range c.NormalizationRules {
		switch r.Kind {
		case RuleRename, RuleColumnTransform:
			cols[r.Destination] = true
		case RuleDataframeTransform:
			for _, d := range r.Destinations {
				cols[d] = true
			}
		case RuleDefaultValue, RuleKeep:
			cols[r.Column] = true
		}
	}
	for _, r := range c.NormalizationRules {
		if r.Kind == RuleRemove {
			delete(cols, r.Column)
		}
	}
	return cols
}

// SourceDAG is one source DAG of shared/lvao/sources.json: its
// configuration, with the product mapping named by key rather than given.
type SourceDAG struct {
	SourceConfig
	// ProductMappingKey is the db_mapping.json key of the DAG's product
	// mapping; "" for source-s3, whose mapping is every sous_categorie code
	// mapped to itself.
	ProductMappingKey string
}

// UnmarshalJSON reads a sources.json entry.
func (d *SourceDAG) UnmarshalJSON(data []byte) error {
	if err := json.Unmarshal(data, &d.SourceConfig); err != nil {
		return err
	}
	var key struct {
		ProductMappingKey *string `json:"product_mapping_key"`
	}
	if err := json.Unmarshal(data, &key); err != nil {
		return err
	}
	d.ProductMappingKey = deref(key.ProductMappingKey)
	return nil
}

// LoadSourceDAGs reads the "sources" of shared/lvao/sources.json.
func LoadSourceDAGs(r io.Reader) ([]SourceDAG, error) {
	var file struct {
		Sources []SourceDAG `json:"sources"`
	}
	if err := json.NewDecoder(r).Decode(&file); err != nil {
		return nil, fmt.Errorf("error decoding sources: %w", err)
	}
	return file.Sources, nil
}

// Config returns the DAG's configuration with its product mapping taken
// from the reference data.
func (d SourceDAG) Config(ref *RefData) (SourceConfig, error) {
	cfg := d.SourceConfig
	if d.ProductMappingKey == "" {
		cfg.ProductMapping = ref.IdentityProductMapping()
		return cfg, nil
	}
	m, err := ref.ProductMapping(d.ProductMappingKey)
	if err != nil {
		return SourceConfig{}, fmt.Errorf("error configuring %s: %w", d.DagID, err)
	}
	cfg.ProductMapping = m
	return cfg, nil
}
