// Package gen writes the source DAG files (shared/dags/<dag_id>.yaml) from
// LVAO's source configurations (sources.json, db_mapping.json): one DAG per
// source with LVAO's task chain, its explicit params (overridable by a
// run's conf) and a dry_run param. The files are committed; a test checks
// they match what this package generates (run it with -update to rewrite).
package gen

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// Functions run the steps of the chain.
const (
	FunctionDownload  = "source-download"
	FunctionTransform = "source-transform"
	FunctionSuggest   = "source-suggest"
)

// Chain is LVAO's task chain (sources.json task_chain) and the function and
// step running each task. db_clean_temporary_tables has no equivalent: the
// steps exchange S3 artifacts, not temporary tables.
var Chain = []struct{ TaskID, Function, Step string }{
	{"source_config_validate", FunctionTransform, "config_validate"},
	{"source_data_download", FunctionDownload, "download"},
	{"source_data_normalize", FunctionTransform, "normalize"},
	{"source_data_validate", FunctionTransform, "validate"},
	{"keep_acteur_changed", FunctionSuggest, "keep_changed"},
	{"db_data_prepare", FunctionSuggest, "prepare"},
	{"db_write_type_action_suggestions", FunctionSuggest, "write"},
}

// Source is one entry of sources.json, as the generator needs it.
type Source struct {
	DagID             string         `json:"dag_id"`
	DisplayName       string         `json:"display_name"`
	Tags              []string       `json:"tags"`
	FetchMode         string         `json:"fetch_mode"`
	ProductMappingKey *string        `json:"product_mapping_key"`
	ExplicitParams    []string       `json:"explicit_params"`
	MaxActiveRuns     int            `json:"max_active_runs"`
	Retries           int            `json:"retries"`
	RetryDelaySeconds int            `json:"retry_delay_seconds"`
	Raw               map[string]any `json:"-"`
}

// configFields are the SourceConfig fields passed to every step.
var configFields = []string{
	"endpoint", "metadata_endpoint", "normalization_rules", "product_mapping", "dechet_mapping",
	"label_bonus_reparation", "returnable_objects", "validate_address_with_ban", "oca", "source_code",
	"combine_columns_categories", "ignore_rows_with_null_or_empty_fields", "use_legacy_suggestions",
	"s3_connection_id",
}

// Generate returns the DAG files by name.
func Generate(sourcesJSON []byte, ref *transform.RefData) (map[string][]byte, error) {
	var file struct {
		Sources []json.RawMessage `json:"sources"`
	}
	if err := json.Unmarshal(sourcesJSON, &file); err != nil {
		return nil, fmt.Errorf("sources.json: %w", err)
	}
	out := map[string][]byte{}
	for _, raw := range file.Sources {
		var s Source
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &s.Raw); err != nil {
			return nil, err
		}
		b, err := generate(s, ref)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.DagID, err)
		}
		out[s.DagID+".yaml"] = b
	}
	return out, nil
}

func generate(s Source, ref *transform.RefData) ([]byte, error) {
	values := map[string]any{}
	for _, f := range configFields {
		values[f] = s.Raw[f]
	}
	if values["dechet_mapping"] == nil {
		values["dechet_mapping"] = map[string]any{}
	}
	// product_mapping: the db_mapping.json entry the DAG names (source-s3
	// maps every sous_categorie code to itself).
	var mapping map[string]transform.Value
	var err error
	if s.ProductMappingKey == nil || *s.ProductMappingKey == "" {
		mapping = ref.IdentityProductMapping()
	} else if mapping, err = ref.ProductMapping(*s.ProductMappingKey); err != nil {
		return nil, err
	}
	pm := map[string]any{}
	for k, v := range mapping {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		var x any
		_ = json.Unmarshal(b, &x)
		pm[k] = x
	}
	values["product_mapping"] = pm

	params := &yaml.Node{Kind: yaml.MappingNode}
	isParam := map[string]bool{"dry_run": true}
	for _, p := range s.ExplicitParams {
		if p == "s3_connection_id" {
			continue // a connection name, not data: kept static
		}
		isParam[p] = true
		typ := paramType(values[p])
		def := values[p]
		if def == nil {
			def = ""
		}
		addParam(params, p, typ, def, paramDescriptions[p])
	}
	addParam(params, "dry_run", "boolean", false, paramDescriptions["dry_run"])

	config := &yaml.Node{Kind: yaml.MappingNode}
	addKV(config, "dag_id", s.DagID)
	addKV(config, "fetch_mode", s.FetchMode)
	keys := append([]string{}, configFields...)
	sort.Strings(keys)
	for _, f := range keys {
		if isParam[f] {
			addKV(config, f, "{{ params."+f+" }}")
		} else {
			addKV(config, f, values[f])
		}
	}
	addKV(config, "dry_run", "{{ params.dry_run }}")

	root := &yaml.Node{Kind: yaml.MappingNode}
	addKV(root, "dag_id", s.DagID)
	addKV(root, "description", s.DisplayName)
	addKV(root, "tags", s.Tags)
	addKV(root, "max_active_runs", 1)
	root.Content = append(root.Content, scalar("params"), params)
	addKV(root, "default_args", map[string]any{"retries": s.Retries, "retry_delay": fmt.Sprintf("%ds", s.RetryDelaySeconds)})
	tasks := &yaml.Node{Kind: yaml.SequenceNode}
	prev := ""
	for _, c := range Chain {
		t := &yaml.Node{Kind: yaml.MappingNode}
		addKV(t, "id", c.TaskID)
		addKV(t, "function", c.Function)
		if prev != "" {
			addKV(t, "depends_on", []string{prev})
		}
		if c.Step == "config_validate" || c.Step == "download" || c.Step == "normalize" || c.Step == "validate" {
			addKV(t, "retries", 0) // as LVAO: these tasks have no retries
		}
		args := &yaml.Node{Kind: yaml.MappingNode}
		addKV(args, "step", c.Step)
		args.Content = append(args.Content, scalar("config"), &yaml.Node{Kind: yaml.AliasNode, Alias: nil})
		if prev == "" {
			config.Anchor = "config"
			args.Content[len(args.Content)-1] = config
		} else {
			args.Content[len(args.Content)-1] = &yaml.Node{Kind: yaml.AliasNode, Value: "config", Alias: config}
		}
		t.Content = append(t.Content, scalar("args"), args)
		tasks.Content = append(tasks.Content, t)
		prev = c.TaskID
	}
	root.Content = append(root.Content, scalar("tasks"), tasks)

	var b strings.Builder
	b.WriteString("# Generated by shared/pipeline/source/gen from LVAO's sources.json — do not edit;\n")
	b.WriteString("# run `go test ./shared/pipeline/source/gen -update` after changing the generator.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

var paramDescriptions = map[string]string{
	"endpoint":                              "URL of the source's data",
	"metadata_endpoint":                     "URL of the data-fair schema (adds missing columns)",
	"normalization_rules":                   "LVAO normalisation rules (rename, transform, default, remove, keep)",
	"product_mapping":                       "source product label (lower case) -> sous_categorie code(s)",
	"validate_address_with_ban":             "geocode addresses with the BAN",
	"use_legacy_suggestions":                "write data_suggestion rows (legacy model)",
	"returnable_objects":                    "the donner action becomes rapporter",
	"oca":                                   "OCA settings (prefix, deduplication_source)",
	"label_bonus_reparation":                "label code for Bonus Réparation acteurs",
	"dechet_mapping":                        "SINOE waste code -> label",
	"ignore_rows_with_null_or_empty_fields": "drop rows where one of these fields is empty",
	"dry_run":                               "compute everything, write no suggestion",
}

func paramType(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		return "number"
	}
	return "string"
}

func addParam(params *yaml.Node, name, typ string, def any, desc string) {
	p := &yaml.Node{Kind: yaml.MappingNode}
	addKV(p, "type", typ)
	if desc != "" {
		addKV(p, "description", desc)
	}
	addKV(p, "default", def)
	params.Content = append(params.Content, scalar(name), p)
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func addKV(n *yaml.Node, k string, v any) {
	var val yaml.Node
	if err := val.Encode(v); err != nil {
		panic(err)
	}
	n.Content = append(n.Content, scalar(k), &val)
}
