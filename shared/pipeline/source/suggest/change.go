package suggest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// Action is the kind of a change: it picks the suggestion cohort.
type Action string

// The three actions of a source run, with the suffix of the cohort's
// identifiant_action ("<dag> - AJOUT") and its type_action.
const (
	ActionCreate Action = "AJOUT"
	ActionUpdate Action = "MODIF"
	ActionDelete Action = "SUP"
)

// Actions are the actions in the order LVAO writes their cohorts
// (db_write_type_action_suggestions: AJOUT, SUP, MODIF).
var Actions = []Action{ActionCreate, ActionDelete, ActionUpdate}

// TypeAction is the cohort's type_action (SuggestionAction). LVAO stores
// SOURCE_SUPPRESSION as "SOURCE_SUPRESSION", with one P.
func (a Action) TypeAction() string {
	switch a {
	case ActionCreate:
		return "SOURCE_AJOUT"
	case ActionUpdate:
		return "SOURCE_MODIFICATION"
	case ActionDelete:
		return "SOURCE_SUPRESSION"
	}
	return ""
}

// Change is one acteur to create, update or delete: a row of
// db_data_prepare's df_acteur_to_create/update/delete.
type Change struct {
	Action            Action `json:"action"`
	IdentifiantUnique string `json:"identifiant_unique"`
	// Contexte is the acteur as stored (a JSON object), null for a
	// creation.
	Contexte json.RawMessage `json:"contexte"`
	// Suggestion is the proposed acteur: the whole normalised row for a
	// creation or an update, {identifiant_unique, statut: SUPPRIME} for a
	// deletion.
	Suggestion transform.Row `json:"suggestion"`
	// Fields are the fields keep_acteur_changed found changed (updates).
	Fields []string `json:"fields,omitempty"`
}

// contexteRow decodes the contexte; ok is false for a creation.
func (c Change) contexteRow() (transform.Row, bool, error) {
	raw := bytes.TrimSpace(c.Contexte)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return transform.Row{}, false, nil
	}
	r, err := transform.DecodeRow(raw)
	if err != nil {
		return transform.Row{}, false, fmt.Errorf("error decoding the contexte of %s: %w", c.IdentifiantUnique, err)
	}
	return r, true, nil
}

// ChangeSet gives the changes of a run by action; Write reads each source
// twice (to count, then to write). A nil source is empty.
type ChangeSet struct {
	Create, Update, Delete Source[Change]
}

// of returns the source of an action.
func (s ChangeSet) of(a Action) Source[Change] {
	switch a {
	case ActionCreate:
		return s.Create
	case ActionUpdate:
		return s.Update
	case ActionDelete:
		return s.Delete
	}
	return nil
}

// ChangeBuffer collects changes in memory (tests, small sources): a Sink
// for Diff and a ChangeSet for Write.
type ChangeBuffer struct {
	Create, Update, Delete []Change
}

// Put files c under its action.
func (b *ChangeBuffer) Put(c Change) error {
	switch c.Action {
	case ActionCreate:
		b.Create = append(b.Create, c)
	case ActionUpdate:
		b.Update = append(b.Update, c)
	case ActionDelete:
		b.Delete = append(b.Delete, c)
	default:
		return fmt.Errorf("error storing change of %s: unknown action %q", c.IdentifiantUnique, c.Action)
	}
	return nil
}

// Set returns the buffered changes as a ChangeSet.
func (b *ChangeBuffer) Set() ChangeSet {
	return ChangeSet{Create: SliceSource(b.Create), Update: SliceSource(b.Update), Delete: SliceSource(b.Delete)}
}

// ChangeWriter writes Diff's changes as three JSON-lines artifacts, one
// per action (read back with JSONLSource[Change]).
type ChangeWriter struct {
	create, update, delete *JSONLWriter[Change]
}

// NewChangeWriter writes the changes of each action to its writer.
func NewChangeWriter(create, update, delete io.Writer) *ChangeWriter {
	return &ChangeWriter{NewJSONLWriter[Change](create), NewJSONLWriter[Change](update), NewJSONLWriter[Change](delete)}
}

// Put writes c to its action's artifact.
func (w *ChangeWriter) Put(c Change) error {
	switch c.Action {
	case ActionCreate:
		return w.create.Put(c)
	case ActionUpdate:
		return w.update.Put(c)
	case ActionDelete:
		return w.delete.Put(c)
	}
	return fmt.Errorf("error writing change of %s: unknown action %q", c.IdentifiantUnique, c.Action)
}

// Flush writes the buffered lines of the three artifacts.
func (w *ChangeWriter) Flush() error {
	for _, j := range []*JSONLWriter[Change]{w.create, w.update, w.delete} {
		if err := j.Flush(); err != nil {
			return err
		}
	}
	return nil
}
