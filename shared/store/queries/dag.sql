-- name: DagUpsert
-- Registers a DAG version. is_paused is the spec's initial state only:
-- once the DAG exists, pause state lives here and the spec never resets it.
WITH v AS (
    INSERT INTO dag_version (dag_id, version_hash, spec, created_at)
    VALUES ($1, $2, $3, $5)
    ON CONFLICT DO NOTHING
)
INSERT INTO dag (dag_id, version_hash, is_paused, schedule, updated_at)
VALUES ($1, $2, $4, $6, $5)
ON CONFLICT (dag_id) DO UPDATE
SET version_hash = excluded.version_hash, schedule = excluded.schedule, updated_at = excluded.updated_at
WHERE dag.version_hash IS DISTINCT FROM excluded.version_hash OR dag.schedule IS DISTINCT FROM excluded.schedule;

-- name: DagGet
SELECT dag_id, version_hash, is_paused, schedule, last_interval_end FROM dag WHERE dag_id = $1;

-- name: DagList
SELECT dag_id, version_hash, is_paused, schedule, last_interval_end FROM dag ORDER BY dag_id;

-- name: DagLock
SELECT dag_id, version_hash, is_paused, schedule, last_interval_end FROM dag WHERE dag_id = $1 FOR UPDATE;

-- name: DagLockScheduledMany
-- Two ticks at once each take the DAGs the other has not locked.
SELECT dag_id, version_hash, is_paused, schedule, last_interval_end
FROM dag WHERE schedule <> '' AND NOT is_paused
ORDER BY dag_id
FOR UPDATE SKIP LOCKED;

-- name: DagSetCursor
UPDATE dag SET last_interval_end = $2 WHERE dag_id = $1 AND (last_interval_end IS NULL OR last_interval_end < $2);

-- name: DagSetPaused
UPDATE dag SET is_paused = $2, updated_at = $3 WHERE dag_id = $1;

-- name: DagVersionGet
SELECT spec FROM dag_version WHERE dag_id = $1 AND version_hash = $2;

-- name: DagIsPaused
SELECT coalesce((SELECT is_paused FROM dag WHERE dag_id = $1), false);
