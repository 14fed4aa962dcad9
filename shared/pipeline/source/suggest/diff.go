package suggest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// Diff is keep_acteur_changed + db_data_prepare, streamed: the valid rows
// are read once and compared with the source's acteurs as stored (one map,
// loaded when the first row tells which columns the DAG produces).
//
//   - a row whose acteur does not exist is a creation;
//   - a row whose acteur exists and differs on a compared field is an
//     update, with the acteur as stored as contexte; an unchanged row is
//     dropped;
//   - an ACTIF acteur of the sources that no row stands for is a deletion
//     (statut SUPPRIME); INACTIF and SUPPRIME acteurs are left alone;
//   - a row of an acteur anonymised for RGPD (nom "ANONYMISE POUR RAISON
//     RGPD") is ignored, and so is its acteur;
//   - a created or updated row without proposition service gets statut
//     INACTIF (db_data_prepare).

// DiffOptions tune Diff. The zero value is valid.
type DiffOptions struct {
	// KeepIDs are the identifiant_unique of rows dropped by validation
	// (ValidateStats.DroppedIDs) or by a lenient normalisation
	// (transform.RowResult.KeepIDs). Their acteurs are neither updated nor
	// deleted: LVAO would have failed the whole run instead of dropping
	// them, so their absence says nothing about the acteur.
	KeepIDs []string
	// Logger receives a summary; nil means slog.Default().
	Logger *slog.Logger
}

// DiffStats is what Diff found. It travels as a JSON artifact to Write,
// which puts the update statistics in the MODIF cohort's metadata.
type DiffStats struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
	// Kept counts acteurs left alone because their row was dropped by
	// validation.
	Kept int `json:"kept"`
	// AnonymizedIgnored counts rows of RGPD-anonymised acteurs
	// (METADATA_ANONYMIZED_ACTEURS_IGNORED).
	AnonymizedIgnored int `json:"anonymized_ignored"`
	// UpdatesByField counts the changed fields of the compared rows
	// (METADATA_NUMBER_OF_UPDATES_BY_FIELD).
	UpdatesByField map[string]FieldDiff `json:"updates_by_field,omitempty"`
}

// Diff compares the valid rows of a run with the acteurs of sourceCodes
// (ValidateStats.SourceCodes) in the webapp database and sends the changes
// to sink. Creations and updates are sent as the rows come, deletions at
// the end. No row at all is ErrNoValidRows (deleting every acteur of the
// source is never what an empty download means).
func Diff(ctx context.Context, pool *pgxpool.Pool, sourceCodes []string, rows iter.Seq2[transform.Row, error], sink Sink[Change], opts DiffOptions) (DiffStats, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if len(sourceCodes) == 0 {
		return DiffStats{}, errors.New("error computing changes: no source code (ValidateStats.SourceCodes)")
	}
	// One snapshot for the index and the contextes read later.
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return DiffStats{}, fmt.Errorf("error reading acteurs: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	var (
		st    DiffStats
		idx   *existingIndex
		cmp   *comparator
		seen  int
		batch []transform.Row
	)
	for row, err := range rows {
		if err != nil {
			return st, fmt.Errorf("error reading valid rows: %w", err)
		}
		if seen%1024 == 0 && ctx.Err() != nil {
			return st, ctx.Err()
		}
		seen++
		if idx == nil {
			columns := row.Columns()
			if idx, err = loadExisting(ctx, tx, sourceCodes, contexteFields(columns)); err != nil {
				return st, err
			}
			st.Kept = idx.keep(opts.KeepIDs)
			cmp = newComparator(comparedColumns(columns))
		}
		if batch = append(batch, row); len(batch) == diffBatch {
			if err := diffRows(ctx, idx, cmp, batch, sink, &st); err != nil {
				return st, err
			}
			batch = batch[:0]
		}
	}
	if idx == nil {
		return st, fmt.Errorf("error computing changes: %w", ErrNoValidRows)
	}
	if err := diffRows(ctx, idx, cmp, batch, sink, &st); err != nil {
		return st, err
	}
	var deleted []int32
	flush := func() error {
		ids := make([]string, len(deleted))
		for j, i := range deleted {
			ids[j] = idx.ids[i]
		}
		stored, err := idx.contextes(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			st.Deleted++
			err := sink.Put(Change{
				Action:            ActionDelete,
				IdentifiantUnique: id,
				Contexte:          stored[id],
				Suggestion: transform.NewRow(
					transform.Field{Name: "identifiant_unique", Value: transform.String(id)},
					transform.Field{Name: "statut", Value: transform.String(StatutSupprime)},
				),
			})
			if err != nil {
				return fmt.Errorf("error writing change: %w", err)
			}
		}
		deleted = deleted[:0]
		return nil
	}
	for i := range idx.acteurs {
		a := &idx.acteurs[i]
		if a.state != statePending || a.statut != StatutActif {
			continue
		}
		if deleted = append(deleted, int32(i)); len(deleted) == diffBatch {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	if err := flush(); err != nil {
		return st, err
	}
	st.UpdatesByField = cmp.stats()
	logger.Info("acteur changes computed", "sources", sourceCodes, "existing", len(idx.ids),
		"created", st.Created, "updated", st.Updated, "deleted", st.Deleted, "unchanged", st.Unchanged,
		"kept", st.Kept, "anonymized_ignored", st.AnonymizedIgnored)
	return st, nil
}

// diffBatch is the number of rows (or deleted acteurs) whose stored
// acteurs are read in one query.
const diffBatch = 1000

// diffRows classifies a batch of rows, in order: each is matched with its
// acteur first, then the contextes of the matched acteurs are read in one
// query, then the changes go to sink in the rows' order.
func diffRows(ctx context.Context, idx *existingIndex, cmp *comparator, rows []transform.Row, sink Sink[Change], st *DiffStats) error {
	type matched struct {
		row     transform.Row
		id      string
		compare bool // an existing acteur (else a creation)
	}
	plan := make([]matched, 0, len(rows))
	var ids []string
	for _, row := range rows {
		rowID := cellText(row.Get("identifiant_unique"))
		identifiant, err := transform.ComputeIdentifiantUnique(row.Get("identifiant_externe"), row.Get("source_code"))
		if err != nil {
			identifiant = rowID
		}
		id, i, exists := idx.resolve(rowID, identifiant)
		if id != rowID {
			row = row.Clone()
			row.Set("identifiant_unique", transform.String(id))
		}
		if !exists {
			plan = append(plan, matched{row: row, id: id})
			continue
		}
		a := &idx.acteurs[i]
		switch a.state {
		case stateKept:
			continue
		case statePending:
		default:
			return fmt.Errorf("error computing changes: two rows stand for acteur %s", id)
		}
		a.state = stateMatched
		if a.anonymized {
			a.state = stateAnonymous
			st.AnonymizedIgnored++
			continue
		}
		plan = append(plan, matched{row: row, id: id, compare: true})
		ids = append(ids, id)
	}
	stored, err := idx.contextes(ctx, ids)
	if err != nil {
		return err
	}
	for _, m := range plan {
		if !m.compare {
			st.Created++
			if err := putChange(sink, Change{Action: ActionCreate, IdentifiantUnique: m.id, Suggestion: inactivateWithoutService(m.row)}); err != nil {
				return err
			}
			continue
		}
		contexte := stored[m.id]
		acteur, err := transform.DecodeRow(contexte)
		if err != nil {
			return fmt.Errorf("error decoding stored acteur %s: %w", m.id, err)
		}
		changed := cmp.changedFields(m.row, acteur)
		if len(changed) == 0 {
			st.Unchanged++
			continue
		}
		st.Updated++
		if err := putChange(sink, Change{Action: ActionUpdate, IdentifiantUnique: m.id, Contexte: contexte,
			Suggestion: inactivateWithoutService(m.row), Fields: changed}); err != nil {
			return err
		}
	}
	return nil
}

func putChange(sink Sink[Change], c Change) error {
	if err := sink.Put(c); err != nil {
		return fmt.Errorf("error writing change: %w", err)
	}
	return nil
}

// inactivateWithoutService sets statut INACTIF on a row whose
// proposition_service_codes is an empty list or missing (db_data_prepare:
// "Inactivate acteur if propositions_services is empty", with
// is_empty_sequence), after the comparison as upstream.
func inactivateWithoutService(row transform.Row) transform.Row {
	ps := row.Get("proposition_service_codes")
	empty := ps.IsMissing() || (ps.Kind() == transform.KindList && len(ps.Items()) == 0)
	if !empty || row.Get("statut").Str() == StatutInactif {
		return row
	}
	row = row.Clone()
	row.Set("statut", transform.String(StatutInactif))
	return row
}

// keep marks the acteurs of rows dropped by validation; it returns how
// many exist.
func (idx *existingIndex) keep(ids []string) int {
	n := 0
	for _, id := range ids {
		// A normalised row's identifiant_unique is its recomputed
		// identifiant (clean_identifiant_unique), so it resolves the same.
		if _, i, ok := idx.resolve(id, id); ok && idx.acteurs[i].state == statePending {
			idx.acteurs[i].state = stateKept
			n++
		}
	}
	return n
}
