-- +goose Up
-- An attempt row is written twice (inserted at the claim, updated at the
-- completion). Room on each page lets the completion's update be a HOT
-- update (no index entry: the primary key does not change), and the
-- foreign key to task_instance, whose check cost each claim an index
-- probe, goes: attempts are only written by the claim and completion
-- statements, right after their task instance's conditional update, and
-- no run or task instance is ever deleted.
ALTER TABLE task_attempt SET (fillfactor = 50);
ALTER TABLE task_attempt DROP CONSTRAINT task_attempt_run_pk_task_id_fkey;

-- +goose Down
ALTER TABLE task_attempt ADD FOREIGN KEY (run_pk, task_id) REFERENCES task_instance (run_pk, task_id) ON DELETE CASCADE;
ALTER TABLE task_attempt RESET (fillfactor);
