package apply

import (
	"context"
	"fmt"
)

// applyEnrichGroupe is SuggestionGroupeTypeEnrichMulti.apply (CRAWL_URLS,
// ENRICH_ACTEURS_SIRET/SIREN/LIEN_SUCCESSION): each unit updates one
// revision (created from its acteur when missing) or one parent, with its
// fields and values as they are (None included); Acteur units are only
// shown to the reviewer.
func (e *env) applyEnrichGroupe(ctx context.Context, g *groupe) error {
	for _, u := range g.units {
		data := make([]field, 0, len(u.champs))
		for i, c := range u.champs {
			var v any
			if i < len(u.valeurs) {
				v = unitValue(u.valeurs[i])
			}
			data = append(data, field{c, v})
		}
		switch u.modele {
		case modeleRevisionActeur:
			id := textOrEmpty(u.revisionID)
			if id == "" {
				id = textOrEmpty(u.acteurID)
			}
			if id == "" {
				return fmt.Errorf("No identifiant_unique found for acteur_suggestion_unitaire %s", u)
			}
			acteur, err := e.get(ctx, acteurModel, id)
			if err != nil {
				return err
			}
			if _, err := e.getOrCreateRevision(ctx, acteur); err != nil {
				return err
			}
			rev, err := e.applyOne(ctx, revisionModel, id, data)
			if err != nil {
				return err
			}
			if err := e.setLinkedFromText(ctx, rev, data); err != nil {
				return err
			}
		case modeleParent:
			id := textOrEmpty(u.parentID)
			if id == "" {
				return fmt.Errorf("No identifiant_unique found for acteur_suggestion_unitaire %s", u)
			}
			if _, err := e.get(ctx, revisionModel, id); err != nil {
				return err
			}
			p, err := e.applyOne(ctx, revisionModel, id, data)
			if err != nil {
				return err
			}
			if err := e.setLinkedFromText(ctx, p, data); err != nil {
				return err
			}
		}
	}
	return nil
}
