package suggest

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// The source's acteurs as stored (db_read_acteur): the one map the diff
// holds. Each acteur keeps only what the diff needs: its contexte (the
// acteur as stored, as compact JSON, decoded again when a row matches it),
// its statut and two flags.

// Acteur statuses (qfdmo ActeurStatus).
const (
	StatutActif    = "ACTIF"
	StatutInactif  = "INACTIF"
	StatutSupprime = "SUPPRIME"
)

// ValueAnonymized is the nom of an acteur anonymised for RGPD
// (data/models/changes/acteur_rgpd_anonymize.py VALUE_ANONYMIZED).
const ValueAnonymized = "ANONYMISE POUR RAISON RGPD"

// matchState is what the diff did with an existing acteur.
type matchState uint8

const (
	statePending   matchState = iota // not in the data (yet)
	stateMatched                     // a data row matched it
	stateKept                        // its row was dropped by validation: leave it alone
	stateAnonymous                   // anonymised and in the data: ignored
)

type existingActeur struct {
	contexte   []byte
	statut     string
	anonymized bool
	identIsID  bool // its recomputed identifiant is its identifiant_unique
	state      matchState
}

// existingIndex holds the source's acteurs ordered by identifiant_unique.
type existingIndex struct {
	ids     []string
	acteurs []existingActeur
	byID    map[string]int32
	// byIdentifiant maps the identifiants recomputed from
	// (identifiant_externe, source_code) that differ from the acteur's
	// identifiant_unique (retrieve_identifiant_unique_from_existing_acteur:
	// a source whose ids were reformatted keeps its old identifiant_unique).
	byIdentifiant map[string]int32
}

// loadExisting reads the acteurs of sourceCodes with the fields the rows'
// columns call for.
func loadExisting(ctx context.Context, pool *pgxpool.Pool, sourceCodes []string, fields []acteurField) (*existingIndex, error) {
	sel := make([]string, len(fields))
	for i, f := range fields {
		sel[i] = f.sql
	}
	q := "SELECT " + strings.Join(sel, ",\n") + `
		FROM qfdmo_acteur a
		JOIN qfdmo_source s ON s.id = a.source_id
		LEFT JOIN qfdmo_acteurtype t ON t.id = a.acteur_type_id
		WHERE s.code = ANY($1)
		ORDER BY a.identifiant_unique` + sortC
	rows, err := pool.Query(ctx, q, sourceCodes)
	if err != nil {
		return nil, fmt.Errorf("error reading the acteurs of %v: %w", sourceCodes, err)
	}
	defer rows.Close()
	idx := &existingIndex{byID: map[string]int32{}, byIdentifiant: map[string]int32{}}
	targets := make([]any, len(fields))
	texts := make([]pgtype.Text, len(fields))
	bools := make([]pgtype.Bool, len(fields))
	floats := make([]pgtype.Float8, len(fields))
	for i, f := range fields {
		switch f.kind {
		case fieldBool:
			targets[i] = &bools[i]
		case fieldFloat:
			targets[i] = &floats[i]
		default:
			targets[i] = &texts[i]
		}
	}
	var buf []byte
	for rows.Next() {
		if err := rows.Scan(targets...); err != nil {
			return nil, fmt.Errorf("error reading an acteur: %w", err)
		}
		var r transform.Row
		for i, f := range fields {
			v, err := fieldValue(f, texts[i], bools[i], floats[i])
			if err != nil {
				return nil, err
			}
			r.Set(f.name, v)
		}
		id := r.Get("identifiant_unique").Str()
		buf = r.AppendJSON(buf[:0])
		a := existingActeur{
			contexte:   append([]byte(nil), buf...),
			statut:     r.Get("statut").Str(),
			anonymized: r.Get("nom").Str() == ValueAnonymized,
		}
		i := int32(len(idx.ids))
		ident, err := transform.ComputeIdentifiantUnique(r.Get("identifiant_externe"), r.Get("source_code"))
		switch {
		case err != nil:
			// LVAO fails the task here (an acteur without identifiant_externe);
			// such an acteur can still be matched by its identifiant_unique.
		case ident == id:
			a.identIsID = true
		default:
			if j, dup := idx.byIdentifiant[ident]; dup {
				return nil, fmt.Errorf("error reading acteurs: Duplicated identifiant in df_acteur_from_db: %s (%s, %s)", ident, idx.ids[j], id)
			}
			idx.byIdentifiant[ident] = i
		}
		idx.ids = append(idx.ids, id)
		idx.acteurs = append(idx.acteurs, a)
		idx.byID[id] = i
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("error reading the acteurs of %v: %w", sourceCodes, err)
	}
	for ident, i := range idx.byIdentifiant {
		if j, ok := idx.byID[ident]; ok && idx.acteurs[j].identIsID {
			return nil, fmt.Errorf("error reading acteurs: Duplicated identifiant in df_acteur_from_db: %s (%s, %s)", ident, idx.ids[j], idx.ids[i])
		}
	}
	return idx, nil
}

// fieldValue converts a scanned column to a row value.
func fieldValue(f acteurField, t pgtype.Text, b pgtype.Bool, fl pgtype.Float8) (transform.Value, error) {
	switch f.kind {
	case fieldBool:
		if !b.Valid {
			return transform.Missing, nil
		}
		return transform.Bool(b.Bool), nil
	case fieldFloat:
		if !fl.Valid {
			return transform.Missing, nil
		}
		return transform.Float(fl.Float64), nil
	case fieldJSON:
		v, err := transform.DecodeValue([]byte(t.String))
		if err != nil {
			return transform.Missing, fmt.Errorf("error decoding %s: %w", f.name, err)
		}
		return v, nil
	}
	if !t.Valid {
		return transform.Missing, nil
	}
	return transform.String(t.String), nil
}

// resolve returns the index of the acteur a data row stands for: the row's
// identifiant_unique becomes the stored one when an acteur's recomputed
// identifiant matches the row's, then acteurs match by identifiant_unique
// (keep_acteur_changed). It returns the identifiant_unique to use.
func (idx *existingIndex) resolve(rowID, identifiant string) (string, int32, bool) {
	if i, ok := idx.byIdentifiant[identifiant]; ok {
		rowID = idx.ids[i]
	} else if i, ok := idx.byID[identifiant]; ok && idx.acteurs[i].identIsID {
		rowID = idx.ids[i]
	}
	i, ok := idx.byID[rowID]
	return rowID, i, ok
}
