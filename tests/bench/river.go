package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// River's fetch settings for the tuned peer (the defaults are 100ms and 1s:
// FetchCooldown caps a client at MaxWorkers jobs per cooldown).
const (
	riverTunedCooldown = 2 * time.Millisecond
	riverTunedPoll     = 20 * time.Millisecond
	riverPoolConns     = 20
)

// noopArgs is the River job of the benchmark.
type noopArgs struct{}

func (noopArgs) Kind() string { return "bench_noop" }

// noopWorker does nothing and succeeds, like builtin.Noop.
type noopWorker struct {
	river.WorkerDefaults[noopArgs]
	worked *atomic.Int64
}

func (w *noopWorker) Work(ctx context.Context, job *river.Job[noopArgs]) error {
	w.worked.Add(1)
	return nil
}

// benchRiver inserts o.RiverJobs jobs with InsertMany and measures the
// time until a client with a no-op worker has completed them all.
// cooldown and poll of zero leave River's defaults. calls > 0 inserts the
// jobs with that many InsertMany calls one after another (each its own
// transaction, as the engine's Trigger calls) instead of one; the client
// works the jobs already inserted meanwhile.
func benchRiver(ctx context.Context, o options, cooldown, poll time.Duration, label string, calls int, logf func(string, ...any)) (Result, error) {
	r := Result{Scenario: fmt.Sprintf("%s: %d no-op jobs (InsertMany)", label, o.RiverJobs), Kind: "river", Count: o.RiverJobs, Unit: "jobs"}
	if calls > 0 {
		r.Scenario = fmt.Sprintf("%s: %d no-op jobs, %s InsertMany calls of %d one after another", label, o.RiverJobs, thousands(calls), o.RiverJobs/calls)
		r.Kind = "river-calls"
	} else {
		calls = 1
	}
	schema := newSchema("river")
	defer func() { _ = dropSchema(o.URL, schema) }()
	conn, err := pgx.Connect(ctx, o.URL)
	if err != nil {
		return r, err
	}
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	conn.Close(ctx)
	if err != nil {
		return r, err
	}
	pc, err := pgxpool.ParseConfig(withAppName(o.URL, "bench_river"))
	if err != nil {
		return r, err
	}
	pc.ConnConfig.RuntimeParams["search_path"] = schema
	pc.MaxConns = riverPoolConns
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return r, err
	}
	defer pool.Close()
	quiet := slog.New(slog.DiscardHandler)
	mig, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: quiet})
	if err != nil {
		return r, err
	}
	if _, err := mig.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return r, fmt.Errorf("river migrate: %w", err)
	}
	var worked atomic.Int64
	workers := river.NewWorkers()
	river.AddWorker(workers, &noopWorker{worked: &worked})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.RiverWorker}},
		Workers:           workers,
		FetchCooldown:     cooldown,
		FetchPollInterval: poll,
		Logger:            quiet,
	})
	if err != nil {
		return r, err
	}
	events, cancelSub := client.SubscribeConfig(&river.SubscribeConfig{Kinds: []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed}, ChanSize: o.RiverJobs + 100})
	defer cancelSub()
	if err := client.Start(ctx); err != nil {
		return r, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(sctx)
	}()
	time.Sleep(500 * time.Millisecond) // leader election and LISTEN set up before the clock starts
	params := make([]river.InsertManyParams, o.RiverJobs)
	for i := range params {
		params[i] = river.InsertManyParams{Args: noopArgs{}}
	}
	per := o.RiverJobs / calls
	start := time.Now()
	for i := 0; i < calls; i++ {
		batch := params[i*per : (i+1)*per]
		if i == calls-1 {
			batch = params[i*per:]
		}
		if _, err := client.InsertMany(ctx, batch); err != nil {
			return r, fmt.Errorf("insert: %w", err)
		}
	}
	inserted := time.Since(start)
	timer := time.NewTimer(o.Timeout)
	defer timer.Stop()
	for n := 0; n < o.RiverJobs; {
		select {
		case ev := <-events:
			if ev.Kind != river.EventKindJobCompleted {
				return r, fmt.Errorf("job %d: %s", ev.Job.ID, ev.Kind)
			}
			n++
		case <-timer.C:
			return r, fmt.Errorf("timed out: %d of %d jobs completed", n, o.RiverJobs)
		case <-ctx.Done():
			return r, ctx.Err()
		}
	}
	r.Wall = time.Since(start)
	r.PGCPU, _ = backendCPU(ctx, o.URL, "bench_river")
	var done int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE state = 'completed'").Scan(&done); err != nil {
		return r, err
	}
	if done != o.RiverJobs {
		return r, fmt.Errorf("%d jobs completed in river_job, want %d", done, o.RiverJobs)
	}
	cd, pi := cooldown, poll
	if cd == 0 {
		cd = river.FetchCooldownDefault
	}
	if pi == 0 {
		pi = river.FetchPollIntervalDefault
	}
	r.Config = fmt.Sprintf("MaxWorkers %d, FetchCooldown %s, FetchPollInterval %s, pool %d conns", o.RiverWorker, cd, pi, riverPoolConns)
	if calls == 1 {
		r.Notes = append(r.Notes, fmt.Sprintf("InsertMany of %d jobs took %s; %s", o.RiverJobs, inserted.Round(time.Millisecond), r.Config))
	} else {
		r.Notes = append(r.Notes, fmt.Sprintf("%s InsertMany calls of %d jobs took %s (%.2f ms each), working meanwhile; %s", thousands(calls), per, inserted.Round(time.Millisecond), float64(inserted.Microseconds())/1000/float64(calls), r.Config))
	}
	return r, nil
}
