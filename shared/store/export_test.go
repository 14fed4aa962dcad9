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

// ClaimTogetherForTest claims the attempts with one batch statement (as
// claims arriving together do) and tells which were claimed.
func (s *Store) ClaimTogetherForTest(ps []*TaskClaimParams) []bool {
	reqs := make([]claimRequest, len(ps))
	for i, p := range ps {
		reqs[i] = claimRequest{ctx: context.Background(), p: p}
	}
	out := make([]bool, len(ps))
	for i, r := range s.claimBatch(reqs) {
		out[i] = r.ok
	}
	return out
}
