-- name: TaskInstanceListByRun
SELECT run_pk, task_id, dag_id, run_id, function, state, try_number, max_tries, queued_at,
       started_at, ended_at, next_retry_at, lease_expires_at, result, error,
       up_success, up_failed, up_skipped, up_upstream_failed, pending
FROM task_instance WHERE run_pk = $1;

-- name: TaskInstanceGet
SELECT run_pk, task_id, dag_id, run_id, function, state, try_number, max_tries, queued_at,
       started_at, ended_at, next_retry_at, lease_expires_at, result, error,
       up_success, up_failed, up_skipped, up_upstream_failed, pending
FROM task_instance
WHERE run_pk = (SELECT id FROM dag_run WHERE dag_id = $1 AND run_id = $2) AND task_id = $3;

-- name: TaskInstanceQueueMany
-- Queues tasks that are waiting (none) or due for retry; a new try each.
UPDATE task_instance
SET state = 'queued', try_number = try_number + 1, queued_at = $3, started_at = NULL,
    ended_at = NULL, next_retry_at = NULL, lease_expires_at = NULL, error = NULL
WHERE run_pk = $1 AND task_id = ANY($2::text[]) AND state IN ('none', 'up_for_retry')
RETURNING task_id, function, try_number;

-- name: TaskInstanceQueueCounting
-- Completions that knew, before reading them, that these downstream tasks
-- are ready: queues those still waiting (none) and adds their upstream
-- count deltas in the same update (one new version of each row, not two),
-- and moves each run's unfinished count ($8 and $9 pair up; a 0 delta
-- writes nothing). Returns the tasks queued, then a row per run moved with
-- the unfinished count left (task_id NULL). $1 to $6 pair up (run, task,
-- deltas).
WITH d AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[], $5::int[], $6::int[]) AS d(run_pk, task_id, s, f, k, u)
), queued AS (
    UPDATE task_instance t
    SET state = 'queued', try_number = try_number + 1, queued_at = $7, started_at = NULL,
        ended_at = NULL, next_retry_at = NULL, lease_expires_at = NULL, error = NULL,
        up_success = up_success + d.s, up_failed = up_failed + d.f,
        up_skipped = up_skipped + d.k, up_upstream_failed = up_upstream_failed + d.u
    FROM d WHERE t.run_pk = d.run_pk AND t.task_id = d.task_id AND t.state = 'none'
    RETURNING t.run_pk, t.task_id, t.function, t.try_number
), run AS (
    UPDATE dag_run r SET tasks_unfinished = r.tasks_unfinished + v.delta
    FROM unnest($8::bigint[], $9::int[]) AS v(id, delta)
    WHERE r.id = v.id AND v.delta <> 0 AND r.id = ANY($8::bigint[]) -- an index scan, not a scan of dag_run
    RETURNING r.id, r.tasks_unfinished
)
SELECT run_pk, task_id, function, try_number, NULL::int FROM queued
UNION ALL
SELECT id, NULL, NULL, NULL, tasks_unfinished FROM run;

-- name: TaskInstanceSetStateMany
-- Marks waiting tasks skipped or upstream_failed (pending: see TaskInstanceFinish).
UPDATE task_instance SET state = $3, ended_at = $4, pending = $5
WHERE run_pk = $1 AND task_id = ANY($2::text[]) AND state = 'none'
RETURNING task_id;

-- name: TaskInstanceClaim
-- queued -> running, only for the try the message names. A task is found
-- by its run's id (dag_run's unique key), then the primary key.
-- A paused DAG's task waits for the unpause (as TaskClaimRun).
UPDATE task_instance
SET state = 'running', started_at = $5, lease_expires_at = $6
WHERE run_pk = (SELECT r.id FROM dag_run r WHERE r.dag_id = $1 AND r.run_id = $2
                  AND (r.ignore_pause OR NOT EXISTS (SELECT 1 FROM dag d WHERE d.dag_id = $1 AND d.is_paused)))
  AND task_id = $3 AND try_number = $4 AND state = 'queued'
RETURNING run_pk;

-- name: TaskAttemptInsert
INSERT INTO task_attempt (run_pk, task_id, try_number, state, started_at, request_id, log_key)
VALUES ($1, $2, $3, 'running', $4, $5, $6);

-- name: TaskInstanceHeartbeat
UPDATE task_instance SET lease_expires_at = $5
WHERE run_pk = (SELECT id FROM dag_run WHERE dag_id = $1 AND run_id = $2)
  AND task_id = $3 AND try_number = $4 AND state = 'running';

-- name: TaskInstanceLockRunning
-- The attempt being completed, locked; no row when it is no longer running
-- under this try (completed already, zombie-failed, cleared or marked).
SELECT run_pk FROM task_instance
WHERE run_pk = $1 AND task_id = $2 AND try_number = $3 AND state = 'running'
FOR UPDATE;

-- name: TaskInstanceFinish
-- pending: the final state is still to be folded into the counts (the
-- completion did not get the run's lock).
UPDATE task_instance
SET state = $4, ended_at = $5, next_retry_at = $6, lease_expires_at = NULL, result = $7, error = $8, pending = $9
WHERE run_pk = $1 AND task_id = $2 AND try_number = $3;

-- name: TaskAttemptFinish
UPDATE task_attempt
SET state = $4, ended_at = $5, error = $6, completions = completions + 1
WHERE run_pk = $1 AND task_id = $2 AND try_number = $3 AND state = 'running';

-- name: TaskInstanceListZombies
SELECT t.run_pk, t.task_id, t.try_number, r.dag_id, r.run_id
FROM task_instance t JOIN dag_run r ON r.id = t.run_pk
WHERE t.state = 'running' AND t.lease_expires_at < $1
ORDER BY t.lease_expires_at LIMIT $2;

-- name: TaskInstanceListDueRetries
SELECT DISTINCT run_pk FROM task_instance
WHERE state = 'up_for_retry' AND next_retry_at <= $1 LIMIT $2;

-- name: TaskInstanceRequeueStale
-- Re-publishes (outbox) tasks queued for too long: their message was lost
-- or is stuck. queued_at moves forward so each tick republishes once. A
-- paused DAG's tasks wait for the unpause, which republishes them.
WITH stale AS (
    SELECT t.run_pk, t.task_id FROM task_instance t
    WHERE t.state = 'queued' AND t.queued_at < $1
      AND NOT EXISTS (SELECT 1 FROM dag_run r JOIN dag d ON d.dag_id = r.dag_id
                      WHERE r.id = t.run_pk AND d.is_paused AND NOT r.ignore_pause)
    ORDER BY t.queued_at LIMIT $3
    FOR UPDATE OF t SKIP LOCKED
)
UPDATE task_instance t SET queued_at = $2
FROM stale WHERE t.run_pk = stale.run_pk AND t.task_id = stale.task_id
RETURNING t.dag_id, t.run_id, t.task_id, t.function, t.try_number;

-- name: TaskInstanceReset
-- Clear: back to none for a new try, with its retries again ($2 and $3
-- pair up: a task and its tries). One statement for all the tasks: a clear
-- of many tasks holds their rows for the shortest time.
UPDATE task_instance t
SET state = 'none', max_tries = t.try_number + d.tries, queued_at = NULL, started_at = NULL, ended_at = NULL,
    next_retry_at = NULL, lease_expires_at = NULL, result = NULL, error = NULL, pending = false
FROM unnest($2::text[], $3::int[]) AS d(task_id, tries)
WHERE t.run_pk = $1 AND t.task_id = d.task_id;

-- name: TaskInstanceMark
UPDATE task_instance
SET state = $3, ended_at = $4, lease_expires_at = NULL, next_retry_at = NULL,
    error = CASE WHEN $3 = 'failed' THEN 'marked failed' ELSE NULL END
WHERE run_pk = $1 AND task_id = $2;

-- name: TaskAttemptAbort
-- Attempts whose tasks ($2) were marked or cleared while they ran: they end
-- in the state given ($5: the state marked, failed when cleared), with the
-- reason.
UPDATE task_attempt SET state = $5, ended_at = $3, error = $4, completions = completions + 1
WHERE run_pk = $1 AND task_id = ANY($2::text[]) AND state = 'running';

-- name: TaskAttemptList
SELECT try_number, state, started_at, ended_at, error, request_id, log_key, completions
FROM task_attempt WHERE run_pk = $1 AND task_id = $2 ORDER BY try_number;

-- name: TaskResultGet
SELECT result FROM task_instance WHERE run_pk = $1 AND task_id = $2;

-- name: TaskInstanceListByIDs
SELECT run_pk, task_id, dag_id, run_id, function, state, try_number, max_tries, queued_at,
       started_at, ended_at, next_retry_at, lease_expires_at, result, error,
       up_success, up_failed, up_skipped, up_upstream_failed, pending
FROM task_instance WHERE run_pk = $1 AND task_id = ANY($2::text[]);

-- name: TaskInstanceAddUpstreamCounts
UPDATE task_instance t
SET up_success = up_success + d.s, up_failed = up_failed + d.f,
    up_skipped = up_skipped + d.k, up_upstream_failed = up_upstream_failed + d.u
FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::int[]) AS d(task_id, s, f, k, u)
WHERE t.run_pk = $1 AND t.task_id = d.task_id;

-- name: TaskInstanceSetUpstreamCounts
UPDATE task_instance t
SET up_success = d.s, up_failed = d.f, up_skipped = d.k, up_upstream_failed = d.u
FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::int[]) AS d(task_id, s, f, k, u)
WHERE t.run_pk = $1 AND t.task_id = d.task_id;

-- name: TaskInstanceListByRuns
SELECT run_pk, task_id, dag_id, run_id, function, state, try_number, max_tries, queued_at,
       started_at, ended_at, next_retry_at, lease_expires_at, result, error,
       up_success, up_failed, up_skipped, up_upstream_failed, pending
FROM task_instance WHERE run_pk = ANY($1::bigint[]);

-- name: TaskInstanceQueueRuns
-- TaskInstanceQueueMany for several runs ($1 and $2 pair up).
UPDATE task_instance t
SET state = 'queued', try_number = try_number + 1, queued_at = $3, started_at = NULL,
    ended_at = NULL, next_retry_at = NULL, lease_expires_at = NULL, error = NULL
FROM unnest($1::bigint[], $2::text[]) AS q(run_pk, task_id)
WHERE t.run_pk = q.run_pk AND t.task_id = q.task_id AND t.state IN ('none', 'up_for_retry')
RETURNING t.run_pk, t.task_id, t.function, t.try_number;

-- name: TaskInstanceRequeueDag
-- At the unpause: re-publishes the DAG's queued tasks (their messages were
-- answered without a claim while it was paused).
WITH q AS (
    SELECT t.run_pk, t.task_id FROM task_instance t JOIN dag_run r ON r.id = t.run_pk
    WHERE r.dag_id = $1 AND r.state = 'running' AND t.state = 'queued'
    FOR UPDATE OF t SKIP LOCKED
)
UPDATE task_instance t SET queued_at = $2
FROM q WHERE t.run_pk = q.run_pk AND t.task_id = q.task_id
RETURNING t.dag_id, t.run_id, t.task_id, t.function, t.try_number;

-- name: TaskInstanceHoldCleared
-- Cleared while running: the new try waits (up_for_retry) until the
-- running attempt has stopped — it ends, or its lease, the latest moment
-- its heartbeat finds it cleared, expires — so two tries never overlap.
-- The error says why it waits; TaskInstanceReleaseCleared matches it.
UPDATE task_instance
SET state = 'up_for_retry', next_retry_at = coalesce(d.lease, $3), error = $4
FROM unnest($2::text[], $5::timestamptz[]) AS d(task_id, lease)
WHERE run_pk = $1 AND task_instance.task_id = d.task_id;

-- name: TaskInstanceReleaseCleared
-- The attempt cleared while running has stopped: its new try is due now.
UPDATE task_instance SET next_retry_at = $4
WHERE run_pk = $1 AND task_id = $2 AND try_number = $3 AND state = 'up_for_retry'
  AND error = $5 AND next_retry_at > $4
RETURNING run_pk;
