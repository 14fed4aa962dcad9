// Command webbench measures the web function's grid against its goal
// (issue "Task logs and artifacts on S3, and the web function"): a DAG
// with 1,000 runs × 30 tasks, 1,000 grid requests through the handler
// over real HTTP (loopback), p99 ≤ 50 ms.
//
//	go run ./tests/webbench                        # writes tests/webbench/RESULTS.md
//	go run ./tests/webbench -requests 100 -out ""  # smoke run, no file
//
// The schema is fresh on the local Postgres (DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres) and dropped afterwards.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/lvao/dataplatform/shared/web"
)

type options struct {
	URL      string
	Out      string
	Runs     int
	Tasks    int
	Requests int
	GridRuns int
	Goal     time.Duration
	Profile  string
}

func main() {
	o := options{URL: os.Getenv("DATABASE_URL")}
	if o.URL == "" {
		o.URL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	flag.StringVar(&o.Out, "out", "tests/webbench/RESULTS.md", "where to write the results (empty: stdout only)")
	flag.IntVar(&o.Runs, "runs", 1000, "runs of the DAG")
	flag.IntVar(&o.Tasks, "tasks", 30, "tasks of the DAG")
	flag.IntVar(&o.Requests, "requests", 1000, "requests per endpoint")
	flag.IntVar(&o.GridRuns, "grid-runs", 25, "runs shown by the grid (?runs=)")
	flag.DurationVar(&o.Goal, "goal", 50*time.Millisecond, "p99 goal of the grid page")
	flag.StringVar(&o.Profile, "cpuprofile", "", "write a CPU profile of the timed requests")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "webbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	p, err := openPlatform(ctx, o.URL, o.Tasks)
	if err != nil {
		return fmt.Errorf("%w (is Postgres running? make deps)", err)
	}
	defer p.close()
	seeded, err := p.seed(ctx, o.Runs, o.Tasks)
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d runs × %d tasks in %s (schema %s)\n", o.Runs, o.Tasks, seeded.Round(time.Millisecond), p.schema)

	const password, token = "bench-password", "bench-api-token"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return err
	}
	h := web.New(web.Config{Store: p.st, Engine: p.eng, Users: "bench:" + string(hash),
		SessionKey: "bench-session-key", APITokens: token})
	srv := httptest.NewServer(h)
	defer srv.Close()
	c, err := login(srv.URL, "bench", password)
	if err != nil {
		return err
	}

	grid := fmt.Sprintf("/dags/%s?runs=%d", benchDag, o.GridRuns)
	cells := o.GridRuns * o.Tasks
	endpoints := []endpoint{
		{Name: "grid page (HTML)", Path: grid, Check: func(body string) error {
			if n := strings.Count(body, `<a class="cell `); n != cells {
				return fmt.Errorf("grid shows %d cells, want %d", n, cells)
			}
			return nil
		}},
		{Name: "grid API (JSON, bearer token)", Path: fmt.Sprintf("/api/v1/dags/%s/dagRuns?runs=%d", benchDag, o.GridRuns),
			Header: http.Header{"Authorization": {"Bearer " + token}}},
		{Name: "DAG list page (HTML)", Path: "/"},
	}
	if o.Profile != "" {
		f, err := os.Create(o.Profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var results []result
	for _, e := range endpoints {
		r, err := measure(c, srv.URL, e, o.Requests)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		fmt.Println(r.line())
		results = append(results, r)
	}
	report := render(o, seeded, results)
	if o.Out != "" {
		if err := os.WriteFile(o.Out, []byte(report), 0o644); err != nil {
			return err
		}
		fmt.Println("results written to", o.Out)
	}
	if results[0].P99 > o.Goal {
		fmt.Printf("grid p99 %s is over the goal of %s\n", results[0].P99, o.Goal)
	}
	return nil
}

// render is the RESULTS.md text.
func render(o options, seeded time.Duration, results []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Web function benchmark\n\n")
	fmt.Fprintf(&b, "`go run ./tests/webbench` (`make bench`), %s, %s, %d CPUs, Postgres on loopback.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.NumCPU())
	fmt.Fprintf(&b, "A DAG of %d tasks with %d runs (%d task instances, seeded in %s). Each endpoint is requested %d times,\n",
		o.Tasks, o.Runs, o.Runs*o.Tasks, seeded.Round(time.Millisecond), o.Requests)
	fmt.Fprintf(&b, "one after another, through the web handler on an httptest server (real HTTP, keep-alive), logged in\n")
	fmt.Fprintf(&b, "with a session cookie (the API with a bearer token); the grid shows the latest %d runs.\n\n", o.GridRuns)
	fmt.Fprintf(&b, "| endpoint | p50 | p90 | p99 | max | mean |\n|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.Name, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), ms(r.Mean))
	}
	verdict := "met"
	if results[0].P99 > o.Goal {
		verdict = "**missed**"
	}
	fmt.Fprintf(&b, "\nGoal: grid p99 ≤ %s: %s.\n\n", ms(o.Goal), verdict)
	b.WriteString("The grid costs three queries whatever the DAG's history: the DAG row, the latest N runs\n" +
		"(index `dag_run_by_dag (dag_id, logical_date DESC)`), and their task instances in one\n" +
		"`run_pk = ANY($1)` scan of the `task_instance` primary key; no migration was needed.\n")
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
