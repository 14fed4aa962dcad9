package apply

import (
	"context"
	"fmt"
)

// The relations of an acteur or a revision: labels and acteur_services
// (many-to-many), proposition services with their sous-catégories, and
// perimètres à domicile.

// propositionService is one {"action", "sous_categories"} of
// proposition_service_codes.
type propositionService struct {
	Action         string   `json:"action"`
	SousCategories []string `json:"sous_categories"`
}

// perimetre is one {"type", "valeur"} of perimetre_adomicile_codes.
type perimetre struct {
	Type   string `json:"type"`
	Valeur string `json:"valeur"`
}

// copyRelationsToRevision gives a new revision a copy of its acteur's
// relations (RevisionActeur.save when creating).
func (e *env) copyRelationsToRevision(ctx context.Context, id string) error {
	for _, name := range []string{"CopyLabels", "CopyServices", "CopyPerimetres"} {
		if _, err := e.tx.Exec(ctx, query(name, nil), id); err != nil {
			return err
		}
	}
	rows, err := e.tx.Query(ctx, query("CopyPropositionServices", nil), id)
	if err != nil {
		return err
	}
	type ps struct{ id, action int32 }
	var list []ps
	for rows.Next() {
		var p ps
		if err := rows.Scan(&p.id, &p.action); err != nil {
			rows.Close()
			return err
		}
		list = append(list, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rp := revisionModel.params()
	for _, p := range list {
		var newID int32
		if err := e.tx.QueryRow(ctx, query("PSCreate", rp), id, p.action).Scan(&newID); err != nil {
			return err
		}
		if _, err := e.tx.Exec(ctx, query("CopyPropositionServiceSousCats", nil), p.id, newID); err != nil {
			return err
		}
	}
	return nil
}

// setLabels is acteur.labels.clear() then add() of each code.
func (e *env) setLabels(ctx context.Context, m *model, id string, codes []string) error {
	return e.setM2M(ctx, m, id, codes, "LabelsClear", "LabelsAdd", "qfdmo_labelqualite", "LabelQualite")
}

// setServices is acteur.acteur_services.clear() then add() of each code.
func (e *env) setServices(ctx context.Context, m *model, id string, codes []string) error {
	return e.setM2M(ctx, m, id, codes, "ServicesClear", "ServicesAdd", "qfdmo_acteurservice", "ActeurService")
}

func (e *env) setM2M(ctx context.Context, m *model, id string, codes []string, clear, add, refTable, refModel string) error {
	p := m.params()
	if _, err := e.tx.Exec(ctx, query(clear, p), id); err != nil {
		return err
	}
	return e.addM2M(ctx, m, id, codes, add, refTable, refModel)
}

func (e *env) addM2M(ctx context.Context, m *model, id string, codes []string, add, refTable, refModel string) error {
	p := m.params()
	for _, code := range codes {
		ref, err := e.refID(ctx, refTable, refModel, code)
		if err != nil {
			return err
		}
		if _, err := e.tx.Exec(ctx, query(add, p), id, ref); err != nil {
			return err
		}
	}
	return nil
}

// setPropositionServices is acteur.proposition_services.all().delete()
// then one PropositionService (with its sous-catégories) per entry.
func (e *env) setPropositionServices(ctx context.Context, m *model, id string, list []propositionService) error {
	if err := e.clearPropositionServices(ctx, m, id); err != nil {
		return err
	}
	return e.createPropositionServices(ctx, m, id, list)
}

func (e *env) clearPropositionServices(ctx context.Context, m *model, id string) error {
	p := m.params()
	for _, name := range []string{"PSSousCatClear", "PSClear"} {
		if _, err := e.tx.Exec(ctx, query(name, p), id); err != nil {
			return err
		}
	}
	return nil
}

func (e *env) createPropositionServices(ctx context.Context, m *model, id string, list []propositionService) error {
	p := m.params()
	for _, ps := range list {
		action, err := e.refID(ctx, "qfdmo_action", "Action", ps.Action)
		if err != nil {
			return err
		}
		var psID int32
		if err := e.tx.QueryRow(ctx, query("PSCreate", p), id, action).Scan(&psID); err != nil {
			return err
		}
		for _, code := range ps.SousCategories {
			sc, err := e.refID(ctx, "qfdmo_souscategorieobjet", "SousCategorieObjet", code)
			if err != nil {
				return err
			}
			if _, err := e.tx.Exec(ctx, query("PSAddSousCat", p), psID, sc); err != nil {
				return err
			}
		}
	}
	return nil
}

// setPerimetres is acteur.perimetre_adomiciles.all().delete() then one
// PerimetreADomicile per entry.
func (e *env) setPerimetres(ctx context.Context, m *model, id string, list []perimetre) error {
	if _, err := e.tx.Exec(ctx, query("PerimetreClear", m.params()), id); err != nil {
		return err
	}
	return e.createPerimetres(ctx, m, id, list)
}

func (e *env) createPerimetres(ctx context.Context, m *model, id string, list []perimetre) error {
	for _, p := range list {
		if _, err := e.tx.Exec(ctx, query("PerimetreCreate", m.params()), id, p.Type, p.Valeur); err != nil {
			return err
		}
	}
	return nil
}

// parsePropositionServices reads proposition_service_codes: a list of
// {"action": code, "sous_categories": [codes]}.
func parsePropositionServices(v any) ([]propositionService, error) {
	objs, err := decodeObjects(v, "action", "sous_categories")
	if err != nil {
		return nil, err
	}
	list := make([]propositionService, 0, len(objs))
	for _, o := range objs {
		action, err := pyStr(o["action"])
		if err != nil {
			return nil, err
		}
		scs, err := stringList(o["sous_categories"])
		if err != nil {
			return nil, err
		}
		list = append(list, propositionService{Action: action, SousCategories: scs})
	}
	return list, nil
}

// parsePerimetres reads a list of {"type", <valueKey>}: perimetre_adomicile_codes
// name the value "valeur", acteur_create_as_parent's data "value".
func parsePerimetres(v any, valueKey string) ([]perimetre, error) {
	objs, err := decodeObjects(v, "type", valueKey)
	if err != nil {
		return nil, err
	}
	list := make([]perimetre, 0, len(objs))
	for _, o := range objs {
		t, err := pyStr(o["type"])
		if err != nil {
			return nil, err
		}
		val, err := pyStr(o[valueKey])
		if err != nil {
			return nil, err
		}
		list = append(list, perimetre{Type: t, Valeur: val})
	}
	return list, nil
}

// stringList is a decoded JSON list of codes.
func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("'%s' object is not iterable", pyTypeName(v))
	}
	out := make([]string, 0, len(list))
	for _, it := range list {
		s, err := pyStr(it)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// decodeObjects decodes a list of objects, requiring the keys Python
// indexes (perimetre["type"] is a KeyError when missing).
func decodeObjects(v any, keys ...string) ([]map[string]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("'%s' object is not iterable", pyTypeName(v))
	}
	out := make([]map[string]any, 0, len(list))
	for _, it := range list {
		obj, ok := it.(map[string]any)
		if !ok {
			return nil, subscriptError(it)
		}
		for _, k := range keys {
			if _, ok := obj[k]; !ok {
				return nil, keyError(k)
			}
		}
		out = append(out, obj)
	}
	return out, nil
}
