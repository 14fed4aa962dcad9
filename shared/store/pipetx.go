package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The completion path's transactions save two round trips each: BEGIN
// travels with the transaction's first batch, and the check that must
// follow the release of the run's lock (are completions still pending?)
// travels with COMMIT. On a machine where each round trip costs both
// processes syscalls and context switches, that is a good share of a
// completion's cost.

// pipeTx is a transaction on a pool connection whose BEGIN is sent with
// its first statement or batch. It implements the methods of pgx.Tx that
// Tx uses; the others are not available (the embedded nil interface).
type pipeTx struct {
	pgx.Tx
	conn  *pgxpool.Conn
	begun bool
	// committed: fn committed itself (TaskFinishPendingCommit) and again
	// is its follow-up check.
	committed, again bool
}

// firstBatch sends BEGIN and the transaction's first statement in one
// round trip; BEGIN's result is consumed here.
func (t *pipeTx) firstBatch(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	t.begun = true
	b := &pgx.Batch{}
	b.Queue("begin")
	b.Queue(sql, args...)
	br := t.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, err
	}
	return br, nil
}

func (t *pipeTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.begun {
		return t.conn.Exec(ctx, sql, args...)
	}
	br, err := t.firstBatch(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.begun {
		return t.conn.Query(ctx, sql, args...)
	}
	br, err := t.firstBatch(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.begun {
		return t.conn.QueryRow(ctx, sql, args...)
	}
	rows, err := t.Query(ctx, sql, args...)
	if err != nil {
		return errRow{err}
	}
	return firstRow{rows}
}

// batchRows are the rows of a batch's last statement: closing them (or
// reading past the last row) closes the batch, freeing the connection.
type batchRows struct {
	pgx.Rows
	br       pgx.BatchResults
	closed   bool
	closeErr error
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if !r.closed {
		r.closed = true
		r.closeErr = r.br.Close()
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.closeErr
}

// firstRow scans the first row as pgx.Conn.QueryRow does.
type firstRow struct{ rows pgx.Rows }

func (r firstRow) Scan(dest ...any) error {
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// SendBatch sends BEGIN first in the same batch when the transaction has
// not begun, and consumes its result.
func (t *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if t.begun {
		return t.conn.SendBatch(ctx, b)
	}
	t.begun = true
	nb := &pgx.Batch{QueuedQueries: append([]*pgx.QueuedQuery{{SQL: "begin"}}, b.QueuedQueries...)}
	br := t.conn.SendBatch(ctx, nb)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return errBatch{err}
	}
	return br
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow{b.err} }
func (b errBatch) Close() error                     { return b.err }

// inPipeTx runs fn in a transaction on a pool connection (pipeTx: BEGIN
// travels with its first statement), rolled back when fn fails, and then
// finish, which ends it on the same connection.
func (s *Store) inPipeTx(ctx context.Context, fn func(*Tx) error, finish func(*pgxpool.Conn, *pipeTx) error) error {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("error beginning transaction: %w", err)
	}
	// Release destroys a connection left in a transaction or busy.
	defer conn.Release()
	t := &pipeTx{conn: conn}
	if err := fn(&Tx{tx: t}); err != nil {
		if t.begun {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "rollback")
		}
		return err
	}
	return finish(conn, t)
}

// commitCheck commits t and, in the same round trip, runs the check
// query (a fresh snapshot taken after the commit released the
// transaction's locks), whose results read reads.
func commitCheck(ctx context.Context, conn *pgxpool.Conn, t *pipeTx, read func(pgx.BatchResults) error, sql string, args ...any) error {
	b := &pgx.Batch{}
	if t.begun {
		b.Queue("commit")
	}
	b.Queue(sql, args...)
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	if t.begun {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("error committing transaction: %w", err)
		}
	}
	if err := read(br); err != nil {
		return err
	}
	return br.Close()
}

// InTxCheckPending runs fn in a transaction like InTx, then commits and,
// in the same round trip, reports whether the run has pending completions
// (see commitCheck). pending is false when fn fails. When fn commits
// itself (TaskFinishPendingCommit), pending is what that reported.
func (s *Store) InTxCheckPending(ctx context.Context, runPK int64, fn func(*Tx) error) (pending bool, err error) {
	err = s.inPipeTx(ctx, fn, func(conn *pgxpool.Conn, t *pipeTx) error {
		if t.committed {
			pending = t.again
			return nil
		}
		return commitCheck(ctx, conn, t, func(br pgx.BatchResults) error { return br.QueryRow().Scan(&pending) },
			q("TaskInstanceExistsPending"), runPK)
	})
	if err != nil {
		return false, err
	}
	return pending, nil
}

// InTxCheckPendingRuns is InTxCheckPending for several runs: it returns
// those of check()'s runs (called after fn) that have pending completions.
func (s *Store) InTxCheckPendingRuns(ctx context.Context, fn func(*Tx) error, check func() []int64) (pending []int64, err error) {
	err = s.inPipeTx(ctx, fn, func(conn *pgxpool.Conn, t *pipeTx) error {
		return commitCheck(ctx, conn, t, func(br pgx.BatchResults) error {
			rows, err := br.Query()
			if err != nil {
				return err
			}
			pending, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		}, q("RunsWithPending"), check())
	})
	if err != nil {
		return nil, err
	}
	return pending, nil
}

// TaskFinishPendingCommit records, as pending, the outcome of an attempt
// whose run's lock another transaction holds, commits and, in the same
// round trip, probes the run's lock: free (then InTxCheckPending reports
// pending) means it was free after the commit and the caller must
// propagate; held means its holder will see this outcome when it checks
// after releasing the lock. Only in InTxCheckPending's fn, as its last
// statement.
func (t *Tx) TaskFinishPendingCommit(ctx context.Context, p *TaskFinishParams) error {
	pt, ok := t.tx.(*pipeTx)
	if !ok || !pt.begun {
		return fmt.Errorf("TaskFinishPendingCommit needs a begun InTxCheckPending transaction")
	}
	b := &pgx.Batch{}
	n := queueFinish(b, p)
	b.Queue("commit")
	b.Queue(q("RunProbeLock"), p.RunPK)
	br := pt.conn.SendBatch(ctx, b)
	defer br.Close()
	for i := 0; i < n+1; i++ {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	var free int
	if err := br.QueryRow().Scan(&free); err != nil {
		return err
	}
	pt.committed, pt.again = true, free > 0
	return br.Close()
}
