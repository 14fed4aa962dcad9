package apply

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"
)

// A data_suggestiongroupe and its data_suggestionunitaire rows, and
// SuggestionGroupe.apply(): the cohort's type_action picks how the group
// is applied.

// Unit models (data_suggestionunitaire.suggestion_modele).
const (
	modeleActeur         = "Acteur"
	modeleRevisionActeur = "RevisionActeur"
	modeleParent         = "ParentRevisionActeur"
)

// Cohort types (SuggestionAction) that groups are written for.
const (
	typeSourceAjout        = "SOURCE_AJOUT"
	typeSourceModification = "SOURCE_MODIFICATION"
	typeSourceSuppression  = "SOURCE_SUPRESSION" // sic: LVAO stores one P
	typeCrawlURLs          = "CRAWL_URLS"
	typeEnrichSiret        = "ENRICH_ACTEURS_SIRET"
	typeEnrichSiren        = "ENRICH_ACTEURS_SIREN"
	typeEnrichSuccession   = "ENRICH_ACTEURS_LIEN_SUCCESSION"
)

// groupe is a suggestion group with its units.
type groupe struct {
	id                             int32
	typeAction                     string
	acteurID, revisionID, parentID pgtype.Text
	units                          []unit
}

// unit is one data_suggestionunitaire: values for a group of fields of one
// model.
type unit struct {
	id                             int32
	modele                         string
	champs                         []string
	valeurs                        []pgtype.Text // a NULL element is None
	acteurID, revisionID, parentID pgtype.Text
}

// String is Django's default str() of a model instance.
func (u unit) String() string { return fmt.Sprintf("SuggestionUnitaire object (%d)", u.id) }

// loadGroupe reads group id, its cohort's type_action and its units (in
// id order, the order Django's unordered queryset returns them in).
func (e *env) loadGroupe(ctx context.Context, id int32) (*groupe, error) {
	g := &groupe{id: id}
	err := e.tx.QueryRow(ctx, query("GroupeGet", nil), id).Scan(&g.acteurID, &g.revisionID, &g.parentID, &g.typeAction)
	if err != nil {
		if noRows(err) {
			return nil, doesNotExist("SuggestionGroupe")
		}
		return nil, err
	}
	rows, err := e.tx.Query(ctx, query("GroupeUnits", nil), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u unit
		if err := rows.Scan(&u.id, &u.modele, &u.champs, &u.valeurs, &u.acteurID, &u.revisionID, &u.parentID); err != nil {
			return nil, err
		}
		g.units = append(g.units, u)
	}
	return g, rows.Err()
}

// applyGroupe is SuggestionGroupe.apply(): source groups create, update or
// delete an acteur (and its revision and parent); "enrich multi" groups
// update revisions and parents; any other type does nothing.
func (e *env) applyGroupe(ctx context.Context, g *groupe) error {
	switch g.typeAction {
	case typeSourceAjout, typeSourceModification, typeSourceSuppression:
		return e.applySourceGroupe(ctx, g)
	case typeCrawlURLs, typeEnrichSiret, typeEnrichSiren, typeEnrichSuccession:
		return e.applyEnrichGroupe(ctx, g)
	}
	e.log.Info("nothing to apply for this type of group", "groupe_id", g.id, "type_action", g.typeAction)
	return nil
}

// unitValue is the Python value of one valeurs element (None for NULL).
func unitValue(v pgtype.Text) any {
	if !v.Valid {
		return nil
	}
	return v.String
}

// textOrEmpty is a nullable id as Python's `x or ""` sees it.
func textOrEmpty(t pgtype.Text) string {
	if !t.Valid {
		return ""
	}
	return t.String
}
