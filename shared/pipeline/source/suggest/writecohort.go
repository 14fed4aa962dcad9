package suggest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// Suggestion statuses written by the source DAGs (SuggestionStatut and
// SuggestionCohorteStatut).
const statutAValider = "AVALIDER"

// dbtx is what the cohort writer needs of a pool or a transaction.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// cohortWriter writes one cohort. In a dry run it only reads (db is the
// pool) and counts.
type cohortWriter struct {
	db       dbtx
	conn     *pgx.Conn // the transaction's connection (nil in a dry run)
	dry      bool
	legacy   bool
	action   Action
	cohortID int32
	counts   CohortCounts
	// progress receives a line every progressEvery of a long write.
	progress      *slog.Logger
	progressEvery time.Duration
}

// writeCohort writes one cohort in one transaction, or skips it when an
// earlier attempt of the run wrote it.
func writeCohort(ctx context.Context, pool *pgxpool.Pool, run RunInfo, a Action, changes Source[Change], router *logRouter, meta map[string]any, opts WriteOptions) (CohortCounts, error) {
	every := opts.ProgressEvery
	if every <= 0 {
		every = 10 * time.Second
	}
	if opts.DryRun {
		w := &cohortWriter{db: pool, dry: true, legacy: opts.Legacy, action: a, progress: opts.Logger, progressEvery: every}
		return w.counts, w.write(ctx, run, changes, router, meta, opts.BatchSize)
	}
	var counts CohortCounts
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		w := &cohortWriter{db: tx, conn: tx.Conn(), legacy: opts.Legacy, action: a, progress: opts.Logger, progressEvery: every}
		err := w.write(ctx, run, changes, router, meta, opts.BatchSize)
		counts = w.counts
		return err
	})
	return counts, err
}

func (w *cohortWriter) write(ctx context.Context, run RunInfo, changes Source[Change], router *logRouter, meta map[string]any, batchSize int) error {
	ident, exec, typ := run.IdentifiantAction(w.action), run.IdentifiantExecution(), w.action.TypeAction()
	var existing int32
	err := w.db.QueryRow(ctx, `SELECT id FROM data_suggestioncohorte
		WHERE identifiant_action = $1 AND identifiant_execution = $2 AND type_action = $3
		ORDER BY id LIMIT 1`, ident, exec, typ).Scan(&existing)
	switch {
	case err == nil:
		w.counts = CohortCounts{CohortID: int(existing), Skipped: true}
		return nil
	case !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("error looking for an earlier cohort: %w", err)
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("error encoding metadata: %w", err)
	}
	if !w.dry {
		err := w.db.QueryRow(ctx, `INSERT INTO data_suggestioncohorte
			(identifiant_action, identifiant_execution, type_action, statut, metadata)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, ident, exec, typ, statutAValider, metaJSON).Scan(&w.cohortID)
		if err != nil {
			return fmt.Errorf("error inserting cohort: %w", err)
		}
		w.counts.CohortID = int(w.cohortID)
	}
	if err := w.writeLogs(ctx, router, batchSize); err != nil {
		return err
	}
	last := time.Now()
	progress := func() {
		if w.progress != nil && time.Since(last) >= w.progressEvery {
			last = time.Now()
			w.progress.InfoContext(ctx, "writing suggestions", "type_action", typ, "acteurs", w.counts.Acteurs,
				"groups", w.counts.Groups, "units", w.counts.Units, "dry_run", w.dry)
		}
	}
	if !w.dry && !w.legacy {
		return w.writeGroups(ctx, readBatches(ctx, changes, batchSize), progress)
	}
	for batch, err := range readBatches(ctx, changes, batchSize) {
		if err != nil {
			return err
		}
		if w.legacy {
			err = w.writeLegacy(ctx, batch)
		} else {
			// A dry run reads and counts.
			var p preparedBatch
			if p, err = w.prepareBatch(ctx, batch); err == nil {
				err = w.encodeBatch(p, nil, nil)
			}
		}
		if err != nil {
			return err
		}
		progress()
	}
	return nil
}

// readBatches reads and decodes the changes in a goroutine of its own,
// a batch ahead of the writer: decoding overlaps the round trips and
// COPYs of the batch before.
func readBatches(ctx context.Context, changes Source[Change], batchSize int) iter.Seq2[[]Change, error] {
	return func(yield func([]Change, error) bool) {
		type item struct {
			batch []Change
			err   error
		}
		ch := make(chan item, 1)
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		defer func() { cancel(); <-done }() // stop the reader, and wait for it
		go func() {
			defer close(done)
			defer close(ch)
			send := func(it item) bool {
				select {
				case ch <- it:
					return true
				case <-ctx.Done():
					return false
				}
			}
			batch := make([]Change, 0, batchSize)
			for c, err := range changes() {
				if err != nil {
					send(item{err: fmt.Errorf("error reading changes: %w", err)})
					return
				}
				batch = append(batch, c)
				if len(batch) == batchSize {
					if !send(item{batch: batch}) {
						return
					}
					batch = make([]Change, 0, batchSize)
				}
			}
			if len(batch) > 0 {
				send(item{batch: batch})
			}
		}()
		for it := range ch {
			if !yield(it.batch, it.err) || it.err != nil {
				return
			}
		}
	}
}

// writeLogs copies the cohort's logs, errors then warnings.
func (w *cohortWriter) writeLogs(ctx context.Context, router *logRouter, batchSize int) error {
	var rows [][]any
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		w.counts.Logs += len(rows)
		if !w.dry {
			_, err := w.db.CopyFrom(ctx, pgx.Identifier{"data_suggestionlog"}, []string{
				"suggestion_cohorte_id", "identifiant_unique", "niveau_de_log", "fonction_de_transformation",
				"origine_colonnes", "origine_valeurs", "destination_colonnes", "message",
			}, pgx.CopyFromRows(rows))
			if err != nil {
				return fmt.Errorf("error inserting logs: %w", err)
			}
		}
		rows = rows[:0]
		return nil
	}
	err := router.each(w.action, func(l transform.Log) error {
		rows = append(rows, []any{w.cohortID, varchar255(l.IdentifiantUnique), logLevel(l), l.Function,
			l.OriginColumns, l.OriginValues, l.DestinationColumns, l.Message})
		if len(rows) >= batchSize {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// varchar255 cuts s to the 255 characters of the log's identifiant_unique
// (varchar(255)); the other varchar columns hold names from the rules, not
// the data. A log names its row by identifiant_unique (LVAO leaves it
// empty), and a row without id gets one from its nom, which may be longer:
// one such log failed the insert of the whole cohort ("value too long for
// type character varying(255)").
func varchar255(s string) string {
	const limit = 255
	if len(s) <= limit {
		return s
	}
	n := 0
	for i := range s {
		if n == limit {
			return s[:i]
		}
		n++
	}
	return s
}

// acteurRefs are the rows a suggestion group points to.
type acteurRefs struct {
	acteur, revision, parent pgtype.Text
}

// lookupActeurs finds, for each id, the acteur, its revision and the
// revision's parent (insert_suggestion's Acteur/RevisionActeur lookups).
func (w *cohortWriter) lookupActeurs(ctx context.Context, ids []string) (map[string]acteurRefs, error) {
	rows, err := w.db.Query(ctx, `SELECT u.id, a.identifiant_unique, r.identifiant_unique, r.parent_id
		FROM unnest($1::text[]) AS u(id)
		LEFT JOIN qfdmo_acteur a ON a.identifiant_unique = u.id
		LEFT JOIN qfdmo_revisionacteur r ON r.identifiant_unique = u.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("error reading acteurs and revisions: %w", err)
	}
	defer rows.Close()
	out := make(map[string]acteurRefs, len(ids))
	for rows.Next() {
		var id string
		var refs acteurRefs
		if err := rows.Scan(&id, &refs.acteur, &refs.revision, &refs.parent); err != nil {
			return nil, fmt.Errorf("error reading acteurs and revisions: %w", err)
		}
		out[id] = refs
	}
	return out, rows.Err()
}

// preparedBatch is a batch with what the database tells of it: the rows
// its groups point to and, unless in a dry run, the groups' ids.
type preparedBatch struct {
	batch    []Change
	refs     map[string]acteurRefs
	groupIDs []int64
}

// prepareBatch reads a batch's acteurs and draws its groups' ids.
func (w *cohortWriter) prepareBatch(ctx context.Context, batch []Change) (preparedBatch, error) {
	p := preparedBatch{batch: batch}
	ids := make([]string, len(batch))
	for i, c := range batch {
		ids[i] = c.IdentifiantUnique
	}
	var err error
	if p.refs, err = w.lookupActeurs(ctx, ids); err != nil {
		return p, err
	}
	if w.dry {
		return p, nil
	}
	// Ids drawn from the table's sequence first, so the groups and their
	// units go in with two COPYs.
	rows, err := w.db.Query(ctx, `SELECT nextval(pg_get_serial_sequence('data_suggestiongroupe', 'id'))
		FROM generate_series(1, $1)`, len(batch))
	if err != nil {
		return p, fmt.Errorf("error drawing group ids: %w", err)
	}
	if p.groupIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return p, fmt.Errorf("error drawing group ids: %w", err)
	}
	sort.Slice(p.groupIDs, func(i, j int) bool { return p.groupIDs[i] < p.groupIDs[j] })
	return p, nil
}

// encodeBatch encodes a prepared batch's groups and units into COPY
// streams (reset first), or only counts them when groups is nil (a dry
// run). It does not touch the database.
func (w *cohortWriter) encodeBatch(p preparedBatch, groups, units *binaryCopy) error {
	batch, refs, groupIDs := p.batch, p.refs, p.groupIDs
	if groups != nil {
		groups.reset()
		units.reset()
	}
	nUnits := 0
	for i, c := range batch {
		r := refs[c.IdentifiantUnique]
		if groups != nil {
			groups.row(7)
			groups.int4(int32(groupIDs[i]))
			groups.int4(w.cohortID)
			groups.text(statutAValider)
			groups.nullableText(r.acteur)
			groups.nullableText(r.revision)
			groups.nullableText(r.parent)
			groups.jsonb(rawJSON(c.Contexte))
		}
		contexte, hasContexte, err := c.contexteRow()
		if err != nil {
			return err
		}
		for _, u := range computeUnits(w.action, c.Suggestion, contexte, hasContexte, r.revision.Valid) {
			nUnits++
			if units == nil {
				continue
			}
			acteur, revision := r.acteur, pgtype.Text{}
			if u.revision {
				acteur, revision = pgtype.Text{}, r.revision
			}
			units.row(11)
			units.int4(int32(groupIDs[i]))
			units.text(statutAValider)
			units.nullableText(acteur)
			units.nullableText(revision)
			units.null() // parent_revision_acteur_id
			units.int4(1)
			units.text("")
			units.jsonb([]byte("{}"))
			units.text(u.modele)
			units.strings(u.champs)
			units.nullableStrings(u.valeurs)
		}
	}
	w.counts.Acteurs += len(batch)
	w.counts.Groups += len(batch)
	w.counts.Units += nUnits
	return nil
}

// copyBatch sends an encoded batch: its groups, then their units.
func (w *cohortWriter) copyBatch(ctx context.Context, groups, units *binaryCopy) error {
	if err := groups.copyTo(ctx, w.conn, "data_suggestiongroupe", []string{
		"id", "suggestion_cohorte_id", "statut", "acteur_id", "revision_acteur_id",
		"parent_revision_acteur_id", "contexte",
	}); err != nil {
		return fmt.Errorf("error inserting suggestion groups: %w", err)
	}
	if err := units.copyTo(ctx, w.conn, "data_suggestionunitaire", []string{
		"suggestion_groupe_id", "statut", "acteur_id", "revision_acteur_id", "parent_revision_acteur_id",
		"ordre", "raison", "parametres", "suggestion_modele", "champs", "valeurs",
	}); err != nil {
		return fmt.Errorf("error inserting suggestion units: %w", err)
	}
	return nil
}

// writeLegacy writes one data_suggestion per acteur: the acteur as stored
// and the proposed acteur (insert_suggestion_legacy).
func (w *cohortWriter) writeLegacy(ctx context.Context, batch []Change) error {
	rows := make([][]any, len(batch))
	for i, c := range batch {
		rows[i] = []any{w.cohortID, statutAValider, rawJSON(c.Contexte), c.Suggestion.AppendJSON(nil)}
	}
	w.counts.Acteurs += len(batch)
	w.counts.Suggestions += len(batch)
	if w.dry {
		return nil
	}
	if _, err := w.db.CopyFrom(ctx, pgx.Identifier{"data_suggestion"},
		[]string{"suggestion_cohorte_id", "statut", "contexte", "suggestion"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("error inserting suggestions: %w", err)
	}
	return nil
}

// rawJSON is a JSON value to bind to a jsonb column; NULL for a missing or
// null one.
func rawJSON(m json.RawMessage) []byte {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return []byte(m)
}
