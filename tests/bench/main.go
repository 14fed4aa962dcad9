// Command bench measures the engine against its goals (issue "Engine"):
// throughput of no-op tasks through the in-process queue, task-to-task
// latency, and River (a Postgres job queue) on the same machine as the peer.
//
//	cd tests/bench && go run . -out RESULTS.md     # full run (make bench)
//	cd tests/bench && go run . -quick              # smoke run, 1,000 tasks
//
// Every scenario gets a fresh schema on the local Postgres (DATABASE_URL,
// default postgres://postgres@127.0.0.1:5432/postgres), dropped afterwards.
// This is its own module so that River stays out of the platform's go.mod.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"time"
)

// options are the command-line settings.
type options struct {
	URL         string
	Out         string
	Quick       bool
	WideTasks   int           // tasks of the wide DAG (1 start + N-2 parallel + 1 end)
	ChainRuns   int           // runs of the 10-task chain
	ChainLen    int           // tasks per chain run
	SeqRuns     int           // chain runs one after another (unloaded latency)
	RiverJobs   int           // River jobs
	InFlight    int           // queue.MemoryConfig.MaxInFlight (per function)
	PoolConns   int32         // engine store pool size
	RiverWorker int           // River MaxWorkers
	Timeout     time.Duration // per scenario
	Only        string        // comma-separated scenarios; empty: all
	CPUProfile  string
	PGWait      bool   // sample pg_stat_activity during engine scenarios
	Trace       bool   // count and time the engine's statements
	SourceRows  int    // generated rows of the source scenarios
	SourcePage  int    // data-fair page size of the source scenarios
	SourceHeap  string // write a Go heap profile at the source run's peak RSS
}

func defaultOptions() options {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	return options{URL: url, WideTasks: 10000, ChainRuns: 1000, ChainLen: 10, SeqRuns: 100, RiverJobs: 10000,
		InFlight: 100, PoolConns: 20, RiverWorker: 100, // the same concurrency and pool as River
		Timeout:    20 * time.Minute,
		SourceRows: 100000, SourcePage: 10000}
}

// quick shrinks the counts for a smoke run.
func (o *options) quick() {
	o.Quick = true
	o.WideTasks, o.ChainRuns, o.SeqRuns, o.RiverJobs = 1000, 100, 5, 1000
	o.SourceRows, o.SourcePage = 10000, 2000
	if o.Timeout > 3*time.Minute {
		o.Timeout = 3 * time.Minute
	}
}

func (o *options) want(name string) bool {
	if o.Only == "" {
		return true
	}
	for _, s := range strings.Split(o.Only, ",") {
		if strings.TrimSpace(s) == name {
			return true
		}
	}
	return false
}

func main() {
	o := defaultOptions()
	var quick bool
	flag.StringVar(&o.Out, "out", "", "write the Markdown report to this file (overwritten) as well as stdout")
	flag.BoolVar(&quick, "quick", false, "smoke run: 1,000 tasks, 100 chain runs, 1,000 River jobs")
	flag.StringVar(&o.URL, "db", o.URL, "Postgres URL (default $DATABASE_URL or the local server)")
	flag.IntVar(&o.WideTasks, "wide", o.WideTasks, "tasks of the wide DAG")
	flag.IntVar(&o.ChainRuns, "runs", o.ChainRuns, "runs of the chain DAG")
	flag.IntVar(&o.SeqRuns, "seqruns", o.SeqRuns, "chain runs one after another for the unloaded latency")
	flag.IntVar(&o.RiverJobs, "jobs", o.RiverJobs, "River jobs")
	flag.IntVar(&o.InFlight, "inflight", o.InFlight, "in-process queue MaxInFlight per function")
	pool := flag.Int("pool", int(o.PoolConns), "engine store pool size")
	flag.IntVar(&o.RiverWorker, "riverworkers", o.RiverWorker, "River MaxWorkers")
	flag.DurationVar(&o.Timeout, "timeout", o.Timeout, "time limit of one scenario")
	flag.StringVar(&o.Only, "only", "", "run only these scenarios: wide,chain,backfill,seq,river,river-calls,river-default,source,source-existing")
	flag.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.BoolVar(&o.PGWait, "pgwait", false, "sample pg_stat_activity during engine scenarios and print where backends wait")
	flag.BoolVar(&o.Trace, "trace", false, "count and time the engine's SQL statements (client-side pgx tracer)")
	flag.IntVar(&o.SourceRows, "sourcerows", o.SourceRows, "generated rows of the source scenarios")
	flag.IntVar(&o.SourcePage, "sourcepage", o.SourcePage, "data-fair page size of the source scenarios")
	flag.StringVar(&o.SourceHeap, "sourceheap", "", "write a Go heap profile taken at the source run's peak RSS to this file")
	flag.Parse()
	o.PoolConns = int32(*pool)
	if quick {
		o.quick()
		flag.Visit(func(f *flag.Flag) { // explicit counts win over -quick
			switch f.Name {
			case "wide":
				fmt.Sscan(f.Value.String(), &o.WideTasks)
			case "runs":
				fmt.Sscan(f.Value.String(), &o.ChainRuns)
			case "seqruns":
				fmt.Sscan(f.Value.String(), &o.SeqRuns)
			case "jobs":
				fmt.Sscan(f.Value.String(), &o.RiverJobs)
			case "timeout":
				fmt.Sscan(f.Value.String(), &o.Timeout)
			case "sourcerows":
				fmt.Sscan(f.Value.String(), &o.SourceRows)
			case "sourcepage":
				fmt.Sscan(f.Value.String(), &o.SourcePage)
			}
		})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	rep, err := Run(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if rep == nil {
			pprof.StopCPUProfile()
			os.Exit(1)
		}
	}
	md := rep.Markdown() + sourceMarkdown(rep.Opts) + webResults()
	fmt.Print(md)
	if o.Out != "" {
		if err := os.WriteFile(o.Out, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "bench: report written to %s\n", o.Out)
	}
}

// Run runs the selected scenarios and returns the report; progress goes
// to logw. A scenario that fails is recorded in the report and the others
// still run; err reports the first failure.
func Run(ctx context.Context, o options, logw io.Writer) (*Report, error) {
	rep, err := newReport(ctx, o)
	if err != nil {
		return nil, err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(logw, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	var first error
	var meter cpuMeter
	record := func(r Result, err error) {
		r.Notes = append(r.Notes, meter.note(rep.NProc, r))
		if err != nil {
			r.Err = err.Error()
			logf("%s: FAILED: %v", r.Scenario, err)
			if first == nil {
				first = fmt.Errorf("%s: %w", r.Scenario, err)
			}
		} else {
			logf("%s: %d in %s (%.0f/s)%s", r.Scenario, r.Count, r.Wall.Round(time.Millisecond), r.Throughput(), r.latencyText())
		}
		for _, n := range r.Notes {
			logf("  %s", n)
		}
		extra := r.Extra
		r.Extra = nil
		rep.Results = append(rep.Results, r)
		if extra != nil && r.Err == "" {
			logf("%s: %d in %s (%.0f/s)", extra.Scenario, extra.Count, extra.Wall.Round(time.Millisecond), extra.Throughput())
			rep.Results = append(rep.Results, *extra)
		}
	}
	if o.want("wide") {
		logf("wide DAG: 1 start -> %d parallel -> 1 end, in-process queue (MaxInFlight %d)", o.WideTasks-2, o.InFlight)
		meter = startCPU()
		record(benchWide(ctx, o, logf))
	}
	if o.want("chain") {
		logf("chain: %d runs x %d tasks, triggered up front", o.ChainRuns, o.ChainLen)
		meter = startCPU()
		record(benchChain(ctx, o, logf))
	}
	if o.want("backfill") {
		logf("chain: %d runs x %d tasks, created by one backfill", o.ChainRuns, o.ChainLen)
		meter = startCPU()
		record(benchBackfill(ctx, o, logf))
	}
	if o.want("seq") {
		logf("chain, unloaded: %d runs x %d tasks, one after another", o.SeqRuns, o.ChainLen)
		meter = startCPU()
		record(benchSeq(ctx, o, logf))
	}
	if o.want("river") {
		logf("River: %d jobs, MaxWorkers %d, FetchCooldown %s, FetchPollInterval %s", o.RiverJobs, o.RiverWorker, riverTunedCooldown, riverTunedPoll)
		meter = startCPU()
		record(benchRiver(ctx, o, riverTunedCooldown, riverTunedPoll, "River (tuned fetch)", 0, logf))
	}
	if o.want("river-calls") {
		logf("River: %d jobs inserted by %d InsertMany calls (the peer of %d Trigger calls of a %d-task chain)", o.RiverJobs, o.ChainRuns, o.ChainRuns, o.ChainLen)
		meter = startCPU()
		record(benchRiver(ctx, o, riverTunedCooldown, riverTunedPoll, "River (tuned fetch)", o.ChainRuns, logf))
	}
	if o.want("river-default") {
		logf("River: %d jobs, MaxWorkers %d, default fetch settings", o.RiverJobs, o.RiverWorker)
		meter = startCPU()
		record(benchRiver(ctx, o, 0, 0, "River (default fetch)", 0, logf))
	}
	if o.wantSource("source") {
		logf("source: %s generated eo-ecosystem rows through the source DAG (all creations), and COPY of the same rows", thousands(o.SourceRows))
		meter = startCPU()
		record(benchSource(ctx, o, 0, logf))
	}
	if o.wantSource("source-existing") {
		logf("source: %s generated eo-ecosystem rows through the source DAG (50%% existing acteurs), and COPY of the same rows", thousands(o.SourceRows))
		meter = startCPU()
		record(benchSource(ctx, o, 0.5, logf))
	}
	rep.Finished = time.Now()
	return rep, first
}
