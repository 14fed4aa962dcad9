-- +goose Up
-- Every state change of a task instance is a non-HOT update (state is in
-- partial-index predicates), so each one also inserted an entry into this
-- second unique index on (dag_id, run_id, task_id). Queries naming a task
-- by those keys now find the run through dag_run's unique (dag_id, run_id)
-- index, then the task through the primary key (run_pk, task_id).
DROP INDEX task_instance_by_key;

-- +goose Down
CREATE UNIQUE INDEX task_instance_by_key ON task_instance (dag_id, run_id, task_id);
