package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/lvao/dataplatform/shared/pyfmt"
)

// The suggestions whose "suggestion" holds {"changes": [...]} (clustering,
// crawl, enrichments: data/models/change.py). Suggestion.apply() sorts the
// changes by "order" and, for each, validates it (SuggestionChange, a
// pydantic model) then applies it with its change model: one after the
// other, so a change sees the effects of the ones before it.

// changeModels are data.models.changes.CHANGE_MODELS by name.
var changeModels = map[string]func(*env, context.Context, changeParams) error{
	"acteur_create_as_parent":            (*env).changeCreateAsParent,
	"acteur_delete_as_parent":            (*env).changeDeleteAsParent,
	"acteur_keep_as_parent":              (*env).changeKeepAsParent,
	"acteur_change_nothing_in_base":      (*env).changeNothingInBase,
	"acteur_rgpd_anonymize":              (*env).changeRgpdAnonymize,
	"acteur_update_parent_id":            (*env).changeUpdateParentID,
	"acteur_update_revision":             (*env).changeUpdateRevision,
	"acteur_update":                      (*env).changeUpdate,
	"acteur_verify_presence_in_revision": (*env).changeVerifyPresenceInRevision,
	// A model that does nothing, used by LVAO's tests of SuggestionChange.
	"sample_model_do_nothing": func(*env, context.Context, changeParams) error { return nil },
}

// modelNames is MODEL_NAMES, in CHANGE_MODELS order, for the error message.
var modelNames = []string{
	"acteur_create_as_parent", "acteur_delete_as_parent", "acteur_keep_as_parent",
	"acteur_change_nothing_in_base", "acteur_rgpd_anonymize", "acteur_update_parent_id",
	"acteur_update_revision", "acteur_update", "acteur_verify_presence_in_revision", "sample_model_do_nothing",
}

// changeParams are a change model's parameters (ChangeActeurAbstract):
// the acteur's identifiant_unique and the data to apply.
type changeParams struct {
	id   string
	data map[string]any
}

// applyChanges is the changes branch of Suggestion.apply().
func (e *env) applyChanges(ctx context.Context, suggestion any) error {
	obj, ok := suggestion.(map[string]any)
	if !ok {
		return subscriptError(suggestion) // self.suggestion["changes"]
	}
	raw, ok := obj["changes"]
	if !ok {
		return keyError("changes")
	}
	list, ok := raw.([]any)
	if !ok {
		return fmt.Errorf("'%s' object has no attribute 'sort'", pyTypeName(raw))
	}
	// changes.sort(key=lambda x: x["order"]): numbers sort as numbers,
	// strings as strings; a list of one is not compared at all (pydantic
	// then reads a numeric string as an int); a mix is Python's TypeError.
	type sortable struct {
		order any // float64 or string
		raw   any
		c     map[string]any
	}
	items := make([]sortable, 0, len(list))
	for _, it := range list {
		c, ok := it.(map[string]any)
		if !ok {
			return subscriptError(it) // x["order"]
		}
		o, ok := c["order"]
		if !ok {
			return keyError("order")
		}
		item := sortable{raw: o, c: c}
		switch v := o.(type) {
		case json.Number:
			f, err := v.Float64()
			if err != nil {
				return err
			}
			item.order = f
		case string:
			item.order = v
		}
		items = append(items, item)
	}
	if len(items) > 1 {
		for _, it := range items[1:] {
			_, num0 := items[0].order.(float64)
			_, str0 := items[0].order.(string)
			_, num := it.order.(float64)
			_, str := it.order.(string)
			if !(num0 && num) && !(str0 && str) {
				return fmt.Errorf("'<' not supported between instances of '%s' and '%s'", pyTypeName(it.raw), pyTypeName(items[0].raw))
			}
		}
		sort.SliceStable(items, func(i, j int) bool {
			if a, ok := items[i].order.(float64); ok {
				return a < items[j].order.(float64)
			}
			return items[i].order.(string) < items[j].order.(string)
		})
	}
	for _, it := range items {
		name, params, err := validateChange(it.c)
		if err != nil {
			return err
		}
		if err := changeModels[name](e, ctx, params); err != nil {
			// SuggestionChange.apply logs the change, then re-raises.
			e.log.Warn("change failed", "model_name", name, "order", it.order, "id", params.id, "error", err)
			return err
		}
		e.log.Debug("change applied", "model_name", name, "order", it.order, "id", params.id)
	}
	return nil
}

// validateChange is SuggestionChange(**change): order ≥ 1, a reason of 5
// characters or more, a known model_name, and the model's parameters.
func validateChange(c map[string]any) (string, changeParams, error) {
	var p changeParams
	order := c["order"]
	if str, ok := order.(string); ok && laxInt.MatchString(str) {
		order = json.Number(strings.TrimLeft(strings.TrimSpace(str), "+")) // pydantic's lax str → int
	}
	if n, ok := order.(json.Number); !ok || !isIntGE1(n) {
		return "", p, pydanticError("order", "Input should be a valid integer greater than or equal to 1")
	}
	reason, ok := c["reason"].(string)
	if !ok {
		return "", p, pydanticError("reason", "Field required or not a valid string")
	}
	if len([]rune(reason)) < 5 {
		return "", p, pydanticError("reason", "String should have at least 5 characters")
	}
	name, ok := c["model_name"].(string)
	if !ok {
		return "", p, pydanticError("model_name", "Field required or not a valid string")
	}
	if _, ok := changeModels[name]; !ok {
		return "", p, fmt.Errorf("Invalid model_name=%s, must be in [%s]", pyfmt.Repr(name), quotedList(modelNames))
	}
	params := map[string]any{}
	if raw, ok := c["model_params"]; ok {
		if params, ok = raw.(map[string]any); !ok {
			return "", p, pydanticError("model_params", "Input should be a valid dictionary")
		}
	}
	if name == "sample_model_do_nothing" {
		return name, p, nil
	}
	id, ok := params["id"]
	if !ok {
		return "", p, pydanticError("id", "Field required")
	}
	if p.id, ok = id.(string); !ok {
		return "", p, pydanticError("id", "Input should be a valid string")
	}
	p.data = map[string]any{}
	if raw, ok := params["data"]; ok {
		if p.data, ok = raw.(map[string]any); !ok {
			return "", p, pydanticError("data", "Input should be a valid dictionary")
		}
	}
	return name, p, nil
}

// laxInt is a string pydantic reads as an int in lax mode.
var laxInt = regexp.MustCompile(`^\s*[+-]?[0-9]+\s*$`)

func isIntGE1(n json.Number) bool {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i >= 1
	}
	f, err := n.Float64()
	return err == nil && f == float64(int64(f)) && f >= 1
}

// pydanticError is the text of a pydantic ValidationError on one field.
func pydanticError(field, msg string) error {
	return fmt.Errorf("1 validation error\n%s\n  %s", field, msg)
}

func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = pyfmt.Repr(n)
	}
	return strings.Join(q, ", ")
}
