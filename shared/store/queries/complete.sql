-- name: TaskClaimRun
-- Claims an attempt in one statement (no explicit transaction): queued ->
-- running for the try the message names, records the attempt, returns the
-- run. No row: the message is a duplicate or stale.
WITH claimed AS (
    UPDATE task_instance
    SET state = 'running', started_at = $5, lease_expires_at = $6
    -- The run's id from dag_run's unique key, then the primary key. A
    -- paused DAG's task waits, queued, for the unpause (unless its run
    -- ignores the pause).
    WHERE run_pk = (SELECT r.id FROM dag_run r WHERE r.dag_id = $1 AND r.run_id = $2
                      AND (r.ignore_pause OR NOT EXISTS (SELECT 1 FROM dag d WHERE d.dag_id = $1 AND d.is_paused)))
      AND task_id = $3 AND try_number = $4 AND state = 'queued'
    RETURNING run_pk
), attempt AS (
    INSERT INTO task_attempt (run_pk, task_id, try_number, state, started_at, request_id, log_key)
    SELECT run_pk, $3, $4, 'running', $5, $7, $8 FROM claimed
)
SELECT r.id, r.dag_id, r.run_id, r.run_type, r.version_hash, r.state, r.logical_date, r.data_interval_start,
       r.data_interval_end, r.conf, r.params, r.queued_at, r.started_at, r.ended_at
FROM dag_run r JOIN claimed c ON r.id = c.run_pk;

-- name: TaskLockForFinish
-- The attempt's task instance if it still runs under that try, locked,
-- with its run (not locked: a run does not end while a task runs, and the
-- run's lock is taken apart, with SKIP LOCKED, by RunTryLockTakePending).
SELECT r.dag_id, r.run_id, r.version_hash, r.state, t.max_tries
FROM task_instance t JOIN dag_run r ON r.id = t.run_pk
WHERE t.run_pk = $1 AND t.task_id = $2 AND t.try_number = $3 AND t.state = 'running'
FOR UPDATE OF t;

-- name: TaskSucceed
-- Records a success if the attempt still runs under that try (the
-- conditional update is the exactly-once guard: no prior row lock), as
-- pending unless this transaction holds the run's lock (taken just before
-- by RunTryLockTakePending, or now if it was released meanwhile).
WITH t AS (
    UPDATE task_instance
    SET state = 'success', ended_at = $4, next_retry_at = NULL, lease_expires_at = NULL, result = $5, error = NULL,
        pending = NOT EXISTS (SELECT 1 FROM dag_run WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED)
    WHERE run_pk = $1 AND task_id = $2 AND try_number = $3 AND state = 'running'
    RETURNING run_pk, max_tries, pending
), a AS (
    UPDATE task_attempt SET state = 'success', ended_at = $4, error = NULL, completions = completions + 1
    WHERE run_pk = $1 AND task_id = $2 AND try_number = $3 AND state = 'running' AND EXISTS (SELECT 1 FROM t)
)
SELECT r.dag_id, r.run_id, r.version_hash, r.state, t.max_tries, t.pending
FROM t JOIN dag_run r ON r.id = t.run_pk;

-- name: RunTryLockTakePending
-- Locks the run unless another transaction holds it (SKIP LOCKED: no row
-- then) and takes its pending completions (final states not yet folded
-- into the upstream and unfinished counts): one row per pending task, or
-- one row with a NULL task when none is pending.
WITH run AS (
    SELECT id, dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
           data_interval_end, conf, params, queued_at, started_at, ended_at
    FROM dag_run WHERE id = $1
      -- A completion ($2: its task) takes the lock only if its attempt is
      -- still running (locked by TaskLockForFinish just before).
      AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM task_instance
                                       WHERE run_pk = $1 AND task_id = $2 AND try_number = $3 AND state = 'running'))
    FOR NO KEY UPDATE SKIP LOCKED
), taken AS (
    UPDATE task_instance t SET pending = false
    FROM run WHERE t.run_pk = $1 AND run.id = $1 AND t.pending
    RETURNING t.task_id, t.state
)
SELECT run.id, run.dag_id, run.run_id, run.run_type, run.version_hash, run.state, run.logical_date,
       run.data_interval_start, run.data_interval_end, run.conf, run.params, run.queued_at,
       run.started_at, run.ended_at, taken.task_id, taken.state
FROM run LEFT JOIN taken ON true;

-- name: RunProbeLock
-- 1 when no transaction holds the run's lock (taken and, outside a
-- transaction, released at once), 0 when one does.
SELECT count(*) FROM (SELECT 1 FROM dag_run WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED) AS free;

-- name: TaskInstanceExistsPending
SELECT EXISTS (SELECT 1 FROM task_instance WHERE run_pk = $1 AND pending);

-- name: RunsWithPending
SELECT DISTINCT run_pk FROM task_instance WHERE run_pk = ANY($1::bigint[]) AND pending;

-- name: TaskInstanceClearPending
-- A full evaluation folded these tasks' states into the counts itself.
UPDATE task_instance SET pending = false WHERE run_pk = $1 AND task_id = ANY($2::text[]) AND pending;

-- name: TaskInstanceAddUpstreamCountsReturning
-- Adds deltas to upstream counts and returns the candidates' new state.
-- Only the holder of the run's lock updates counts, so completions never
-- race on them (no prior FOR UPDATE in a fixed order is needed).
UPDATE task_instance t
SET up_success = up_success + d.s, up_failed = up_failed + d.f,
    up_skipped = up_skipped + d.k, up_upstream_failed = up_upstream_failed + d.u
FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::int[]) AS d(task_id, s, f, k, u)
WHERE t.run_pk = $1 AND t.task_id = d.task_id
RETURNING t.task_id, t.state, t.up_success, t.up_failed, t.up_skipped, t.up_upstream_failed;

-- name: RunExistsQueued
SELECT EXISTS (SELECT 1 FROM dag_run WHERE dag_id = $1 AND state = 'queued');

-- name: TaskClaimRuns
-- TaskClaimRun for several messages at once (claims that arrived together
-- in one process): one row per attempt claimed, with the index (1-based)
-- of its request. Two requests for the same attempt match one row, which
-- is updated once: one of them claims it.
WITH req AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[],
                         $7::text[], $8::text[])
        WITH ORDINALITY AS q(dag_id, run_id, task_id, try_number, started_at, lease_until, request_id, log_key, idx)
), paused AS MATERIALIZED (
    -- A paused DAG's tasks wait, queued, for the unpause (unless their run
    -- ignores the pause). Apart, so the claim's plan does not change.
    SELECT dag_id FROM dag WHERE is_paused AND dag_id IN (SELECT dag_id FROM req)
), claimed AS (
    UPDATE task_instance t
    SET state = 'running', started_at = req.started_at, lease_expires_at = req.lease_until
    FROM req JOIN dag_run r ON r.dag_id = req.dag_id AND r.run_id = req.run_id
    WHERE t.run_pk = r.id AND t.task_id = req.task_id AND t.try_number = req.try_number AND t.state = 'queued'
      AND (r.ignore_pause OR r.dag_id NOT IN (SELECT dag_id FROM paused))
    RETURNING t.run_pk, req.idx, req.task_id, req.try_number, req.started_at, req.request_id, req.log_key
), attempt AS (
    INSERT INTO task_attempt (run_pk, task_id, try_number, state, started_at, request_id, log_key)
    SELECT run_pk, task_id, try_number, 'running', started_at, request_id, log_key FROM claimed
)
SELECT c.idx, r.id, r.dag_id, r.run_id, r.run_type, r.version_hash, r.state, r.logical_date, r.data_interval_start,
       r.data_interval_end, r.conf, r.params, r.queued_at, r.started_at, r.ended_at
FROM dag_run r JOIN claimed c ON r.id = c.run_pk;

-- name: TaskSucceedLockMany
-- Records several successes at once (completions that arrived together in
-- one process), each only if its attempt still runs under that try (the
-- conditional update is the exactly-once guard). It first locks the runs
-- no other transaction holds (SKIP LOCKED, never waiting): a success of a
-- run locked here is folded in by the caller in this transaction; the
-- others are pending, for the holder of their run's lock (or the caller,
-- after commit). One row per success recorded: the index (1-based) of its
-- request and whether it is pending.
WITH req AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::timestamptz[], $5::text[])
        WITH ORDINALITY AS q(run_pk, task_id, try_number, ended_at, result, idx)
), locked AS MATERIALIZED (
    SELECT id FROM dag_run WHERE id = ANY($1::bigint[]) FOR NO KEY UPDATE SKIP LOCKED
), t AS (
    UPDATE task_instance t
    SET state = 'success', ended_at = req.ended_at, next_retry_at = NULL, lease_expires_at = NULL,
        result = req.result::jsonb, error = NULL,
        pending = NOT EXISTS (SELECT 1 FROM locked WHERE locked.id = t.run_pk)
    FROM req
    WHERE t.run_pk = req.run_pk AND t.task_id = req.task_id AND t.try_number = req.try_number AND t.state = 'running'
    RETURNING req.idx, t.run_pk, t.task_id, t.try_number, req.ended_at, t.pending
), a AS (
    UPDATE task_attempt a SET state = 'success', ended_at = t.ended_at, error = NULL, completions = completions + 1
    FROM t
    WHERE a.run_pk = t.run_pk AND a.task_id = t.task_id AND a.try_number = t.try_number AND a.state = 'running'
)
SELECT idx, pending FROM t;

-- name: RunsTryLockTakePending
-- RunTryLockTakePending for several runs: locks those no other
-- transaction holds (SKIP LOCKED) and takes their pending completions,
-- one row per pending task, or one row with a NULL task for a run locked
-- with none pending.
WITH run AS (
    SELECT id, dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
           data_interval_end, conf, params, queued_at, started_at, ended_at
    FROM dag_run WHERE id = ANY($1::bigint[])
    FOR NO KEY UPDATE SKIP LOCKED
), taken AS (
    UPDATE task_instance t SET pending = false
    FROM run WHERE t.run_pk = run.id AND t.pending
    RETURNING t.run_pk, t.task_id, t.state
)
SELECT run.id, run.dag_id, run.run_id, run.run_type, run.version_hash, run.state, run.logical_date,
       run.data_interval_start, run.data_interval_end, run.conf, run.params, run.queued_at,
       run.started_at, run.ended_at, taken.task_id, taken.state
FROM run LEFT JOIN taken ON taken.run_pk = run.id
ORDER BY run.id;
