package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lvao/dataplatform/shared/dag"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/queue"
	"github.com/lvao/dataplatform/shared/store"
)

// benchDag is the DAG of the benchmark.
const benchDag = "webbench"

// dagYAML is a DAG of n noop tasks: one start, n-2 parallel, one end.
func dagYAML(n int) string {
	var b strings.Builder
	b.WriteString("dag_id: " + benchDag + "\ndescription: Web benchmark\nschedule: \"0 1 * * *\"\n")
	b.WriteString("start_date: 2020-01-01T00:00:00Z\ntags: [bench]\ntasks:\n  - {id: start, function: noop}\n")
	for i := 1; i <= n-2; i++ {
		fmt.Fprintf(&b, "  - {id: task_%02d, function: noop, depends_on: [start]}\n", i)
	}
	b.WriteString("  - id: end\n    function: noop\n    depends_on: [")
	for i := 1; i <= n-2; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "task_%02d", i)
	}
	b.WriteString("]\n")
	return b.String()
}

// platform is the store and engine of the benchmark, in a fresh schema.
type platform struct {
	st     *store.Store
	eng    *engine.Engine
	schema string
	url    string
}

// openPlatform creates a schema, migrates it and registers the DAG.
func openPlatform(ctx context.Context, url string, tasks int) (*platform, error) {
	set, err := dag.Load(dag.ValidateOptions{Functions: map[string]bool{"noop": true}},
		dag.Source{FS: fstest.MapFS{"d.yaml": {Data: []byte(dagYAML(tasks))}}, Dir: ".", Name: "webbench"})
	if err != nil {
		return nil, err
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	p := &platform{schema: "webbench_" + hex.EncodeToString(b), url: url}
	p.st, err = store.Open(ctx, store.Config{URL: url, Schema: p.schema, MaxConns: 4})
	if err != nil {
		return nil, err
	}
	nowhere := queue.PublisherFunc(func(context.Context, string, []byte) error { return nil })
	p.eng = engine.New(engine.Config{Store: p.st, Publisher: nowhere, Dags: func() *dag.Set { return set }})
	if err := p.eng.SyncDags(ctx); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// close drops the schema.
func (p *platform) close() {
	p.st.Close()
	conn, err := pgx.Connect(context.Background(), p.url)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	_, _ = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+p.schema+" CASCADE")
}

// seed writes runs × tasks finished task instances straight into the
// schema (one statement each), as a year of daily runs would leave them:
// every 7th run failed at its end task, the newest one still running.
func (p *platform) seed(ctx context.Context, runs, tasks int) (time.Duration, error) {
	start := time.Now()
	var hash string
	if err := p.st.Pool.QueryRow(ctx, "SELECT version_hash FROM dag WHERE dag_id = $1", benchDag).Scan(&hash); err != nil {
		return 0, err
	}
	ids := []string{"start"}
	for i := 1; i <= tasks-2; i++ {
		ids = append(ids, fmt.Sprintf("task_%02d", i))
	}
	ids = append(ids, "end")
	_, err := p.st.Pool.Exec(ctx, `
INSERT INTO dag_run (dag_id, run_id, run_type, version_hash, state, logical_date, data_interval_start,
                     data_interval_end, queued_at, started_at, ended_at)
SELECT $1, 'scheduled__' || to_char(d AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'scheduled', $2,
       CASE WHEN g = $3 THEN 'running' WHEN g % 7 = 0 THEN 'failed' ELSE 'success' END,
       d, d, d + interval '1 day', d + interval '1 day', d + interval '1 day 1 minute',
       CASE WHEN g = $3 THEN NULL ELSE d + interval '1 day 9 minutes' END
FROM generate_series(1, $3) AS g, LATERAL (SELECT timestamptz '2022-01-01 01:00:00+00' + (g - 1) * interval '1 day' AS d) x`,
		benchDag, hash, runs)
	if err != nil {
		return 0, fmt.Errorf("error seeding runs: %w", err)
	}
	_, err = p.st.Pool.Exec(ctx, `
INSERT INTO task_instance (run_pk, task_id, dag_id, run_id, function, state, try_number, max_tries,
                           queued_at, started_at, ended_at)
SELECT r.id, t.task_id, r.dag_id, r.run_id, 'noop',
       CASE WHEN r.state = 'running' AND t.n > 1 THEN 'running'
            WHEN r.state = 'failed' AND t.task_id = 'end' THEN 'failed' ELSE 'success' END,
       1, 1, r.started_at, r.started_at + t.n * interval '10 seconds',
       CASE WHEN r.state = 'running' AND t.n > 1 THEN NULL ELSE r.started_at + t.n * interval '10 seconds' + interval '7 seconds' END
FROM dag_run r, unnest($1::text[]) WITH ORDINALITY AS t(task_id, n)
WHERE r.dag_id = $2`, ids, benchDag)
	if err != nil {
		return 0, fmt.Errorf("error seeding task instances: %w", err)
	}
	if _, err := p.st.Pool.Exec(ctx, "ANALYZE dag_run; ANALYZE task_instance"); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
