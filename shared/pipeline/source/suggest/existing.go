package suggest

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// The source's acteurs as stored (db_read_acteur): the one map the diff
// holds. Each acteur keeps only what the diff needs to match rows: its
// statut and three flags. Its contexte (the acteur as stored, as compact
// JSON) is read again, a batch of acteurs at a time, when a row matches it
// or it is deleted, in the same snapshot (a read-only repeatable-read
// transaction): a source of 10^6 acteurs is never held whole.

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
	// q reads the contextes, in the snapshot the index was read in.
	q           querier
	sourceCodes []string
	fields      []acteurField
}

// querier is what the index reads with (the diff's transaction).
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// acteurQuery selects fields of the acteurs of the sources ($1), with a
// further condition.
func acteurQuery(fields []acteurField, cond string) string {
	sel := make([]string, len(fields))
	for i, f := range fields {
		sel[i] = f.sql
	}
	return "SELECT " + strings.Join(sel, ",\n") + `
		FROM qfdmo_acteur a
		JOIN qfdmo_source s ON s.id = a.source_id
		LEFT JOIN qfdmo_acteurtype t ON t.id = a.acteur_type_id
		WHERE s.code = ANY($1)` + cond
}

// scanActeurs reads the rows of an acteurQuery of sourceCodes as rows of
// fields.
func scanActeurs(rows pgx.Rows, sourceCodes []string, fields []acteurField, each func(transform.Row) error) error {
	defer rows.Close()
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
	for rows.Next() {
		if err := rows.Scan(targets...); err != nil {
			return fmt.Errorf("error reading an acteur: %w", err)
		}
		var r transform.Row
		for i, f := range fields {
			v, err := fieldValue(f, texts[i], bools[i], floats[i])
			if err != nil {
				return err
			}
			r.Set(f.name, v)
		}
		if err := each(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("error reading the acteurs of %v: %w", sourceCodes, err)
	}
	return nil
}

// contextes reads the contexte of the acteurs ids.
func (idx *existingIndex) contextes(ctx context.Context, ids []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := idx.q.Query(ctx, acteurQuery(idx.fields, ` AND a.identifiant_unique = ANY($2)`), idx.sourceCodes, ids)
	if err != nil {
		return nil, fmt.Errorf("error reading the acteurs of %v: %w", idx.sourceCodes, err)
	}
	err = scanActeurs(rows, idx.sourceCodes, idx.fields, func(r transform.Row) error {
		out[r.Get("identifiant_unique").Str()] = r.AppendJSON(nil)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			return nil, fmt.Errorf("error reading acteur %s: not found again in the same snapshot", id)
		}
	}
	return out, nil
}

// loadExisting reads the acteurs of sourceCodes with the fields the rows'
// columns call for.
func loadExisting(ctx context.Context, q querier, sourceCodes []string, fields []acteurField) (*existingIndex, error) {
	rows, err := q.Query(ctx, acteurQuery(fields, ` ORDER BY a.identifiant_unique`+sortC), sourceCodes)
	if err != nil {
		return nil, fmt.Errorf("error reading the acteurs of %v: %w", sourceCodes, err)
	}
	idx := &existingIndex{byID: map[string]int32{}, byIdentifiant: map[string]int32{},
		q: q, sourceCodes: sourceCodes, fields: fields}
	err = scanActeurs(rows, sourceCodes, fields, func(r transform.Row) error {
		id := r.Get("identifiant_unique").Str()
		a := existingActeur{
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
				return fmt.Errorf("error reading acteurs: Duplicated identifiant in df_acteur_from_db: %s (%s, %s)", ident, idx.ids[j], id)
			}
			idx.byIdentifiant[ident] = i
		}
		idx.ids = append(idx.ids, id)
		idx.acteurs = append(idx.acteurs, a)
		idx.byID[id] = i
		return nil
	})
	if err != nil {
		return nil, err
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
