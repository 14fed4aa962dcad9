package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/lvao/dataplatform/shared/pyfmt"
)

// The change models of data/models/changes/*.py. Each names the acteur by
// its identifiant_unique (id) and may carry data; "validate" checks come
// first, as apply() calls validate().

// changeCreateAsParent (acteur_create_as_parent) creates a parent: a
// RevisionActeur with no source, statut ACTIF, the given data (latitude and
// longitude as the location, foreign keys by primary key), and its
// perimètres à domicile ({"type", "value"}).
func (e *env) changeCreateAsParent(ctx context.Context, p changeParams) error {
	if ok, err := e.exists(ctx, revisionModel, p.id); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("Parent to create '%s' already exists", p.id)
	}
	data := make(map[string]any, len(p.data)+1)
	for k, v := range p.data {
		data[k] = v
	}
	data["identifiant_unique"] = p.id
	fields, err := e.reconstruct(ctx, revisionModel, data)
	if err != nil {
		return err
	}
	rev := newRecord(revisionModel, p.id)
	var perimetres any
	for _, f := range fields {
		if f.name == "perimetre_adomiciles" {
			perimetres = f.value
			continue
		}
		if _, err := rev.setAttr(f.name, f.value); err != nil {
			return err
		}
	}
	rev.vals["statut"] = statutActif
	if err := e.saveRevisionAsParent(ctx, rev); err != nil {
		return err
	}
	if perimetres == nil {
		return nil
	}
	list, err := parsePerimetres(perimetres, "value")
	if err != nil {
		return err
	}
	return e.createPerimetres(ctx, revisionModel, p.id, list)
}

// changeKeepAsParent (acteur_keep_as_parent) keeps an existing parent,
// updated with the data when there is some (saved as a parent: no source).
func (e *env) changeKeepAsParent(ctx context.Context, p changeParams) error {
	rev, err := e.get(ctx, revisionModel, p.id)
	if err != nil || len(p.data) == 0 {
		return err
	}
	fields, err := e.reconstruct(ctx, revisionModel, p.data)
	if err != nil {
		return err
	}
	for _, f := range fields {
		if _, err := rev.setAttr(f.name, f.value); err != nil {
			return err
		}
	}
	return e.saveRevisionAsParent(ctx, rev)
}

// changeDeleteAsParent (acteur_delete_as_parent) expects the parent to be
// gone already (deleted when its last child left it); a parent whose
// children are all inactive is unlinked from them and deleted.
func (e *env) changeDeleteAsParent(ctx context.Context, p changeParams) error {
	rev, err := e.load(ctx, revisionModel, p.id)
	if err != nil || rev == nil {
		return err
	}
	kids, err := e.children(ctx, p.id)
	if err != nil {
		return err
	}
	stillActive := len(kids) == 0
	for _, k := range kids {
		if k.str("statut") == statutActif {
			stillActive = true
		}
	}
	if stillActive {
		return fmt.Errorf("Parent '%s' should already be deleted", p.id)
	}
	for _, k := range kids {
		k.vals["parent_id"] = nil
		if err := e.saveRevision(ctx, k); err != nil {
			return err
		}
	}
	// The last child's save already deleted the parent; Django's delete of
	// a row that is gone is a no-op.
	return e.deleteRevision(ctx, p.id)
}

// changeUpdateParentID (acteur_update_parent_id) points the acteur's
// revision (created when missing, with the acteur's type) to a parent that
// must exist by now.
func (e *env) changeUpdateParentID(ctx context.Context, p changeParams) error {
	base, err := e.get(ctx, acteurModel, p.id)
	if err != nil {
		return err
	}
	raw, ok := p.data["parent_id"]
	if !ok {
		return keyError("parent_id")
	}
	if raw == nil {
		return doesNotExist(revisionModel.name) // get(pk=None)
	}
	parentID, err := pyStr(raw)
	if err != nil {
		return err
	}
	parent, err := e.get(ctx, revisionModel, parentID)
	if err != nil {
		return err
	}
	rev, err := e.load(ctx, revisionModel, p.id)
	if err != nil {
		return err
	}
	if rev == nil {
		rev = newRecord(revisionModel, p.id)
		rev.vals["acteur_type_id"] = base.get("acteur_type_id")
	}
	rev.vals["parent_id"] = parent.id
	return e.saveRevision(ctx, rev)
}

// changeVerifyPresenceInRevision (acteur_verify_presence_in_revision)
// changes nothing; the acteur must be in the revisions.
func (e *env) changeVerifyPresenceInRevision(ctx context.Context, p changeParams) error {
	if len(p.data) > 0 {
		return errors.New("No data expected")
	}
	_, err := e.get(ctx, revisionModel, p.id)
	return err
}

// changeNothingInBase (acteur_change_nothing_in_base) changes nothing; the
// acteur must exist.
func (e *env) changeNothingInBase(ctx context.Context, p changeParams) error {
	if len(p.data) > 0 {
		return errors.New("No data expected")
	}
	_, err := e.get(ctx, acteurModel, p.id)
	return err
}

// changeUpdate (acteur_update) writes the data on the imported Acteur
// itself (setattr then save()).
func (e *env) changeUpdate(ctx context.Context, p changeParams) error {
	if len(p.data) == 0 {
		return errors.New("Aucune donnée fournie")
	}
	acteur, err := e.get(ctx, acteurModel, p.id)
	if err != nil {
		return err
	}
	if err := e.setAll(acteur, p.data); err != nil {
		return err
	}
	return e.saveActeur(ctx, acteur)
}

// changeUpdateRevision (acteur_update_revision) writes the data on the
// acteur's revision, created when missing; an id that is only a revision
// (a parent) is updated directly.
func (e *env) changeUpdateRevision(ctx context.Context, p changeParams) error {
	if len(p.data) == 0 {
		return errors.New("Aucune donnée fournie")
	}
	acteur, err := e.load(ctx, acteurModel, p.id)
	if err != nil {
		return err
	}
	var rev *record
	if acteur != nil {
		rev, err = e.getOrCreateRevision(ctx, acteur)
	} else {
		rev, err = e.load(ctx, revisionModel, p.id)
		if err == nil && rev == nil {
			err = fmt.Errorf("L'acteur cible %s n'existe pas", p.id)
		}
	}
	if err != nil {
		return err
	}
	if err := e.setAll(rev, p.data); err != nil {
		return err
	}
	return e.saveRevision(ctx, rev)
}

// changeRgpdAnonymize (acteur_rgpd_anonymize) overwrites the data on the
// revision (when there is one) and on the acteur, without creating a
// revision, and appends data["commentaires"] to their commentaires.
func (e *env) changeRgpdAnonymize(ctx context.Context, p changeParams) error {
	var instances []*record
	rev, err := e.load(ctx, revisionModel, p.id)
	if err != nil {
		return err
	}
	if rev != nil {
		instances = append(instances, rev)
	}
	acteur, err := e.get(ctx, acteurModel, p.id)
	if err != nil {
		return err
	}
	instances = append(instances, acteur)
	for _, r := range instances {
		rest := make(map[string]any, len(p.data))
		for k, v := range p.data {
			if k != "commentaires" {
				rest[k] = v
			}
		}
		if err := e.setAll(r, rest); err != nil {
			return err
		}
		added, ok := p.data["commentaires"]
		if !ok {
			return keyError("commentaires")
		}
		if err := commentairesAjouter(r, added); err != nil {
			return err
		}
		if r.m.revision {
			err = e.saveRevision(ctx, r)
		} else {
			err = e.saveActeur(ctx, r)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// setAll is `for key, value in data.items(): setattr(instance, key,
// value)`: names that are not fields are ignored, as Python ignores them
// on save.
func (e *env) setAll(r *record, data map[string]any) error {
	for _, k := range sortedKeys(data) {
		known, err := r.setAttr(k, data[k])
		if err != nil {
			return err
		}
		if !known {
			e.log.Warn("ignored data key: not a field of the model", "model", r.m.name, "key", k, "id", r.id)
		}
	}
	return nil
}

// commentairesAjouter is BaseActeur.commentaires_ajouter: commentaires
// become a JSON list of {"message": …}; a non-JSON text becomes the first
// message; JSON that is not a list is refused.
func commentairesAjouter(r *record, added any) error {
	existing := r.str("commentaires")
	var list []any
	if trimSpace(existing) != "" {
		v, err := loadsOrdered(existing)
		switch {
		case err != nil:
			list = []any{pyObject{{key: "message", value: existing}}}
		default:
			l, ok := v.([]any)
			if !ok {
				return errors.New("Cas de commentaires JSON non-liste pas prévu")
			}
			list = l
		}
	}
	list = append(list, pyObject{{key: "message", value: added}})
	r.vals["commentaires"] = pyDumps(list)
	return nil
}

// reconstruct is data.models.changes.utils.data_reconstruct: latitude and
// longitude become the location; every other key must be a field of the
// model; a foreign key (by name or by <name>_id) is fetched by primary key
// and assigned through its column.
func (e *env) reconstruct(ctx context.Context, m *model, data map[string]any) ([]field, error) {
	var out []field
	lat, hasLat := data["latitude"]
	lon, hasLon := data["longitude"]
	if hasLat && hasLon {
		loc, err := jsonPoint(lon, lat)
		if err != nil {
			return nil, err
		}
		out = append(out, field{"location", loc})
	}
	for _, k := range sortedKeys(data) {
		if hasLat && hasLon && (k == "latitude" || k == "longitude") {
			continue
		}
		v := data[k]
		c, ok := m.byName[k]
		if !ok {
			switch {
			case k == "identifiant_unique" || k == "cree_le" || k == "modifie_le":
			case relationNames[k] != "":
			default:
				return nil, fmt.Errorf("%s has no field named %s", m.name, pyfmt.Repr(k))
			}
			out = append(out, field{k, v})
			continue
		}
		if v == nil {
			if c.kind != colLocation {
				out = append(out, field{c.name, nil})
			}
			continue
		}
		switch c.kind {
		case colFK:
			id, err := toID(v)
			if err != nil {
				return nil, err
			}
			if _, ok, err := e.refCode(ctx, c.ref, id.(int32)); err != nil {
				return nil, err
			} else if !ok {
				return nil, doesNotExist(c.refModel)
			}
			out = append(out, field{c.name, id})
		case colParent:
			id, err := pyStr(v)
			if err != nil {
				return nil, err
			}
			if ok, err := e.exists(ctx, revisionModel, id); err != nil {
				return nil, err
			} else if !ok {
				return nil, doesNotExist("RevisionActeurParent")
			}
			out = append(out, field{c.name, id})
		default:
			out = append(out, field{k, v})
		}
	}
	return out, nil
}
