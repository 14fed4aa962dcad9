package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// ExecForTest runs a statement in the transaction.
func (t *Tx) ExecForTest(ctx context.Context, sql string) error {
	b := &pgx.Batch{}
	b.Queue(sql)
	return t.tx.SendBatch(ctx, b).Close()
}
