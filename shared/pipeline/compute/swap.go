package compute

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// swap puts the __new tables in place of the live ones in one transaction
// (LVAO's switch_tables: live → _old, new → live, drop _old). Readers that
// query a live table during the swap wait for the commit and then read the
// new table (PostgreSQL resolves the name again after the lock wait, and
// takes the statement's snapshot after locking): they see the old or the
// new rows, never an error or an empty table.
//
// lock_timeout bounds the wait for a long reader's lock: while the swap
// waits, the webapp's new queries queue behind it, so it gives up and
// retries rather than stall the map. A deadlock with a reader locking the
// tables in another order aborts the swap (it waited first, so PostgreSQL's
// detector picks it), which is retried too.
func (r *Runner) swap(ctx context.Context, pubs []Publication) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, r.cfg.Webapp, func(tx pgx.Tx) error { return r.swapTx(ctx, tx, pubs) })
		if err == nil {
			return nil
		}
		if !isLockContention(err) || attempt >= r.cfg.SwapAttempts {
			return fmt.Errorf("error swapping the new webapp tables in: %w", err)
		}
		r.log.Warn("swap could not take its locks in time, retrying", "attempt", attempt, "error", err.Error())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
}

func (r *Runner) swapTx(ctx context.Context, tx pgx.Tx, pubs []Publication) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", r.cfg.SwapLockTimeout.Milliseconds())); err != nil {
		return err
	}
	oldIndexes := map[string][]index{}
	for _, p := range pubs {
		live := pgx.Identifier{p.Webapp}.Sanitize()
		idx, err := indexes(ctx, tx, live)
		if err != nil {
			return err
		}
		oldIndexes[p.Webapp] = idx
		if _, err := tx.Exec(ctx, "ALTER TABLE "+live+" RENAME TO "+pgx.Identifier{p.Webapp + "__old"}.Sanitize()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "ALTER TABLE "+pgx.Identifier{p.Webapp + "__new"}.Sanitize()+" RENAME TO "+pgx.Identifier{p.Webapp}.Sanitize()); err != nil {
			return err
		}
	}
	for _, p := range pubs {
		// CASCADE drops the foreign keys other tables had to the old one
		// (as LVAO does); LIKE does not copy foreign keys.
		if _, err := tx.Exec(ctx, "DROP TABLE "+pgx.Identifier{p.Webapp + "__old"}.Sanitize()+" CASCADE"); err != nil {
			return err
		}
		if err := renameIndexes(ctx, tx, pgx.Identifier{p.Webapp}.Sanitize(), oldIndexes[p.Webapp]); err != nil {
			return err
		}
	}
	return nil
}

// index is an index name and its definition without name and table.
type index struct{ name, def string }

func indexes(ctx context.Context, tx pgx.Tx, table string) ([]index, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname,
			regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \S+ ON \S+ ', 'CREATE \1INDEX ON ')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = to_regclass($1) ORDER BY c.relname`, table)
	if err != nil {
		return nil, fmt.Errorf("error listing the indexes of %s: %w", table, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var i index
		err := r.Scan(&i.name, &i.def)
		return i, err
	})
}

// renameIndexes gives the new table's indexes the names the old table's
// had (LIKE names them after the __new table): Django migrations and
// admins address indexes by name, which must survive the daily swap.
func renameIndexes(ctx context.Context, tx pgx.Tx, table string, old []index) error {
	cur, err := indexes(ctx, tx, table)
	if err != nil {
		return err
	}
	used := make([]bool, len(old))
	for _, c := range cur {
		for i, o := range old {
			if used[i] || o.def != c.def {
				continue
			}
			used[i] = true
			if o.name != c.name {
				if _, err := tx.Exec(ctx, "ALTER INDEX "+pgx.Identifier{c.name}.Sanitize()+" RENAME TO "+pgx.Identifier{o.name}.Sanitize()); err != nil {
					return fmt.Errorf("error renaming index %s to %s: %w", c.name, o.name, err)
				}
			}
			break
		}
	}
	return nil
}

// isLockContention tells a lock_timeout or deadlock abort, worth a retry.
func isLockContention(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "55P03" || pgErr.Code == "40P01")
}
