package apply

import (
	"context"
	"fmt"
)

// The save() methods of LVAO's acteur models (qfdmo/models/acteur.py):
// what happens around the INSERT/UPDATE is part of what a suggestion does.

// saveActeur is Acteur.save(): the defaults (identifiant_externe drawn at
// random, source "communautelvao", identifiant_unique computed), then
// clean_location; no full_clean.
func (e *env) saveActeur(ctx context.Context, r *record) error {
	if r.str("identifiant_externe") == "" {
		r.vals["identifiant_externe"] = e.randomExternalID()
	}
	if r.get("source_id") == nil {
		id, err := e.defaultSource(ctx)
		if err != nil {
			return err
		}
		r.vals["source_id"] = id
	}
	if r.id == "" {
		// generate_identifiant_unique_if_missing.
		code, _, err := e.refCode(ctx, "qfdmo_source", r.get("source_id").(int32))
		if err != nil {
			return err
		}
		id, err := computeIdentifiantUnique(code, r.str("identifiant_externe"))
		if err != nil {
			return err
		}
		r.id = id
	}
	if err := e.cleanLocation(ctx, r); err != nil {
		return err
	}
	return e.write(ctx, r)
}

// cleanLocation is Acteur.clean_location: a location is mandatory unless
// the acteur is digital.
func (e *env) cleanLocation(ctx context.Context, r *record) error {
	if r.get("location") != nil {
		return nil
	}
	var code string
	if t, ok := r.get("acteur_type_id").(int32); ok {
		c, _, err := e.refCode(ctx, "qfdmo_acteurtype", t)
		if err != nil {
			return err
		}
		code = c
	} else {
		// self.acteur_type.code on a missing type: RelatedObjectDoesNotExist.
		return fmt.Errorf("Acteur has no acteur_type.")
	}
	if code != digitalActeurType {
		return singleValidationError("location", "Location is mandatory when the actor is not digital")
	}
	return nil
}

// computeIdentifiantUnique is qfdmo.models.utils.compute_identifiant_unique
// for the codes the reference tables hold ([0-9a-z_], so unidecode and
// lower() change nothing).
func computeIdentifiantUnique(sourceCode, externe string) (string, error) {
	if externe == "" {
		return "", fmt.Errorf("Identifiant externe is required to generate identifiant_unique")
	}
	if sourceCode == "" {
		return "", fmt.Errorf("Source code is required to generate identifiant_unique")
	}
	stub := []rune{}
	for _, r := range trimSpace(externe) {
		switch r {
		case '/':
			stub = append(stub, '-')
		case ' ':
		default:
			stub = append(stub, r)
		}
	}
	return replaceSpaces(trimSpace(sourceCode)) + "_" + string(stub), nil
}

// saveRevision is RevisionActeur.save(): a revision that is not a parent
// needs its Acteur (created from the revision's fields when missing); a
// new revision takes the acteur's lieu_prestation and a copy of its
// labels, services, proposition services and perimètres; leaving a parent
// that has no child left deletes that parent.
func (e *env) saveRevision(ctx context.Context, r *record) error {
	if r.str("statut") == "" {
		r.vals["statut"] = statutActif
	}
	isParent := false
	if r.exists {
		var err error
		if isParent, err = e.hasChildren(ctx, r.id); err != nil {
			return err
		}
	}
	var acteur *record
	if !isParent {
		var err error
		if acteur, err = e.acteurForRevision(ctx, r); err != nil {
			return err
		}
	}
	if err := e.fullClean(ctx, r); err != nil {
		return err
	}
	creating := !r.exists
	if creating && acteur != nil {
		// "We keep acteur's lieu_prestation because it goes with
		// perimetre_adomicile".
		r.vals["lieu_prestation"] = acteur.get("lieu_prestation")
	}
	if err := e.write(ctx, r); err != nil {
		return err
	}
	if creating && acteur != nil {
		if err := e.copyRelationsToRevision(ctx, r.id); err != nil {
			return err
		}
	}
	if orig, ok := r.origParent.(string); ok && orig != "" && r.get("parent_id") != r.origParent {
		stillParent, err := e.hasChildren(ctx, orig)
		if err != nil {
			return err
		}
		if !stillParent {
			if err := e.deleteRevision(ctx, orig); err != nil {
				return err
			}
		}
	}
	return nil
}

// acteurForRevision is set_default_fields_and_objects_before_save:
// Acteur.objects.get_or_create(identifiant_unique, defaults=<the
// revision's fields, "__empty__" as "", type "commerce" when none>).
func (e *env) acteurForRevision(ctx context.Context, r *record) (*record, error) {
	acteur, err := e.load(ctx, acteurModel, r.id)
	if err != nil || acteur != nil {
		return acteur, err
	}
	acteur = newRecord(acteurModel, r.id)
	for _, c := range acteurModel.columns {
		v, ok := r.vals[c.name]
		if !ok {
			continue
		}
		if v == emptyActeurField {
			v = ""
		}
		acteur.vals[c.name] = v
	}
	if acteur.get("acteur_type_id") == nil {
		id, err := e.refID(ctx, "qfdmo_acteurtype", "ActeurType", defaultActeurType)
		if err != nil {
			return nil, err
		}
		acteur.vals["acteur_type_id"] = id
	}
	if err := e.saveActeur(ctx, acteur); err != nil {
		return nil, err
	}
	// The fields the Acteur may have generated come back to the revision.
	r.vals["identifiant_externe"] = acteur.get("identifiant_externe")
	r.vals["source_id"] = acteur.get("source_id")
	return acteur, nil
}

// saveRevisionAsParent is RevisionActeur.save_as_parent(): no source, a
// statut, full_clean, and a plain save (no Acteur, no relation copied).
func (e *env) saveRevisionAsParent(ctx context.Context, r *record) error {
	r.vals["source_id"] = nil
	if r.str("statut") == "" {
		r.vals["statut"] = statutActif
	}
	if err := e.fullClean(ctx, r); err != nil {
		return err
	}
	return e.write(ctx, r)
}

// getOrCreateRevision is Acteur.get_or_create_revision(): the acteur's
// revision, created (with the acteur's statut only) when missing.
func (e *env) getOrCreateRevision(ctx context.Context, acteur *record) (*record, error) {
	rev, err := e.load(ctx, revisionModel, acteur.id)
	if err != nil || rev != nil {
		return rev, err
	}
	rev = newRecord(revisionModel, acteur.id)
	rev.vals["statut"] = acteur.get("statut")
	if err := e.saveRevision(ctx, rev); err != nil {
		return nil, err
	}
	return rev, nil
}

// hasChildren is RevisionActeur.is_parent: some revision points to it.
func (e *env) hasChildren(ctx context.Context, id string) (bool, error) {
	var has bool
	err := e.tx.QueryRow(ctx, query("RevisionHasChildren", nil), id).Scan(&has)
	return has, err
}

// children are the revisions whose parent is id (duplicats).
func (e *env) children(ctx context.Context, id string) ([]*record, error) {
	rows, err := e.tx.Query(ctx, query("RevisionChildren", nil), id)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*record, 0, len(ids))
	for _, c := range ids {
		r, err := e.get(ctx, revisionModel, c)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// deleteRevision is RevisionActeur.delete() with Django's cascade: its
// children lose their parent (SET_NULL), its labels, services, proposition
// services (with their sous-catégories) and perimètres go with it.
func (e *env) deleteRevision(ctx context.Context, id string) error {
	p := revisionModel.params()
	for _, name := range []string{"RevisionUnlinkChildren", "LabelsClear", "ServicesClear", "PSSousCatClear", "PSClear",
		"PerimetreClear", "RevisionDelete"} {
		if _, err := e.tx.Exec(ctx, query(name, p), id); err != nil {
			return err
		}
	}
	return nil
}

func trimSpace(s string) string {
	start, end := 0, len(s)
	for start < end && isPySpace(s[start]) {
		start++
	}
	for end > start && isPySpace(s[end-1]) {
		end--
	}
	return s[start:end]
}

func isPySpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

func replaceSpaces(s string) string {
	out := []byte(s)
	for i := range out {
		if out[i] == ' ' {
			out[i] = '_'
		}
	}
	return string(out)
}
