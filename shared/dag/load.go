package dag

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Parse decodes one DAG file. Unknown fields are errors (a typo such as
// `depends_om` must not silently drop a dependency). It does not validate.
func Parse(file string, data []byte) (*Spec, error) {
	s, errs := parse(file, data)
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// parse decodes one DAG file and returns every decoding problem. Type
// problems (an unknown field, a malformed duration, a string where a list
// is expected) do not stop the decoding: the spec is returned as far as it
// decoded, so that Load can validate the rest and report every problem of
// the file at once. A syntax error returns no spec.
func parse(file string, data []byte) (*Spec, Errors) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Spec
	err := dec.Decode(&s)
	if errors.Is(err, io.EOF) {
		return nil, Errors{{File: file, Msg: "empty file"}}
	}
	var terr *yaml.TypeError
	var timeErr *time.ParseError
	switch {
	case errors.As(err, &timeErr):
		// A quoted start_date goes through time.Time's UnmarshalText,
		// whose error names neither the field nor the line.
		return nil, Errors{{File: file, DagID: guessID(data), Field: "start_date",
			Msg: fmt.Sprintf("%s%q is not an RFC 3339 date-time such as 2025-08-01T00:00:00Z", lineOf(data, "start_date"), timeErr.Value)}}
	case err != nil && !errors.As(err, &terr):
		return nil, Errors{{File: file, DagID: guessID(data), Msg: cleanYAMLError(err)}}
	}
	if msg := extraDocument(dec); msg != "" {
		id := s.DagID
		if id == "" {
			id = guessID(data)
		}
		return nil, Errors{{File: file, DagID: id, Msg: msg}}
	}
	s.File = file
	for k, v := range s.Tasks {
		for a, x := range v.Args {
			s.Tasks[k].Args[a] = normalize(x)
		}
	}
	id := s.DagID
	if id == "" {
		id = guessID(data)
	}
	var errs Errors
	if s.MaxActiveRuns == 0 {
		// 0 is also "not set" (the default, 16): a 0 written in the file
		// would silently allow 16 runs.
		if line := explicitKey(data, "max_active_runs"); line > 0 {
			errs = append(errs, &Error{File: file, DagID: id, Field: "max_active_runs",
				Msg: fmt.Sprintf("line %d: must be >= 1 (default %d when omitted)", line, DefaultMaxActiveRuns)})
		}
	}
	if terr == nil {
		if len(errs) > 0 {
			return &s, errs
		}
		return &s, nil
	}
	where := spots(data)
	for _, m := range terr.Errors {
		task, field := locate(where, m)
		errs = append(errs, &Error{File: file, DagID: id, Task: task, Field: field, Msg: inWords(cleanYAMLError(errors.New(m)))})
	}
	return &s, errs
}

// explicitKey is the line of a top-level key of the DAG file whose value is
// not null, or 0 when the file does not set it.
func explicitKey(data []byte, key string) int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return 0
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k, v := root.Content[i], root.Content[i+1]; k.Value == key && v.Tag != "!!null" {
			return k.Line
		}
	}
	return 0
}

// extraDocument tells what is wrong when the file goes on after its first
// YAML document: a second DAG after `---` would otherwise be ignored.
func extraDocument(dec *yaml.Decoder) string {
	var n yaml.Node
	err := dec.Decode(&n)
	switch {
	case errors.Is(err, io.EOF):
		return ""
	case err != nil:
		return cleanYAMLError(err)
	case len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null"):
		return extraDocument(dec) // an empty document (a trailing ---)
	}
	return fmt.Sprintf("line %d: a second YAML document; a file holds one DAG (put each DAG in its own file)", n.Content[0].Line)
}

// withoutDecoded drops the validation problems of fields whose decoding
// failed: a duration that did not parse is also zero ("must be > 0"), a
// second message about the same mistake.
func withoutDecoded(verrs, perrs Errors) Errors {
	failed := map[[2]string]bool{}
	for _, e := range perrs {
		if e.Field != "" {
			failed[[2]string{e.Task, e.Field}] = true
		}
	}
	out := verrs[:0:0]
	for _, e := range verrs {
		if !failed[[2]string{e.Task, e.Field}] {
			out = append(out, e)
		}
	}
	return out
}

func cleanYAMLError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	msg = strings.ReplaceAll(msg, "\n ", ";")
	msg = strings.ReplaceAll(msg, "in type dag.Spec", "in a DAG")
	msg = strings.ReplaceAll(msg, "in type dag.Task", "in a task")
	msg = strings.ReplaceAll(msg, "in type dag.TaskArgs", "in default_args")
	return strings.TrimSpace(msg)
}

// guessID finds dag_id in a file that failed to decode, for the message.
func guessID(data []byte) string {
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "dag_id:"); ok {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	if m := jsonDagID.FindSubmatch(data); m != nil { // a JSON file
		return string(m[1])
	}
	return ""
}

var jsonDagID = regexp.MustCompile(`"dag_id"\s*:\s*"([^"\\]*)"`)

// lineOf is "line N: " for the first line that holds key (as a YAML key or
// a JSON one), or "" when none does.
func lineOf(data []byte, key string) string {
	for i, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, key+":") || strings.Contains(line, `"`+key+`"`) {
			return fmt.Sprintf("line %d: ", i+1)
		}
	}
	return ""
}

// Set is a validated collection of DAGs, by id.
type Set struct {
	byID map[string]*Spec
	ids  []string
}

// Get returns the DAG with the given id.
func (s *Set) Get(id string) (*Spec, bool) {
	d, ok := s.byID[id]
	return d, ok
}

// All returns the DAGs sorted by id.
func (s *Set) All() []*Spec {
	out := make([]*Spec, 0, len(s.ids))
	for _, id := range s.ids {
		out = append(out, s.byID[id])
	}
	return out
}

// Source is a place DAG files are read from.
type Source struct {
	FS  fs.FS
	Dir string // within FS; "." for its root
	// Name prefixes file names in messages (e.g. the directory on disk).
	Name string
}

// DirSource reads DAG files from a directory on disk.
func DirSource(dir string) Source { return Source{FS: os.DirFS(dir), Dir: ".", Name: dir} }

// Load reads every *.yaml, *.yml and *.json file of the sources, validates
// each DAG and the set (unique ids) and returns every problem at once.
func Load(opts ValidateOptions, sources ...Source) (*Set, error) {
	set := &Set{byID: map[string]*Spec{}}
	var errs Errors
	var parsed []*Spec // valid or not: references are checked across all
	for _, src := range sources {
		entries, err := fs.ReadDir(src.FS, src.Dir)
		if err != nil {
			// os.DirFS names its root ".": "open .: no such file or
			// directory" would not say which directory.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			errs = append(errs, &Error{File: src.Name, Msg: fmt.Sprintf("cannot read DAG directory: %v", err)})
			continue
		}
		for _, e := range entries {
			ext := path.Ext(e.Name())
			if e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
				continue
			}
			name := path.Join(src.Name, e.Name())
			data, err := fs.ReadFile(src.FS, path.Join(src.Dir, e.Name()))
			if err != nil {
				errs = append(errs, &Error{File: name, Msg: err.Error()})
				continue
			}
			spec, perrs := parse(name, data)
			errs = append(errs, perrs...)
			if spec == nil {
				continue
			}
			parsed = append(parsed, spec)
			if verrs := Validate(spec, opts); len(verrs) > 0 || len(perrs) > 0 {
				errs = append(errs, withoutDecoded(verrs, perrs)...)
				continue
			}
			if prev, dup := set.byID[spec.DagID]; dup {
				errs = append(errs, &Error{File: name, DagID: spec.DagID, Field: "dag_id",
					Msg: fmt.Sprintf("duplicate DAG id, already defined in %s", prev.File)})
				continue
			}
			set.byID[spec.DagID] = spec
			set.ids = append(set.ids, spec.DagID)
		}
	}
	sort.Strings(set.ids)
	errs = append(errs, checkDagRefs(parsed, opts.DagRefs, opts.ConfRefs)...)
	if len(errs) > 0 {
		return set, errs
	}
	return set, nil
}

// checkDagRefs reports tasks whose args name a DAG no file defines (a
// DAG whose file has problems of its own is known: those are reported).
func checkDagRefs(specs []*Spec, refs, confRefs map[string]string) Errors {
	if len(refs) == 0 {
		return nil
	}
	known := map[string]*Spec{}
	var ids []string
	for _, s := range specs {
		if known[s.DagID] == nil {
			known[s.DagID] = s
			ids = append(ids, s.DagID)
		}
	}
	sort.Strings(ids)
	var errs Errors
	for _, spec := range specs {
		for _, t := range spec.Tasks {
			arg, ok := refs[t.Function]
			if !ok {
				continue
			}
			target, isString := t.Args[arg].(string)
			if !isString || target == "" || strings.Contains(target, "{{") {
				continue // missing or templated: the function's own checks
			}
			if known[target] == nil {
				errs = append(errs, &Error{File: spec.File, DagID: spec.DagID, Task: t.ID, Field: "args",
					Msg: fmt.Sprintf("%s: unknown DAG %q (known: %s)", arg, target, strings.Join(ids, ", "))})
				continue
			}
			// A conf as written is checked against the target's params,
			// as the trigger will check it (every try would fail).
			confArg, ok := confRefs[t.Function]
			if !ok || len(templateRefs(t.Args[confArg])) > 0 || len(unsupportedTemplates(t.Args[confArg])) > 0 {
				continue
			}
			conf, isMap := t.Args[confArg].(map[string]any)
			if t.Args[confArg] != nil && !isMap {
				continue // not a mapping: the function's own checks
			}
			var ce *ConfError
			if _, err := known[target].ResolveParams(conf); errors.As(err, &ce) {
				errs = append(errs, &Error{File: spec.File, DagID: spec.DagID, Task: t.ID, Field: "args",
					Msg: fmt.Sprintf("%s: does not match the params of DAG %s: %s", confArg, target, strings.Join(ce.Problems, "; "))})
			}
		}
	}
	return errs
}
