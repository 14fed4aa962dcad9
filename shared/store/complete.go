package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The completion path in few round trips: a task completion is the
// engine's hot path (DESIGN: milliseconds between tasks).

// sendBatch sends b in the transaction; asyncCommit first lets the
// transaction commit without waiting for its WAL flush (see
// engine.Config.SyncCommit), its result consumed here.
func (t *Tx) sendBatch(ctx context.Context, b *pgx.Batch, asyncCommit bool) pgx.BatchResults {
	if !asyncCommit {
		return t.tx.SendBatch(ctx, b)
	}
	nb := &pgx.Batch{QueuedQueries: append([]*pgx.QueuedQuery{{SQL: "SET LOCAL synchronous_commit = off"}}, b.QueuedQueries...)}
	br := t.tx.SendBatch(ctx, nb)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return errBatch{err}
	}
	return br
}

// FinishTarget is a running attempt locked for completion.
type FinishTarget struct {
	Run      Run // PK, DagID, RunID, VersionHash, State (all of it when Locked)
	MaxTries int
	// Locked: this transaction holds the run's lock and so folds the
	// completion into the counts itself, with the pending ones it took.
	Locked  bool
	Pending []Pending
}

// Pending is a task whose final state is still to be folded into its
// downstream tasks' counts and the run's unfinished count.
type Pending struct {
	TaskID, State string
}

// TaskLockForFinish locks the attempt's task instance if it still runs
// under that try and, in the same round trip, tries the run's lock (SKIP
// LOCKED) and takes the run's pending completions when it gets it.
// asyncCommit lets the transaction commit without waiting for its WAL
// flush (see engine.Config.SyncCommit).
func (t *Tx) TaskLockForFinish(ctx context.Context, runPK int64, taskID string, try int, asyncCommit bool) (FinishTarget, bool, error) {
	f := FinishTarget{Run: Run{PK: runPK}}
	b := &pgx.Batch{}
	b.Queue(q("TaskLockForFinish"), runPK, taskID, try)
	b.Queue(q("RunTryLockTakePending"), runPK, taskID, try)
	br := t.sendBatch(ctx, b, asyncCommit)
	defer br.Close()
	err := br.QueryRow().Scan(&f.Run.DagID, &f.Run.RunID, &f.Run.VersionHash, &f.Run.State, &f.MaxTries)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, false, br.Close()
	}
	if err != nil {
		return f, false, err
	}
	rows, err := br.Query()
	if err != nil {
		return f, false, err
	}
	run, locked, pending, err := collectTaken(rows)
	if err != nil {
		return f, false, err
	}
	if locked {
		f.Run, f.Locked, f.Pending = run, true, pending
	}
	return f, true, br.Close()
}

// TaskSucceed records a success in the round trip that tries the run's
// lock (no prior lock of the task: its conditional update is the
// exactly-once guard). ok is false when the attempt no longer runs under
// that try. The outcome is pending unless the run's lock was got.
func (t *Tx) TaskSucceed(ctx context.Context, p *TaskFinishParams, asyncCommit bool) (FinishTarget, bool, error) {
	f := FinishTarget{Run: Run{PK: p.RunPK}}
	b := &pgx.Batch{}
	b.Queue(q("RunTryLockTakePending"), p.RunPK, p.TaskID, p.TryNumber)
	b.Queue(q("TaskSucceed"), p.RunPK, p.TaskID, p.TryNumber, p.Now, nullJSON(p.Result))
	br := t.sendBatch(ctx, b, asyncCommit)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return f, false, err
	}
	run, locked, taken, err := collectTaken(rows)
	if err != nil {
		return f, false, err
	}
	var pending bool
	err = br.QueryRow().Scan(&f.Run.DagID, &f.Run.RunID, &f.Run.VersionHash, &f.Run.State, &f.MaxTries, &pending)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, false, br.Close()
	}
	if err != nil {
		return f, false, err
	}
	f.Locked = !pending
	if locked {
		f.Run, f.Pending = run, taken
	}
	return f, true, br.Close()
}

func collectTaken(rows pgx.Rows) (run Run, locked bool, pending []Pending, err error) {
	taken, err := collectTakenRuns(rows)
	if err != nil || len(taken) == 0 {
		return run, false, nil, err
	}
	return taken[0].Run, true, taken[0].Pending, nil
}

// RunsWithPending returns those of the runs that have pending
// completions (one statement, no transaction).
func (s *Store) RunsWithPending(ctx context.Context, runPKs []int64) ([]int64, error) {
	rows, err := s.Pool.Query(ctx, q("RunsWithPending"), runPKs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// TaskInstanceClearPending clears the pending flag of tasks whose states
// a full evaluation (run locked) folded into the counts itself.
func (t *Tx) TaskInstanceClearPending(ctx context.Context, runPK int64, taskIDs []string) error {
	if len(taskIDs) == 0 {
		return nil
	}
	_, err := t.tx.Exec(ctx, q("TaskInstanceClearPending"), runPK, taskIDs)
	return err
}

// Candidate is a downstream task's state and upstream counts.
type Candidate struct {
	TaskID, State                            string
	Success, Failed, Skipped, UpstreamFailed int
}

// TaskFinishAndCount records an attempt's outcome and applies the
// upstream-count deltas of its downstream tasks, in one round trip, and
// returns those tasks' new state and counts.
func (t *Tx) TaskFinishAndCount(ctx context.Context, p *TaskFinishParams, deltas []UpstreamCounts) ([]Candidate, error) {
	b := &pgx.Batch{}
	n := queueFinish(b, p)
	if len(deltas) > 0 {
		queueCounts(b, p.RunPK, deltas)
	}
	if b.Len() == 0 {
		return nil, nil
	}
	br := t.tx.SendBatch(ctx, b)
	defer br.Close()
	for i := 0; i < n; i++ {
		if _, err := br.Exec(); err != nil {
			return nil, err
		}
	}
	if len(deltas) == 0 {
		return nil, br.Close()
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	out, err := collectCandidates(rows)
	if err != nil {
		return nil, err
	}
	return out, br.Close()
}

// TaskFinishCountQueue records an attempt's outcome (unless recorded
// already), applies the upstream-count deltas of tasks that still wait,
// queues the ready tasks that wait (adding their deltas in the same
// update) and moves the run's unfinished count, in one round trip: the
// caller decided those tasks' readiness from this outcome alone (they have
// no other upstream task). It returns the messages to publish, the ready
// tasks that were not waiting (their deltas are not applied: the caller
// applies them) and the unfinished count left (-1 when delta is 0).
func (t *Tx) TaskFinishCountQueue(ctx context.Context, p *TaskFinishParams, waiting, ready []UpstreamCounts, run *Run, delta int) (msgs []Queued, notQueued []UpstreamCounts, left int, err error) {
	b := &pgx.Batch{}
	n := queueFinish(b, p)
	step := &CountQueue{Run: run, Waiting: waiting, Ready: ready, Delta: delta}
	steps := []*CountQueue{step}
	n += queueSteps(b, steps, p.Now)
	br := t.tx.SendBatch(ctx, b)
	defer br.Close()
	for i := 0; i < n; i++ {
		if _, err := br.Exec(); err != nil {
			return nil, nil, 0, err
		}
	}
	if err := readSteps(br, steps); err != nil {
		return nil, nil, 0, err
	}
	return step.Msgs, step.NotQueued, step.Left, br.Close()
}

// CountQueue is one run's step of a chain: outcomes whose downstream
// tasks were decided before reading them (each has one upstream task):
// Waiting get their count deltas, Ready are queued if they still wait,
// the run's unfinished count moves by Delta. TaskCountQueueMany fills
// Msgs (the tasks queued), NotQueued (ready tasks that were not waiting:
// cleared or marked meanwhile) and Left (the unfinished count, -1 when
// Delta is 0).
type CountQueue struct {
	Run            *Run
	Waiting, Ready []UpstreamCounts
	Delta          int

	Msgs      []Queued
	NotQueued []UpstreamCounts
	Left      int
}

// queueSteps adds the steps' statements to b: the deltas of waiting tasks
// (one statement per step that has some: rare in a chain), then one
// statement for every step's ready tasks and unfinished count. It returns
// how many come before the one readSteps reads.
func queueSteps(b *pgx.Batch, steps []*CountQueue, now time.Time) int {
	n := 0
	var pks, runs []int64
	var ids []string
	var s, f, k, u, deltas []int32
	for _, c := range steps {
		if len(c.Waiting) > 0 {
			b.Queue(q("TaskInstanceAddUpstreamCounts"), countArgs(c.Run.PK, c.Waiting)...)
			n++
		}
		for _, r := range c.Ready {
			pks, ids = append(pks, c.Run.PK), append(ids, r.TaskID)
			s, f, k, u = append(s, int32(r.Success)), append(f, int32(r.Failed)), append(k, int32(r.Skipped)), append(u, int32(r.UpstreamFailed))
		}
		runs, deltas = append(runs, c.Run.PK), append(deltas, int32(c.Delta))
	}
	b.Queue(q("TaskInstanceQueueCounting"), pks, ids, s, f, k, u, now, runs, deltas)
	return n
}

// readSteps reads the rows of the steps' last statement.
func readSteps(br pgx.BatchResults, steps []*CountQueue) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	byPK := make(map[int64]*CountQueue, len(steps))
	for _, c := range steps {
		c.Left = -1
		byPK[c.Run.PK] = c
	}
	type key struct {
		pk int64
		id string
	}
	queued := map[key]bool{}
	for rows.Next() {
		var pk int64
		var taskID, function *string
		var try, unfinished *int
		if err := rows.Scan(&pk, &taskID, &function, &try, &unfinished); err != nil {
			rows.Close()
			return err
		}
		c := byPK[pk]
		if c == nil {
			rows.Close()
			return fmt.Errorf("step of run %d: not asked for", pk)
		}
		if taskID == nil {
			c.Left = *unfinished
			continue
		}
		queued[key{pk, *taskID}] = true
		c.Msgs = append(c.Msgs, Queued{DagID: c.Run.DagID, RunID: c.Run.RunID, TaskID: *taskID, Function: *function, TryNumber: *try})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range steps {
		for _, r := range c.Ready {
			if !queued[key{c.Run.PK, r.TaskID}] {
				c.NotQueued = append(c.NotQueued, r)
			}
		}
	}
	return nil
}

// TaskCountQueueMany runs the steps of several runs (locked by the
// caller, one step each) in one round trip.
func (t *Tx) TaskCountQueueMany(ctx context.Context, steps []*CountQueue, now time.Time) error {
	if len(steps) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	n := queueSteps(b, steps, now)
	br := t.tx.SendBatch(ctx, b)
	defer br.Close()
	for i := 0; i < n; i++ {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	if err := readSteps(br, steps); err != nil {
		return err
	}
	return br.Close()
}

// TaskInstanceAddUpstreamCountsReturning applies deltas and returns the
// tasks' new state and counts.
func (t *Tx) TaskInstanceAddUpstreamCountsReturning(ctx context.Context, runPK int64, deltas []UpstreamCounts) ([]Candidate, error) {
	if len(deltas) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	queueCounts(b, runPK, deltas)
	br := t.tx.SendBatch(ctx, b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	out, err := collectCandidates(rows)
	if err != nil {
		return nil, err
	}
	return out, br.Close()
}

// queueFinish queues the two statements that record an outcome, unless
// it is recorded already (TaskSucceed), and returns how many it queued.
func queueFinish(b *pgx.Batch, p *TaskFinishParams) int {
	if p.Recorded {
		return 0
	}
	var errText *string
	if p.Error != "" {
		errText = &p.Error
	}
	attempt := "failed"
	if p.AttemptOK {
		attempt = "success"
	}
	b.Queue(q("TaskInstanceFinish"), p.RunPK, p.TaskID, p.TryNumber, p.State, p.Now, nullTime(p.NextRetryAt), nullJSON(p.Result), errText, p.Pending)
	b.Queue(q("TaskAttemptFinish"), p.RunPK, p.TaskID, p.TryNumber, attempt, p.Now, errText)
	return 2
}

func queueCounts(b *pgx.Batch, runPK int64, cs []UpstreamCounts) {
	b.Queue(q("TaskInstanceAddUpstreamCountsReturning"), countArgs(runPK, cs)...)
}

// countArgs are the arguments of the count-delta queries: the run and
// one array per column.
func countArgs(runPK int64, cs []UpstreamCounts) []any {
	ids := make([]string, len(cs))
	s, f, k, u := make([]int32, len(cs)), make([]int32, len(cs)), make([]int32, len(cs)), make([]int32, len(cs))
	for i, c := range cs {
		ids[i], s[i], f[i], k[i], u[i] = c.TaskID, int32(c.Success), int32(c.Failed), int32(c.Skipped), int32(c.UpstreamFailed)
	}
	return []any{runPK, ids, s, f, k, u}
}

func collectCandidates(rows pgx.Rows) ([]Candidate, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Candidate, error) {
		var c Candidate
		err := r.Scan(&c.TaskID, &c.State, &c.Success, &c.Failed, &c.Skipped, &c.UpstreamFailed)
		return c, err
	})
}

// TaskQueueAndCount queues ready tasks (when the run is running) and
// moves the run's unfinished count by delta, in one round trip; the run
// row is touched last so its lock is held only until commit.
func (t *Tx) TaskQueueAndCount(ctx context.Context, run *Run, toQueue []string, queue bool, delta int, now time.Time) ([]Queued, int, error) {
	b := &pgx.Batch{}
	if queue && len(toQueue) > 0 {
		b.Queue(q("TaskInstanceQueueMany"), run.PK, toQueue, now)
	}
	if delta != 0 {
		b.Queue(q("RunAddUnfinished"), run.PK, delta)
	}
	if b.Len() == 0 {
		return nil, -1, nil
	}
	br := t.tx.SendBatch(ctx, b)
	defer br.Close()
	var msgs []Queued
	if queue && len(toQueue) > 0 {
		rows, err := br.Query()
		if err != nil {
			return nil, 0, err
		}
		msgs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Queued, error) {
			m := Queued{DagID: run.DagID, RunID: run.RunID}
			err := r.Scan(&m.TaskID, &m.Function, &m.TryNumber)
			return m, err
		})
		if err != nil {
			return nil, 0, err
		}
	}
	left := -1
	if delta != 0 {
		if err := br.QueryRow().Scan(&left); err != nil {
			return nil, 0, err
		}
	}
	return msgs, left, br.Close()
}

// RunExistsQueued reports (one statement, no transaction, no lock)
// whether a DAG has queued runs.
func (s *Store) RunExistsQueued(ctx context.Context, dagID string) (ok bool, err error) {
	err = s.Pool.QueryRow(ctx, q("RunExistsQueued"), dagID).Scan(&ok)
	return ok, err
}

// IsRetryable reports a deadlock or serialization failure: the
// transaction can simply be run again.
func IsRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}
