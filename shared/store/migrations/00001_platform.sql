-- +goose Up
-- The platform's own tables. Correctness rests on rows, transactions and
-- SELECT … FOR UPDATE [SKIP LOCKED] only: Scaleway Serverless SQL Database
-- guarantees neither LISTEN/NOTIFY nor advisory locks.

CREATE TABLE dag (
    dag_id         text PRIMARY KEY,
    version_hash   text NOT NULL,
    is_paused      boolean NOT NULL DEFAULT false,
    schedule       text NOT NULL DEFAULT '',
    -- End of the last scheduled interval a run was created for: the
    -- scheduler's cursor (Airflow's last automated data interval).
    last_interval_end timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dag_version (
    dag_id       text NOT NULL,
    version_hash text NOT NULL,
    spec         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dag_id, version_hash)
);

CREATE TABLE dag_run (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dag_id              text NOT NULL,
    run_id              text NOT NULL,
    run_type            text NOT NULL CHECK (run_type IN ('scheduled', 'manual', 'backfill')),
    version_hash        text NOT NULL,
    state               text NOT NULL CHECK (state IN ('queued', 'running', 'success', 'failed')),
    logical_date        timestamptz NOT NULL,
    data_interval_start timestamptz NOT NULL,
    data_interval_end   timestamptz NOT NULL,
    conf                jsonb NOT NULL DEFAULT '{}',
    params              jsonb NOT NULL DEFAULT '{}',
    -- Tasks not yet in a final state: the run ends when it reaches 0.
    tasks_unfinished    int NOT NULL DEFAULT 0,
    queued_at           timestamptz NOT NULL,
    started_at          timestamptz,
    ended_at            timestamptz,
    UNIQUE (dag_id, run_id)
);
CREATE INDEX dag_run_by_dag ON dag_run (dag_id, logical_date DESC);
CREATE INDEX dag_run_active ON dag_run (dag_id, state, queued_at) WHERE state IN ('queued', 'running');

CREATE TABLE task_instance (
    run_pk           bigint NOT NULL REFERENCES dag_run (id) ON DELETE CASCADE,
    task_id          text NOT NULL,
    dag_id           text NOT NULL,
    run_id           text NOT NULL,
    function         text NOT NULL,
    state            text NOT NULL CHECK (state IN ('none', 'scheduled', 'queued', 'running', 'success',
                                                    'failed', 'up_for_retry', 'upstream_failed', 'skipped')),
    -- try_number counts attempts, the current one included (0 before the first).
    try_number       int NOT NULL DEFAULT 0,
    -- max_tries is the try_number past which a failure is final
    -- (retries + 1; clear raises it so a cleared task gets its retries again).
    max_tries        int NOT NULL,
    queued_at        timestamptz,
    started_at       timestamptz,
    ended_at         timestamptz,
    next_retry_at    timestamptz,
    lease_expires_at timestamptz,
    result           jsonb,
    error            text,
    -- How many direct upstream tasks are in each final state, kept up to
    -- date as they finish, so a wide fan-in is decided from one row
    -- instead of reading thousands of upstream rows at every completion.
    up_success         int NOT NULL DEFAULT 0,
    up_failed          int NOT NULL DEFAULT 0,
    up_skipped         int NOT NULL DEFAULT 0,
    up_upstream_failed int NOT NULL DEFAULT 0,
    PRIMARY KEY (run_pk, task_id)
);
CREATE UNIQUE INDEX task_instance_by_key ON task_instance (dag_id, run_id, task_id);
CREATE INDEX task_instance_queued ON task_instance (queued_at) WHERE state = 'queued';
CREATE INDEX task_instance_running ON task_instance (lease_expires_at) WHERE state = 'running';
CREATE INDEX task_instance_retry ON task_instance (next_retry_at) WHERE state = 'up_for_retry';

CREATE TABLE task_attempt (
    run_pk      bigint NOT NULL,
    task_id     text NOT NULL,
    try_number  int NOT NULL,
    state       text NOT NULL CHECK (state IN ('running', 'success', 'failed')),
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    -- completions counts recorded outcomes: exactly-once completion keeps it at most 1.
    completions int NOT NULL DEFAULT 0,
    error       text,
    request_id  text NOT NULL DEFAULT '',
    log_key     text NOT NULL DEFAULT '',
    PRIMARY KEY (run_pk, task_id, try_number),
    FOREIGN KEY (run_pk, task_id) REFERENCES task_instance (run_pk, task_id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE task_attempt;
DROP TABLE task_instance;
DROP TABLE dag_run;
DROP TABLE dag_version;
DROP TABLE dag;
