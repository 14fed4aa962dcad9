package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

func scanTI(row pgx.Row) (TaskInstance, error) {
	var ti TaskInstance
	var queued, started, ended, retry, lease *time.Time
	var errText *string
	err := row.Scan(&ti.RunPK, &ti.TaskID, &ti.DagID, &ti.RunID, &ti.Function, &ti.State, &ti.TryNumber,
		&ti.MaxTries, &queued, &started, &ended, &retry, &lease, &ti.Result, &errText,
		&ti.UpSuccess, &ti.UpFailed, &ti.UpSkipped, &ti.UpUpstreamFailed, &ti.Pending)
	ti.QueuedAt, ti.StartedAt, ti.EndedAt, ti.NextRetryAt, ti.LeaseExpiresAt = ts(queued), ts(started), ts(ended), ts(retry), ts(lease)
	if errText != nil {
		ti.Error = *errText
	}
	return ti, notFound(err)
}

// TaskInstanceListByRun returns every task instance of a run.
func (t *Tx) TaskInstanceListByRun(ctx context.Context, runPK int64) ([]TaskInstance, error) {
	return t.tis(ctx, "TaskInstanceListByRun", runPK)
}

// TaskInstanceListByIDs returns some task instances of a run.
func (t *Tx) TaskInstanceListByIDs(ctx context.Context, runPK int64, taskIDs []string) ([]TaskInstance, error) {
	return t.tis(ctx, "TaskInstanceListByIDs", runPK, taskIDs)
}

func (t *Tx) tis(ctx context.Context, query string, args ...any) ([]TaskInstance, error) {
	rows, err := t.tx.Query(ctx, q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TaskInstance
	for rows.Next() {
		ti, err := scanTI(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ti)
	}
	return out, rows.Err()
}

// TaskInstanceGet returns one task instance.
func (t *Tx) TaskInstanceGet(ctx context.Context, dagID, runID, taskID string) (TaskInstance, error) {
	return scanTI(t.tx.QueryRow(ctx, q("TaskInstanceGet"), dagID, runID, taskID))
}

// TaskInstanceQueueMany queues waiting or retrying tasks (a new try each)
// and returns the messages to publish after commit.
func (t *Tx) TaskInstanceQueueMany(ctx context.Context, run *Run, taskIDs []string, now time.Time) ([]Queued, error) {
	if len(taskIDs) == 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, q("TaskInstanceQueueMany"), run.PK, taskIDs, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Queued
	for rows.Next() {
		m := Queued{DagID: run.DagID, RunID: run.RunID}
		if err := rows.Scan(&m.TaskID, &m.Function, &m.TryNumber); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// TaskInstanceSetStateMany marks waiting tasks skipped or upstream_failed
// and returns those that were waiting (and so changed).
func (t *Tx) TaskInstanceSetStateMany(ctx context.Context, runPK int64, taskIDs []string, state string, now time.Time, pending bool) ([]string, error) {
	if len(taskIDs) == 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, q("TaskInstanceSetStateMany"), runPK, taskIDs, state, now, pending)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// UpstreamCounts is a change (or the value) of a task's upstream counts.
type UpstreamCounts struct {
	TaskID                                   string
	Success, Failed, Skipped, UpstreamFailed int
}

// TaskInstanceAddUpstreamCounts adds deltas to tasks' upstream counts.
func (t *Tx) TaskInstanceAddUpstreamCounts(ctx context.Context, runPK int64, deltas []UpstreamCounts) error {
	return t.upstreamCounts(ctx, "TaskInstanceAddUpstreamCounts", runPK, deltas)
}

// TaskInstanceSetUpstreamCounts sets tasks' upstream counts.
func (t *Tx) TaskInstanceSetUpstreamCounts(ctx context.Context, runPK int64, values []UpstreamCounts) error {
	return t.upstreamCounts(ctx, "TaskInstanceSetUpstreamCounts", runPK, values)
}

func (t *Tx) upstreamCounts(ctx context.Context, query string, runPK int64, cs []UpstreamCounts) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]string, len(cs))
	s, f, k, u := make([]int32, len(cs)), make([]int32, len(cs)), make([]int32, len(cs)), make([]int32, len(cs))
	for i, c := range cs {
		ids[i], s[i], f[i], k[i], u[i] = c.TaskID, int32(c.Success), int32(c.Failed), int32(c.Skipped), int32(c.UpstreamFailed)
	}
	_, err := t.tx.Exec(ctx, q(query), runPK, ids, s, f, k, u)
	return err
}

// TaskClaimParams names the attempt a message asks to run.
type TaskClaimParams struct {
	DagID, RunID, TaskID string
	TryNumber            int
	Now, LeaseUntil      time.Time
	RequestID, LogKey    string
}

// TaskClaim moves the attempt from queued to running with a lease and
// records it. ok is false when the message is a duplicate or stale.
func (t *Tx) TaskClaim(ctx context.Context, p *TaskClaimParams) (runPK int64, ok bool, err error) {
	err = t.tx.QueryRow(ctx, q("TaskInstanceClaim"), p.DagID, p.RunID, p.TaskID, p.TryNumber, p.Now, p.LeaseUntil).Scan(&runPK)
	if err == pgx.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	_, err = t.tx.Exec(ctx, q("TaskAttemptInsert"), runPK, p.TaskID, p.TryNumber, p.Now, p.RequestID, p.LogKey)
	return runPK, err == nil, err
}

// TaskHeartbeat extends a running attempt's lease; alive is false when the
// attempt no longer runs (marked, cleared, or failed as a zombie).
func (t *Tx) TaskHeartbeat(ctx context.Context, p *TaskClaimParams) (alive bool, err error) {
	tag, err := t.tx.Exec(ctx, q("TaskInstanceHeartbeat"), p.DagID, p.RunID, p.TaskID, p.TryNumber, p.LeaseUntil)
	return tag.RowsAffected() == 1, err
}

// TaskInstanceLockRunning locks the attempt if it is still running under
// that try; ok is false otherwise (completion is then a no-op).
func (t *Tx) TaskInstanceLockRunning(ctx context.Context, runPK int64, taskID string, try int) (ok bool, err error) {
	var pk int64
	err = t.tx.QueryRow(ctx, q("TaskInstanceLockRunning"), runPK, taskID, try).Scan(&pk)
	if err == pgx.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// TaskFinishParams records an attempt's outcome.
type TaskFinishParams struct {
	RunPK       int64
	TaskID      string
	TryNumber   int
	State       string // success, failed, up_for_retry
	AttemptOK   bool
	Now         time.Time
	NextRetryAt time.Time
	Result      json.RawMessage
	Error       string
	// Pending: the final state is still to be folded into the counts.
	Pending bool
	// Recorded: the outcome is written already (TaskSucceed).
	Recorded bool
}

// TaskFinish records the outcome on the task instance and its attempt.
func (t *Tx) TaskFinish(ctx context.Context, p *TaskFinishParams) error {
	var errText *string
	if p.Error != "" {
		errText = &p.Error
	}
	if _, err := t.tx.Exec(ctx, q("TaskInstanceFinish"), p.RunPK, p.TaskID, p.TryNumber, p.State, p.Now,
		nullTime(p.NextRetryAt), nullJSON(p.Result), errText, p.Pending); err != nil {
		return err
	}
	attempt := "failed"
	if p.AttemptOK {
		attempt = "success"
	}
	_, err := t.tx.Exec(ctx, q("TaskAttemptFinish"), p.RunPK, p.TaskID, p.TryNumber, attempt, p.Now, errText)
	return err
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// TaskAttemptRef names one attempt.
type TaskAttemptRef struct {
	RunPK     int64
	TaskID    string
	TryNumber int
	// DagID and RunID name the run (for logs).
	DagID, RunID string
}

// TaskInstanceListZombies lists running attempts whose lease expired.
func (t *Tx) TaskInstanceListZombies(ctx context.Context, now time.Time, limit int) ([]TaskAttemptRef, error) {
	rows, err := t.tx.Query(ctx, q("TaskInstanceListZombies"), now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (TaskAttemptRef, error) {
		var a TaskAttemptRef
		err := r.Scan(&a.RunPK, &a.TaskID, &a.TryNumber, &a.DagID, &a.RunID)
		return a, err
	})
}

// TaskInstanceListDueRetries lists runs holding a retry that is due.
func (t *Tx) TaskInstanceListDueRetries(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := t.tx.Query(ctx, q("TaskInstanceListDueRetries"), now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// TaskInstanceRequeueDag moves the queued tasks of a DAG's running runs
// forward and returns them to publish (the unpause).
func (t *Tx) TaskInstanceRequeueDag(ctx context.Context, dagID string, now time.Time) ([]Queued, error) {
	rows, err := t.tx.Query(ctx, q("TaskInstanceRequeueDag"), dagID, now)
	if err != nil {
		return nil, err
	}
	return collectQueued(rows)
}

// TaskInstanceRequeueStale returns tasks queued before olderThan, moving
// their queued_at to now, so their message is published again.
func (t *Tx) TaskInstanceRequeueStale(ctx context.Context, olderThan, now time.Time, limit int) ([]Queued, error) {
	rows, err := t.tx.Query(ctx, q("TaskInstanceRequeueStale"), olderThan, now, limit)
	if err != nil {
		return nil, err
	}
	return collectQueued(rows)
}

// collectQueued reads dag_id, run_id, task_id, function, try_number rows.
func collectQueued(rows pgx.Rows) ([]Queued, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Queued, error) {
		var m Queued
		err := r.Scan(&m.DagID, &m.RunID, &m.TaskID, &m.Function, &m.TryNumber)
		return m, err
	})
}

// TaskInstanceReset clears tasks for a new try, each with its retries
// (retries[i] for taskIDs[i]) more tries, in one statement.
func (t *Tx) TaskInstanceReset(ctx context.Context, runPK int64, taskIDs []string, retries []int) error {
	tries := make([]int32, len(retries))
	for i, r := range retries {
		tries[i] = int32(r + 1)
	}
	_, err := t.tx.Exec(ctx, q("TaskInstanceReset"), runPK, taskIDs, tries)
	return err
}

// TaskInstanceMark sets a final state by hand.
func (t *Tx) TaskInstanceMark(ctx context.Context, runPK int64, taskID, state string, now time.Time) error {
	_, err := t.tx.Exec(ctx, q("TaskInstanceMark"), runPK, taskID, state, now)
	return err
}

// TaskAttemptAbort ends the running attempts of tasks that were marked or
// cleared.
func (t *Tx) TaskAttemptAbort(ctx context.Context, runPK int64, taskIDs []string, state string, now time.Time, reason string) error {
	_, err := t.tx.Exec(ctx, q("TaskAttemptAbort"), runPK, taskIDs, now, reason, state)
	return err
}

// TaskAttemptList returns a task's attempts, oldest first.
func (t *Tx) TaskAttemptList(ctx context.Context, runPK int64, taskID string) ([]Attempt, error) {
	rows, err := t.tx.Query(ctx, q("TaskAttemptList"), runPK, taskID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attempt, error) {
		var a Attempt
		var ended *time.Time
		var errText *string
		err := r.Scan(&a.TryNumber, &a.State, &a.StartedAt, &ended, &errText, &a.RequestID, &a.LogKey, &a.Completions)
		a.EndedAt = ts(ended)
		if errText != nil {
			a.Error = *errText
		}
		return a, err
	})
}

// TaskResultGet returns a task's result (XCom), nil when none.
func (t *Tx) TaskResultGet(ctx context.Context, runPK int64, taskID string) (json.RawMessage, error) {
	var b json.RawMessage
	err := t.tx.QueryRow(ctx, q("TaskResultGet"), runPK, taskID).Scan(&b)
	return b, notFound(err)
}

// ClearedWaitReason is the error of a task cleared while it ran, until its
// running attempt has stopped (TaskInstanceHoldCleared).
const ClearedWaitReason = "cleared while running: the new try starts when the running attempt has stopped"

// TaskInstanceHoldCleared makes tasks cleared while running (just reset)
// wait as up_for_retry until their attempt stops: at the latest at their
// old lease's expiry (leases[i], now when unknown).
func (t *Tx) TaskInstanceHoldCleared(ctx context.Context, runPK int64, taskIDs []string, leases []*time.Time, now time.Time) error {
	_, err := t.tx.Exec(ctx, q("TaskInstanceHoldCleared"), runPK, taskIDs, now, ClearedWaitReason, leases)
	return err
}

// TaskInstanceReleaseCleared makes the new try of a task cleared while
// its attempt (try) ran due now; ok is false when it was not waiting.
func (s *Store) TaskInstanceReleaseCleared(ctx context.Context, runPK int64, taskID string, try int, now time.Time) (bool, error) {
	tag, err := s.Pool.Exec(ctx, q("TaskInstanceReleaseCleared"), runPK, taskID, try, now, ClearedWaitReason)
	return tag.RowsAffected() == 1, err
}
