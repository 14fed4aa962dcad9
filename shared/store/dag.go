package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// DagUpsertParams registers a DAG version.
type DagUpsertParams struct {
	DagID, VersionHash, Schedule string
	Spec                         json.RawMessage
	Paused                       bool // initial state only
	Now                          time.Time
}

// DagUpsert inserts the DAG and its version, or moves an existing DAG to
// this version (its pause state is kept).
func (t *Tx) DagUpsert(ctx context.Context, p *DagUpsertParams) error {
	_, err := t.tx.Exec(ctx, q("DagUpsert"), p.DagID, p.VersionHash, p.Spec, p.Paused, p.Now, p.Schedule)
	return err
}

func scanDag(row pgx.Row) (Dag, error) {
	var d Dag
	var last *time.Time
	err := row.Scan(&d.DagID, &d.VersionHash, &d.IsPaused, &d.Schedule, &last)
	d.LastIntervalEnd = ts(last)
	return d, notFound(err)
}

// DagGet returns one DAG.
func (t *Tx) DagGet(ctx context.Context, dagID string) (Dag, error) {
	return scanDag(t.tx.QueryRow(ctx, q("DagGet"), dagID))
}

// DagLock returns one DAG, locked until the transaction ends.
func (t *Tx) DagLock(ctx context.Context, dagID string) (Dag, error) {
	return scanDag(t.tx.QueryRow(ctx, q("DagLock"), dagID))
}

// DagList returns every DAG.
func (t *Tx) DagList(ctx context.Context) ([]Dag, error) {
	return t.dags(ctx, "DagList")
}

// DagLockScheduledMany locks the unpaused scheduled DAGs no one else holds.
func (t *Tx) DagLockScheduledMany(ctx context.Context) ([]Dag, error) {
	return t.dags(ctx, "DagLockScheduledMany")
}

func (t *Tx) dags(ctx context.Context, query string, args ...any) ([]Dag, error) {
	rows, err := t.tx.Query(ctx, q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Dag
	for rows.Next() {
		d, err := scanDag(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DagSetCursor records the end of the last scheduled interval (never moves back).
func (t *Tx) DagSetCursor(ctx context.Context, dagID string, lastEnd time.Time) error {
	_, err := t.tx.Exec(ctx, q("DagSetCursor"), dagID, lastEnd)
	return err
}

// DagSetPaused pauses or unpauses a DAG.
func (t *Tx) DagSetPaused(ctx context.Context, dagID string, paused bool, now time.Time) error {
	tag, err := t.tx.Exec(ctx, q("DagSetPaused"), dagID, paused, now)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return err
}

// DagVersionGet returns the spec JSON of a DAG version.
func (t *Tx) DagVersionGet(ctx context.Context, dagID, hash string) (json.RawMessage, error) {
	var spec json.RawMessage
	err := t.tx.QueryRow(ctx, q("DagVersionGet"), dagID, hash).Scan(&spec)
	return spec, notFound(err)
}

// DagIsPaused tells whether a DAG is paused (false for one never synced).
func (s *Store) DagIsPaused(ctx context.Context, dagID string) (bool, error) {
	var paused bool
	err := s.Pool.QueryRow(ctx, q("DagIsPaused"), dagID).Scan(&paused)
	return paused, err
}
