package apply

import (
	"context"
	"fmt"
)

// Suggestion.apply() (data/models/suggestion.py): a legacy data_suggestion
// is applied according to its cohort's type_action.

// changeTypes are the cohort types whose suggestion is a list of changes.
var changeTypes = map[string]bool{
	"CLUSTERING": true, "CRAWL_URLS": true, "ENRICH_ACTEURS_CLOSED": true, "ENRICH_ACTEURS_RGPD": true,
	"ENRICH_ACTEURS_VILLES_TYPO": true, "ENRICH_ACTEURS_VILLES_NEW": true, "ENRICH_ACTEURS_CP_TYPO": true,
	"ENRICH_REVISION_ACTEURS_CP_TYPO": true,
}

// applyLegacy applies one data_suggestion.
func (e *env) applyLegacy(ctx context.Context, typeAction string, suggestion any) error {
	if changeTypes[typeAction] {
		return e.applyChanges(ctx, suggestion)
	}
	switch typeAction {
	case typeSourceAjout, typeSourceModification, typeSourceSuppression:
	default:
		return fmt.Errorf("Suggestion cohorte statut is not implemented %s", typeAction)
	}
	s, ok := suggestion.(map[string]any)
	if !ok {
		return fmt.Errorf("'%s' object has no attribute 'get'", pyTypeName(suggestion))
	}
	switch typeAction {
	case typeSourceAjout:
		return e.legacyCreate(ctx, s)
	case typeSourceModification:
		return e.legacyUpdate(ctx, s)
	}
	// SOURCE_SUPRESSION: QuerySet.update() of both rows (no save(), so no
	// modifie_le, and nothing when the acteur is missing).
	raw, ok := s["identifiant_unique"]
	if !ok {
		return keyError("identifiant_unique")
	}
	if raw == nil {
		return nil // filter(identifiant_unique=None): IS NULL matches no row
	}
	id, err := pyStr(raw)
	if err != nil {
		return err
	}
	for _, m := range []*model{acteurModel, revisionModel} {
		if _, err := e.tx.Exec(ctx, query("StatutUpdate", tableParams(m.table)), id, statutSupprime); err != nil {
			return err
		}
	}
	return nil
}

// legacyFields is Suggestion._acteur_fields_to_update(): the suggestion's
// keys that are fields of Acteur (its columns by name, identifiant_unique,
// the timestamps, the reverse relations), except source, acteur_type and
// the many-to-many relations. Other keys (source_code, latitude,
// label_codes…) are not fields and are left out.
func legacyFields(s map[string]any) []field {
	var out []field
	for _, k := range []string{"identifiant_unique", "cree_le", "modifie_le"} {
		if v, ok := s[k]; ok {
			out = append(out, field{k, v})
		}
	}
	for _, c := range acteurModel.columns {
		if c.field == "source" || c.field == "acteur_type" {
			continue
		}
		if v, ok := s[c.field]; ok {
			out = append(out, field{c.field, v})
		}
	}
	for _, k := range []string{"perimetre_adomiciles", "suggestion_groupes", "suggestion_unitaires"} {
		if v, ok := s[k]; ok {
			out = append(out, field{k, v})
		}
	}
	return out
}

// legacyCodes are Source.objects.get(code=suggestion.get("source_code"))
// and ActeurType.objects.get(code=suggestion.get("acteur_type_code")).
func (e *env) legacyCodes(ctx context.Context, s map[string]any) (source, acteurType int32, err error) {
	code := func(key string) string {
		v, _ := pyStr(s[key]) // None matches no code
		return v
	}
	if source, err = e.refID(ctx, "qfdmo_source", "Source", code("source_code")); err != nil {
		return 0, 0, err
	}
	acteurType, err = e.refID(ctx, "qfdmo_acteurtype", "ActeurType", code("acteur_type_code"))
	return source, acteurType, err
}

// legacyCreate is Suggestion._create_acteur: Acteur.objects.create() (an
// identifiant_unique already used is an integrity error) and its relations.
func (e *env) legacyCreate(ctx context.Context, s map[string]any) error {
	fields := legacyFields(s)
	source, acteurType, err := e.legacyCodes(ctx, s)
	if err != nil {
		return err
	}
	id := ""
	if v, ok := s["identifiant_unique"]; ok && v != nil {
		if id, err = pyStr(v); err != nil {
			return err
		}
	}
	acteur := newRecord(acteurModel, id)
	for _, f := range fields {
		if f.name == "identifiant_unique" {
			continue
		}
		if _, err := acteur.setAttr(f.name, f.value); err != nil {
			return err
		}
	}
	acteur.vals["source_id"] = source
	acteur.vals["acteur_type_id"] = acteurType
	if err := e.saveActeur(ctx, acteur); err != nil {
		return err
	}
	return e.legacyCreateLinked(ctx, acteur, s)
}

// legacyUpdate is Suggestion._update_acteur: the fields, source and type
// are set and saved, then every relation is replaced by the suggestion's.
func (e *env) legacyUpdate(ctx context.Context, s map[string]any) error {
	id, _ := pyStr(s["identifiant_unique"])
	acteur, err := e.get(ctx, acteurModel, id)
	if err != nil {
		return err
	}
	for _, f := range legacyFields(s) {
		if _, err := acteur.setAttr(f.name, f.value); err != nil {
			return err
		}
	}
	source, acteurType, err := e.legacyCodes(ctx, s)
	if err != nil {
		return err
	}
	acteur.vals["source_id"] = source
	acteur.vals["acteur_type_id"] = acteurType
	if err := e.saveActeur(ctx, acteur); err != nil {
		return err
	}
	// _remove_acteur_linked_objects.
	if err := e.clearPropositionServices(ctx, acteurModel, acteur.id); err != nil {
		return err
	}
	p := acteurModel.params()
	for _, name := range []string{"PerimetreClear", "LabelsClear", "ServicesClear"} {
		if _, err := e.tx.Exec(ctx, query(name, p), acteur.id); err != nil {
			return err
		}
	}
	return e.legacyCreateLinked(ctx, acteur, s)
}

// legacyCreateLinked is Suggestion._create_acteur_linked_objects: the
// relations listed by the suggestion's *_codes keys (JSON lists) are added.
func (e *env) legacyCreateLinked(ctx context.Context, acteur *record, s map[string]any) error {
	if v, ok := s["proposition_service_codes"]; ok {
		list, err := parsePropositionServices(v)
		if err != nil {
			return err
		}
		if err := e.createPropositionServices(ctx, acteurModel, acteur.id, list); err != nil {
			return err
		}
	}
	if v, ok := s["perimetre_adomicile_codes"]; ok {
		list, err := parsePerimetres(v, "valeur")
		if err != nil {
			return err
		}
		if err := e.createPerimetres(ctx, acteurModel, acteur.id, list); err != nil {
			return err
		}
	}
	if v, ok := s["label_codes"]; ok {
		codes, err := stringList(v)
		if err != nil {
			return err
		}
		if err := e.addM2M(ctx, acteurModel, acteur.id, codes, "LabelsAdd", "qfdmo_labelqualite", "LabelQualite"); err != nil {
			return err
		}
	}
	if v, ok := s["acteur_service_codes"]; ok {
		codes, err := stringList(v)
		if err != nil {
			return err
		}
		if err := e.addM2M(ctx, acteurModel, acteur.id, codes, "ServicesAdd", "qfdmo_acteurservice", "ActeurService"); err != nil {
			return err
		}
	}
	return nil
}
