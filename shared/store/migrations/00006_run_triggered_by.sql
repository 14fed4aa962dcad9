-- +goose Up
-- A run created by a trigger-dag task carries the triggering task
-- instance's key (its DAG, run, task and the max_tries of its current
-- series of tries): a try retried after a crash that came after its
-- trigger finds the run its earlier try created instead of creating a
-- second one; a clear starts a new series, which triggers again.
ALTER TABLE dag_run ADD COLUMN triggered_by text;
CREATE UNIQUE INDEX dag_run_triggered_by ON dag_run (triggered_by) WHERE triggered_by IS NOT NULL;

-- +goose Down
DROP INDEX dag_run_triggered_by;
ALTER TABLE dag_run DROP COLUMN triggered_by;
