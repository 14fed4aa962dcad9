package suggest

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// Changes travel between keep_acteur_changed and the write steps as JSON
// lines, each read twice by two steps: they are encoded and decoded
// directly rather than through encoding/json's reflection (which also
// re-scans the suggestion's bytes that Row.MarshalJSON returns).

// AppendJSON appends c's JSON line form (what json.Marshal writes, but for
// the HTML escaping of the contexte, which is the same JSON).
func (c Change) AppendJSON(b []byte) []byte {
	b = append(b, `{"action":`...)
	b = transform.AppendJSONString(b, string(c.Action))
	b = append(b, `,"identifiant_unique":`...)
	b = transform.AppendJSONString(b, c.IdentifiantUnique)
	b = append(b, `,"contexte":`...)
	if len(c.Contexte) == 0 {
		b = append(b, "null"...)
	} else {
		buf := bytes.NewBuffer(b)
		if err := json.Compact(buf, c.Contexte); err != nil {
			// Not JSON: json.Marshal would fail too; keep it visible.
			enc, _ := json.Marshal(string(c.Contexte))
			buf.Write(enc)
		}
		b = buf.Bytes()
	}
	b = append(b, `,"suggestion":`...)
	b = c.Suggestion.AppendJSON(b)
	if len(c.Fields) > 0 {
		b = append(b, `,"fields":[`...)
		for i, f := range c.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = transform.AppendJSONString(b, f)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// decodeLine decodes one JSON line of a change; lines the direct scan does
// not take (other keys, other shapes) go through encoding/json.
func (c *Change) decodeLine(line []byte) error {
	var out Change
	ok := transform.ObjectSpans(line, func(key string, raw []byte) bool {
		switch key {
		case "action", "identifiant_unique":
			v, err := transform.DecodeValue(raw)
			if err != nil || !v.IsString() {
				return false
			}
			if key == "action" {
				out.Action = Action(v.Str())
			} else {
				out.IdentifiantUnique = v.Str()
			}
		case "contexte":
			if string(raw) == "null" {
				out.Contexte = nil
				return true
			}
			if !json.Valid(raw) {
				return false
			}
			out.Contexte = append(json.RawMessage(nil), raw...)
		case "suggestion":
			r, err := transform.DecodeRow(raw)
			if err != nil {
				return false
			}
			out.Suggestion = r
		case "fields":
			out.Fields = nil
			if err := json.Unmarshal(raw, &out.Fields); err != nil {
				return false
			}
		default:
			return false
		}
		return true
	})
	if !ok {
		*c = Change{}
		return json.Unmarshal(line, c)
	}
	*c = out
	return nil
}

// ChangeHead is what Write's first pass reads of a change: its action and
// acteur (to size the cohorts and file the logs), not its rows.
type ChangeHead struct {
	Action            Action `json:"action"`
	IdentifiantUnique string `json:"identifiant_unique"`
}

// decodeLine reads the head of a change's JSON line, skipping the rest.
func (h *ChangeHead) decodeLine(line []byte) error {
	var out ChangeHead
	ok := transform.ObjectSpans(line, func(key string, raw []byte) bool {
		if key != "action" && key != "identifiant_unique" {
			// encoding/json matches keys case-insensitively: let it.
			return !strings.EqualFold(key, "action") && !strings.EqualFold(key, "identifiant_unique")
		}
		v, err := transform.DecodeValue(raw)
		if err != nil || !v.IsString() {
			return false
		}
		if key == "action" {
			out.Action = Action(v.Str())
		} else {
			out.IdentifiantUnique = v.Str()
		}
		return true
	})
	if !ok {
		*h = ChangeHead{}
		return json.Unmarshal(line, h)
	}
	*h = out
	return nil
}
