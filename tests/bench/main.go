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
	"sort"
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
	// Rounds is how many times the throughput scenarios (wide, chain,
	// backfill, River) run, interleaved; each row keeps its median run.
	Rounds int
}

func defaultOptions() options {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	return options{URL: url, WideTasks: 10000, ChainRuns: 1000, ChainLen: 10, SeqRuns: 100, RiverJobs: 10000,
		InFlight: 100, PoolConns: 20, RiverWorker: 100, // the same concurrency and pool as River
		Timeout:    20 * time.Minute,
		SourceRows: 100000, SourcePage: 10000, Rounds: 3}
}

// quick shrinks the counts for a smoke run.
func (o *options) quick() {
	o.Quick = true
	o.WideTasks, o.ChainRuns, o.SeqRuns, o.RiverJobs = 1000, 100, 5, 1000
	o.SourceRows, o.SourcePage = 10000, 2000
	o.Rounds = 1
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
	flag.IntVar(&o.Rounds, "rounds", o.Rounds, "rounds of the throughput scenarios (wide, chain, backfill, river, river-calls), interleaved; each row keeps its median")
	flag.Parse()
	o.PoolConns = int32(*pool)
	if quick {
		// Explicit counts win over -quick (read before quick() overwrites
		// the variables the flags point to).
		explicit, set := o, map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		o.quick()
		for name, v := range map[string]struct{ dst, src any }{
			"wide": {&o.WideTasks, explicit.WideTasks}, "runs": {&o.ChainRuns, explicit.ChainRuns},
			"seqruns": {&o.SeqRuns, explicit.SeqRuns}, "jobs": {&o.RiverJobs, explicit.RiverJobs},
			"timeout": {&o.Timeout, explicit.Timeout}, "sourcerows": {&o.SourceRows, explicit.SourceRows},
			"sourcepage": {&o.SourcePage, explicit.SourcePage}, "rounds": {&o.Rounds, explicit.Rounds},
		} {
			if !set[name] {
				continue
			}
			switch d := v.dst.(type) {
			case *int:
				*d = v.src.(int)
			case *time.Duration:
				*d = v.src.(time.Duration)
			}
		}
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
	var recordNoted func(r Result, err error)
	record := func(r Result, err error) {
		r.Notes = append(r.Notes, meter.note(rep.NProc, r))
		recordNoted(r, err)
	}
	recordNoted = func(r Result, err error) {
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
	// The throughput scenarios run in interleaved rounds (the machine's
	// speed drifts: each engine row and its River peer meet the same
	// drift), and each row keeps its median run (the rest are noted).
	type scenario struct {
		name, intro string
		run         func() (Result, error)
	}
	var throughput []scenario
	if o.want("wide") {
		throughput = append(throughput, scenario{"wide", fmt.Sprintf("wide DAG: 1 start -> %d parallel -> 1 end, in-process queue (MaxInFlight %d)", o.WideTasks-2, o.InFlight),
			func() (Result, error) { return benchWide(ctx, o, logf) }})
	}
	if o.want("chain") {
		throughput = append(throughput, scenario{"chain", fmt.Sprintf("chain: %d runs x %d tasks, triggered up front", o.ChainRuns, o.ChainLen),
			func() (Result, error) { return benchChain(ctx, o, logf) }})
	}
	if o.want("backfill") {
		throughput = append(throughput, scenario{"backfill", fmt.Sprintf("chain: %d runs x %d tasks, created by one backfill", o.ChainRuns, o.ChainLen),
			func() (Result, error) { return benchBackfill(ctx, o, logf) }})
	}
	if o.want("river") {
		throughput = append(throughput, scenario{"river", fmt.Sprintf("River: %d jobs, MaxWorkers %d, FetchCooldown %s, FetchPollInterval %s", o.RiverJobs, o.RiverWorker, riverTunedCooldown, riverTunedPoll),
			func() (Result, error) {
				return benchRiver(ctx, o, riverTunedCooldown, riverTunedPoll, "River (tuned fetch)", 0, logf)
			}})
	}
	if o.want("river-calls") {
		throughput = append(throughput, scenario{"river-calls", fmt.Sprintf("River: %d jobs inserted by %d InsertMany calls (the peer of %d Trigger calls of a %d-task chain)", o.RiverJobs, o.ChainRuns, o.ChainRuns, o.ChainLen),
			func() (Result, error) {
				return benchRiver(ctx, o, riverTunedCooldown, riverTunedPoll, "River (tuned fetch)", o.ChainRuns, logf)
			}})
	}
	type attempt struct {
		r   Result
		err error
	}
	rounds := max(o.Rounds, 1)
	runs := make([][]attempt, len(throughput))
	for round := 1; round <= rounds; round++ {
		for i, sc := range throughput {
			logf("%s (round %d of %d)", sc.intro, round, rounds)
			m := startCPU()
			r, err := sc.run()
			r.Notes = append(r.Notes, m.note(rep.NProc, r))
			runs[i] = append(runs[i], attempt{r, err})
			if err != nil {
				logf("%s: round %d FAILED: %v", r.Scenario, round, err)
			} else {
				logf("%s: round %d: %d in %s (%.0f/s)", r.Scenario, round, r.Count, r.Wall.Round(time.Millisecond), r.Throughput())
			}
		}
	}
	for i := range throughput {
		var ok []attempt
		for _, a := range runs[i] {
			if a.err != nil {
				recordNoted(a.r, a.err) // a failed round is reported as such
				ok = nil
				break
			}
			ok = append(ok, a)
		}
		if len(ok) == 0 {
			continue
		}
		sort.Slice(ok, func(a, b int) bool { return ok[a].r.Wall < ok[b].r.Wall })
		med := ok[len(ok)/2].r
		if len(ok) > 1 {
			walls := make([]string, len(ok))
			for k, a := range ok {
				walls[k] = fmt.Sprintf("%s (%.0f/s)", a.r.Wall.Round(time.Millisecond), a.r.Throughput())
			}
			med.Notes = append([]string{fmt.Sprintf("median of %d interleaved rounds: %s", len(ok), strings.Join(walls, ", "))}, med.Notes...)
		}
		recordNoted(med, nil)
	}
	if o.want("seq") {
		logf("chain, unloaded: %d runs x %d tasks, one after another", o.SeqRuns, o.ChainLen)
		meter = startCPU()
		record(benchSeq(ctx, o, logf))
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
