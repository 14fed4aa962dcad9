package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TaskSucceedPendingMany records the successes of ps (RunPK, TaskID,
// TryNumber, Now, Result) in one transaction and one round trip, each as
// pending (see the query), and returns which were recorded: false for an
// attempt no longer running under that try. asyncCommit: see
// TaskLockForFinish. A deadlock with another batch is retried.
func (s *Store) TaskSucceedPendingMany(ctx context.Context, ps []TaskFinishParams, asyncCommit bool) ([]bool, error) {
	n := len(ps)
	runs, tries := make([]int64, n), make([]int32, n)
	tasks, results := make([]string, n), make([]*string, n)
	ends := make([]time.Time, n)
	for i, p := range ps {
		runs[i], tasks[i], tries[i], ends[i] = p.RunPK, p.TaskID, int32(p.TryNumber), p.Now
		if len(p.Result) > 0 {
			r := string(p.Result)
			results[i] = &r
		}
	}
	var recorded []bool
	var err error
	for try := 0; ; try++ {
		recorded, err = s.succeedMany(ctx, asyncCommit, runs, tasks, tries, ends, results)
		if err == nil || !IsRetryable(err) || try >= 5 {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("error recording %d successes: %w", n, err)
	}
	return recorded, nil
}

func (s *Store) succeedMany(ctx context.Context, asyncCommit bool, args ...any) ([]bool, error) {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	// Release destroys a connection left in a transaction.
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue("begin")
	if asyncCommit {
		b.Queue("SET LOCAL synchronous_commit = off")
	}
	b.Queue(q("TaskSucceedPendingMany"), args...)
	b.Queue("commit")
	br := conn.SendBatch(ctx, b)
	recorded := make([]bool, len(args[0].([]int64)))
	err = func() error {
		defer br.Close()
		for i := 0; i < 1+btoi(asyncCommit); i++ {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			var idx int64
			if err := rows.Scan(&idx); err != nil {
				return err
			}
			recorded[idx-1] = true
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("error committing: %w", err)
		}
		return br.Close()
	}()
	if err != nil {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "rollback")
		return nil, err
	}
	return recorded, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
