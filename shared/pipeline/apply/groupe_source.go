package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lvao/dataplatform/shared/pyfmt"
)

// A source group (SOURCE_AJOUT, SOURCE_MODIFICATION, SOURCE_SUPRESSION) as
// LVAO applies it (data/models/suggestions/source.py,
// SuggestionGroupeTypeSource.apply, with SuggestionGroupeType._apply_one
// and _set_acteur_linked_objects): the units of each model are merged into
// one SuggestionSourceModel; the Acteur's values are applied (creating it
// for an AJOUT), then the RevisionActeur's, then the parent's.

// sourceModelFields are SuggestionSourceModel's fields in declaration
// order: the order its values are applied in.
var sourceModelFields = []string{
	"identifiant_unique", "source_code", "identifiant_externe", "nom", "nom_commercial",
	"nom_officiel", "siret", "siren", "naf_principal", "description", "acteur_type_code", "url",
	"email", "telephone", "adresse", "adresse_complement", "code_postal", "ville", "latitude",
	"longitude", "horaires_osm", "horaires_description", "public_accueilli", "reprise",
	"exclusivite_de_reprisereparation", "uniquement_sur_rdv", "consignes_dacces", "statut",
	"commentaires", "label_codes", "acteur_service_codes", "proposition_service_codes",
	"lieu_prestation", "perimetre_adomicile_codes",
}

// isSourceFieldGroup tells one of SuggestionSourceModel.get_ordered_fields():
// a single field, or (latitude, longitude).
func isSourceFieldGroup(champs []string) bool {
	if len(champs) == 2 {
		return champs[0] == "latitude" && champs[1] == "longitude"
	}
	if len(champs) != 1 || champs[0] == "latitude" || champs[0] == "longitude" {
		return false
	}
	for _, f := range sourceModelFields {
		if f == champs[0] {
			return true
		}
	}
	return false
}

// field is one field and its value, in application order.
type field struct {
	name  string
	value any
}

// sourceData is _suggestion_unitaires_to_suggestion_source_model(units,
// modele).model_dump(exclude_none=True): the model's units by field group
// (a later unit of the same group wins), flattened field by value, None
// values dropped, in SuggestionSourceModel order.
func sourceData(units []unit, modele string) []field {
	var groups [][]string
	byGroup := map[string][]any{}
	for _, u := range units {
		if u.modele != modele {
			continue
		}
		key := strings.Join(u.champs, "\x00")
		if _, ok := byGroup[key]; !ok {
			groups = append(groups, u.champs)
		}
		vals := make([]any, len(u.valeurs))
		for i, v := range u.valeurs {
			vals[i] = unitValue(v)
		}
		byGroup[key] = vals
	}
	// zip(flatten(keys), flatten(values)): a unit with fewer values than
	// fields shifts the following ones, as in LVAO.
	var keys []string
	var vals []any
	for _, g := range groups {
		keys = append(keys, g...)
		vals = append(vals, byGroup[strings.Join(g, "\x00")]...)
	}
	flat := map[string]any{}
	for i := 0; i < len(keys) && i < len(vals); i++ {
		flat[keys[i]] = vals[i]
	}
	var out []field
	for _, f := range sourceModelFields {
		if v, ok := flat[f]; ok && v != nil {
			out = append(out, field{f, v})
		}
	}
	return out
}

// applySourceGroupe is SuggestionGroupeTypeSource.from_suggestion_groupe
// followed by .apply().
func (e *env) applySourceGroupe(ctx context.Context, g *groupe) error {
	for _, u := range g.units {
		if !isSourceFieldGroup(u.champs) {
			return fmt.Errorf("fields in fields_groups are not in ORDERED_FIELDS: %v", u.champs)
		}
	}
	identifiant := ""
	var revision, parent *record
	var parentData []field
	if g.typeAction == typeSourceAjout {
		identifiant = identifiantFromUnits(g.units, modeleActeur)
	} else {
		acteur, err := e.load(ctx, acteurModel, textOrEmpty(g.acteurID))
		if err != nil {
			return err
		}
		if acteur == nil {
			return fmt.Errorf("acteur is required for non-SOURCE_AJOUT suggestions")
		}
		identifiant = acteur.id
		if revision, err = e.load(ctx, revisionModel, textOrEmpty(g.revisionID)); err != nil {
			return err
		}
		if parent, err = e.load(ctx, revisionModel, textOrEmpty(g.parentID)); err != nil {
			return err
		}
		parentData = sourceData(g.units, modeleParent)
	}

	acteurData := sourceData(g.units, modeleActeur)
	if len(acteurData) == 0 {
		return fmt.Errorf("No acteur suggestion unitaires found")
	}
	acteur, err := e.applyOne(ctx, acteurModel, identifiant, acteurData)
	if err != nil {
		return err
	}
	if err := e.setLinkedFromText(ctx, acteur, acteurData); err != nil {
		return err
	}

	if revisionData := sourceData(g.units, modeleRevisionActeur); len(revisionData) > 0 {
		id := identifiant
		if revision != nil {
			id = revision.id
		}
		rev, err := e.applyOne(ctx, revisionModel, id, revisionData)
		if err != nil {
			return err
		}
		if err := e.setLinkedFromText(ctx, rev, revisionData); err != nil {
			return err
		}
	}

	if len(parentData) > 0 && parent != nil {
		p, err := e.applyOne(ctx, revisionModel, parent.id, parentData)
		if err != nil {
			return err
		}
		if err := e.setLinkedFromText(ctx, p, parentData); err != nil {
			return err
		}
	}
	return nil
}

// identifiantFromUnits is get_identifiant_unique_from_suggestion_unitaires:
// the identifiant_unique value of the first unit of the model carrying it.
func identifiantFromUnits(units []unit, modele string) string {
	for _, u := range units {
		if u.modele != modele {
			continue
		}
		for i, c := range u.champs {
			if c == "identifiant_unique" && i < len(u.valeurs) {
				return textOrEmpty(u.valeurs[i])
			}
		}
	}
	return ""
}

// applyOne is SuggestionGroupeType._apply_one: get or instantiate the row,
// set the fields (latitude and longitude as the location, *_code keys as
// the foreign keys), full_clean, save.
func (e *env) applyOne(ctx context.Context, m *model, id string, data []field) (*record, error) {
	r, err := e.load(ctx, m, id)
	if err != nil {
		return nil, err
	}
	// prepare_acteur_data_with_location.
	prepared := map[string]any{}
	var order []string
	var lat, lon any
	hasLat, hasLon := false, false
	for _, f := range data {
		switch {
		case strings.HasSuffix(f.name, "_code"), strings.HasSuffix(f.name, "_codes"):
			continue
		case f.name == "latitude":
			lat, hasLat = f.value, true
			continue
		case f.name == "longitude":
			lon, hasLon = f.value, true
			continue
		}
		prepared[f.name] = f.value
		order = append(order, f.name)
	}
	switch {
	case hasLat && hasLon:
		if lat != nil && lon != nil {
			x, err := pyFloat(lon)
			if err != nil {
				return nil, err
			}
			y, err := pyFloat(lat)
			if err != nil {
				return nil, err
			}
			prepared["location"] = pointEWKT(x, y)
			order = append(order, "location")
		}
	case hasLat:
		prepared["latitude"], order = lat, append(order, "latitude")
	case hasLon:
		prepared["longitude"], order = lon, append(order, "longitude")
	}
	if _, ok := prepared["identifiant_unique"]; !ok {
		prepared["identifiant_unique"] = id
	}
	if r == nil {
		newID, err := pyStr(prepared["identifiant_unique"])
		if err != nil {
			return nil, err
		}
		r = newRecord(m, newID)
	}
	for _, k := range order {
		known, err := r.setAttr(k, prepared[k])
		if err != nil {
			return nil, err
		}
		if !known && !r.exists {
			// Model(**kwargs) refuses unknown fields.
			return nil, fmt.Errorf("%s() got unexpected keyword arguments: %s", m.name, pyfmt.Repr(k))
		}
	}
	// _set_foreign_key_from_code.
	for _, f := range data {
		name, ok := strings.CutSuffix(f.name, "_code")
		if !ok {
			continue
		}
		c, ok := m.byName[name]
		if !ok || c.kind != colFK || c.field != name {
			return nil, fmt.Errorf("fount %s_code key but Field %s is not a ForeignKey", name, name)
		}
		code, err := pyStr(f.value)
		if err != nil {
			return nil, err
		}
		ref, err := e.refID(ctx, c.ref, c.refModel, code)
		if err != nil {
			return nil, err
		}
		r.vals[c.name] = ref
	}
	if err := e.fullClean(ctx, r); err != nil {
		return nil, err
	}
	if m.revision {
		err = e.saveRevision(ctx, r)
	} else {
		err = e.saveActeur(ctx, r)
	}
	return r, err
}

// setLinkedFromText is _set_acteur_linked_objects for unit values: each
// *_codes value is JSON text (json.loads(value.replace("'", '"'))) that
// replaces the relation.
func (e *env) setLinkedFromText(ctx context.Context, r *record, data []field) error {
	for _, f := range data {
		if !strings.HasSuffix(f.name, "_codes") {
			continue
		}
		text, ok := f.value.(string)
		if !ok {
			return fmt.Errorf("'%s' object has no attribute 'replace'", pyTypeName(f.value))
		}
		v, err := pyJSONLoads(strings.ReplaceAll(text, "'", `"`))
		if err != nil {
			return err
		}
		if err := e.setRelation(ctx, r, f.name, v); err != nil {
			return err
		}
	}
	return nil
}

// setRelation replaces one relation of r from a decoded *_codes value.
func (e *env) setRelation(ctx context.Context, r *record, key string, v any) error {
	switch key {
	case "proposition_service_codes":
		list, err := parsePropositionServices(v)
		if err != nil {
			return err
		}
		return e.setPropositionServices(ctx, r.m, r.id, list)
	case "perimetre_adomicile_codes":
		list, err := parsePerimetres(v, "valeur")
		if err != nil {
			return err
		}
		return e.setPerimetres(ctx, r.m, r.id, list)
	case "label_codes", "acteur_service_codes":
		codes, err := stringList(v)
		if err != nil {
			return err
		}
		if key == "label_codes" {
			return e.setLabels(ctx, r.m, r.id, codes)
		}
		return e.setServices(ctx, r.m, r.id, codes)
	}
	// key.removesuffix("_codes") + "s" is no field of the model.
	return fmt.Errorf("%s has no field named %s", r.m.name, pyfmt.Repr(strings.TrimSuffix(key, "_codes")+"s"))
}

// pyJSONLoads is json.loads, numbers kept as json.Number.
func pyJSONLoads(text string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("Expecting value: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("Extra data")
	}
	return v, nil
}
