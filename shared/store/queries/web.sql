-- Read-only queries of the web function (pages and JSON API).

-- name: DagListWithRuns
-- Every DAG with its latest runs' states, newest first: one query for the
-- list page, each DAG's runs read through the dag_run_by_dag index.
SELECT d.dag_id, d.version_hash, d.is_paused, d.schedule, d.last_interval_end,
       coalesce(r.run_ids, '{}'), coalesce(r.states, '{}'), coalesce(r.logical_dates, '{}')
FROM dag d
LEFT JOIN LATERAL (
    SELECT array_agg(x.run_id ORDER BY x.logical_date DESC, x.id DESC) AS run_ids,
           array_agg(x.state ORDER BY x.logical_date DESC, x.id DESC) AS states,
           array_agg(x.logical_date ORDER BY x.logical_date DESC, x.id DESC) AS logical_dates
    FROM (SELECT id, run_id, state, logical_date FROM dag_run
          WHERE dag_id = d.dag_id ORDER BY logical_date DESC, id DESC LIMIT $1) x
) r ON true
ORDER BY d.dag_id;

-- name: TaskInstanceListCells
-- The grid's cells: the task instances of a set of runs (primary key scan).
SELECT run_pk, task_id, state, try_number, started_at, ended_at
FROM task_instance WHERE run_pk = ANY($1::bigint[]);

-- name: TaskAttemptGetByLogKey
-- The attempt of a run whose log is at that key (log requests name keys).
SELECT task_id, try_number, state, started_at, ended_at, error, request_id, log_key, completions
FROM task_attempt WHERE run_pk = $1 AND log_key = $2 AND log_key <> '';

-- name: TaskAttemptListByRun
-- Every attempt of a run (the run page's Gantt), by task then try: one
-- scan of the task_attempt primary key.
SELECT a.task_id, a.try_number, a.state, a.started_at, a.ended_at, a.error, a.request_id, a.log_key, a.completions
FROM task_attempt a
WHERE a.run_pk = (SELECT id FROM dag_run WHERE dag_id = $1 AND run_id = $2)
ORDER BY a.task_id, a.try_number;
