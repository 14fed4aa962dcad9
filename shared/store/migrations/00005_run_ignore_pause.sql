-- +goose Up
-- A paused DAG's running runs make no progress (Airflow's scheduler does
-- not examine them): their tasks wait, queued, for the unpause. A run
-- started despite the pause (`local dag run`, as `airflow dags test`)
-- goes on: it carries that here.
ALTER TABLE dag_run ADD COLUMN ignore_pause boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE dag_run DROP COLUMN ignore_pause;
