-- +goose Up
-- Completions no longer update the hot rows of a run (the fan-in task's
-- upstream counts, the run's tasks_unfinished) each under the run's lock:
-- with thousands of parallel tasks those updates serialised and every one
-- walked the long chain of dead versions left by the others. A completion
-- records its final state with pending = true; whoever holds the run's row
-- lock (SELECT … FOR UPDATE SKIP LOCKED) folds every pending task into the
-- counts at once and clears the flag, so each completion is counted once.
ALTER TABLE task_instance ADD COLUMN pending boolean NOT NULL DEFAULT false;
CREATE INDEX task_instance_pending ON task_instance (run_pk) WHERE pending;
-- Room on each page for the new versions of updated rows (HOT updates).
ALTER TABLE task_instance SET (fillfactor = 80);
ALTER TABLE dag_run SET (fillfactor = 50);

-- +goose Down
ALTER TABLE dag_run RESET (fillfactor);
ALTER TABLE task_instance RESET (fillfactor);
DROP INDEX task_instance_pending;
ALTER TABLE task_instance DROP COLUMN pending;
