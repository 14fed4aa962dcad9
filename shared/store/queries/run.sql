-- name: RunInsert
-- Runs of one DAG version with the same tasks (one for a trigger, many
-- for a backfill) and their task instances, in one statement: $2 to $8
-- pair up, one element per run; a run whose id exists already is skipped
-- (no row), as is one whose triggered_by another run has (a concurrent
-- try of the same trigger-dag task created it: see migration 00006). The new rows need no lock: no other transaction sees them
-- before commit. The last column tells whether the DAG is paused, read
-- under a share lock: an unpause waits for this transaction, so it starts
-- the new runs if this one saw the DAG paused and left them queued.
WITH d AS (
    SELECT is_paused FROM dag WHERE dag_id = $1 FOR SHARE
), r AS (
    INSERT INTO dag_run (dag_id, run_id, run_type, version_hash, state, logical_date,
                         data_interval_start, data_interval_end, conf, params, queued_at, tasks_unfinished, ignore_pause,
                         triggered_by)
    SELECT $1, v.run_id, v.run_type, $9, 'queued', v.logical_date, v.data_interval_start, v.data_interval_end,
           v.conf, v.params, $10, cardinality($11::text[]), $14, NULLIF($15, '')
    FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::jsonb[], $8::jsonb[])
         AS v(run_id, run_type, logical_date, data_interval_start, data_interval_end, conf, params)
    ON CONFLICT DO NOTHING
    RETURNING id, dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
              data_interval_end, conf, params, queued_at, started_at, ended_at
), t AS (
    INSERT INTO task_instance (run_pk, task_id, dag_id, run_id, function, state, max_tries)
    SELECT r.id, t.task_id, r.dag_id, r.run_id, t.function, 'none', t.max_tries
    FROM r, unnest($11::text[], $12::text[], $13::int[]) AS t(task_id, function, max_tries)
)
SELECT r.*, coalesce((SELECT is_paused FROM d), false) FROM r ORDER BY logical_date, run_id;

-- name: RunGetTriggeredBy
-- The run a trigger-dag task's earlier try created (see migration 00006).
SELECT id, dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
       data_interval_end, conf, params, queued_at, started_at, ended_at
FROM dag_run WHERE triggered_by = $1;

-- name: TaskTriggerKey
-- The key of a task instance's current series of tries (max_tries grows
-- at each clear).
SELECT dag_id || '/' || run_id || '/' || task_id || '/' || max_tries
FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3;

-- name: RunGet
SELECT id, dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
       data_interval_end, conf, params, queued_at, started_at, ended_at
FROM dag_run WHERE dag_id = $1 AND run_id = $2;

-- name: RunLock
-- FOR NO KEY UPDATE, as every lock of a run: it excludes the other holders
-- but not the KEY SHARE lock Postgres takes to check task_instance's
-- foreign key when a transaction updates a task instance a second time (a
-- failed attempt retried at once). With FOR UPDATE, a clear waiting for
-- that task instance while holding its run deadlocked with the completion.
SELECT id, dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
       data_interval_end, conf, params, queued_at, started_at, ended_at
FROM dag_run WHERE id = $1 FOR NO KEY UPDATE;

-- name: RunLockActiveMany
-- Running runs with no task queued, running or waiting for a retry, or
-- with a pending completion (its follow-up was interrupted): stuck unless
-- re-evaluated (the tick's safety net). Skips runs being changed.
SELECT id, dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
       data_interval_end, conf, params, queued_at, started_at, ended_at
FROM dag_run r WHERE state = 'running'
  AND (NOT EXISTS (SELECT 1 FROM task_instance t WHERE t.run_pk = r.id
                   AND t.state IN ('queued', 'running', 'up_for_retry', 'scheduled'))
       OR EXISTS (SELECT 1 FROM task_instance t WHERE t.run_pk = r.id AND t.pending))
ORDER BY id LIMIT $1
FOR NO KEY UPDATE SKIP LOCKED;

-- name: RunList
SELECT id, dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
       data_interval_end, conf, params, queued_at, started_at, ended_at
FROM dag_run WHERE dag_id = $1 ORDER BY logical_date DESC, id DESC LIMIT $2;

-- name: RunCountRunning
SELECT count(*) FROM dag_run WHERE dag_id = $1 AND state = 'running';

-- name: RunCountQueued
SELECT count(*) FROM dag_run WHERE dag_id = $1 AND state = 'queued';

-- name: RunCountActive
SELECT count(*) FROM dag_run WHERE dag_id = $1 AND state IN ('queued', 'running') AND run_type <> 'backfill';

-- name: RunListQueued
-- Locked: the rows returned are current (no second read to lock them).
SELECT id, dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
       data_interval_end, conf, params, queued_at, started_at, ended_at
FROM dag_run WHERE dag_id = $1 AND state = 'queued'
ORDER BY logical_date, id LIMIT $2 FOR NO KEY UPDATE;

-- name: RunDagsWithQueued
SELECT DISTINCT dag_id FROM dag_run WHERE state = 'queued';

-- name: RunLogicalDatesAt
SELECT logical_date FROM dag_run
WHERE dag_id = $1 AND run_type <> 'manual' AND logical_date = ANY($2::timestamptz[]);

-- name: RunGetByPK
SELECT id, dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
       data_interval_end, conf, params, queued_at, started_at, ended_at
FROM dag_run WHERE id = $1;

-- name: RunAddUnfinished
UPDATE dag_run SET tasks_unfinished = tasks_unfinished + $2 WHERE id = $1 RETURNING tasks_unfinished;

-- name: RunSetStateMany
-- Sets runs' states and their start or end times ($1 and $2 pair up). A
-- run queued again (a clear re-opened it) starts anew, as Airflow's.
UPDATE dag_run d
SET state = v.state,
    started_at = CASE WHEN v.state = 'running' THEN coalesce(d.started_at, $3)
                      WHEN v.state = 'queued' THEN NULL ELSE d.started_at END,
    queued_at = CASE WHEN v.state = 'queued' THEN $3 ELSE d.queued_at END,
    ended_at = CASE WHEN v.state IN ('success', 'failed') THEN $3 ELSE NULL END
FROM unnest($1::bigint[], $2::text[]) AS v(id, state)
WHERE d.id = v.id AND d.id = ANY($1::bigint[]); -- an index scan, not a scan of dag_run

-- name: RunSetUnfinishedMany
UPDATE dag_run d SET tasks_unfinished = v.n
FROM unnest($1::bigint[], $2::int[]) AS v(id, n)
WHERE d.id = v.id AND d.tasks_unfinished <> v.n AND d.id = ANY($1::bigint[]);

-- name: RunListBefore
-- A page of a DAG's older runs, newest first as RunList: those before the
-- cursor ($2, $3) in (logical_date, id) order, i.e. before $2, or at $2
-- with an id below $3 ($3 = 0: strictly before $2). Read through the
-- dag_run_by_dag index from $2 down.
SELECT id, dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
       data_interval_end, conf, params, queued_at, started_at, ended_at
FROM dag_run WHERE dag_id = $1 AND logical_date <= $2 AND (logical_date < $2 OR id < $3)
ORDER BY logical_date DESC, id DESC LIMIT $4;
