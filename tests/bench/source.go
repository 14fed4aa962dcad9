package main

// The source ingestion benchmark (issue "LVAO source ingestion"): generated
// rows of the eo-ecosystem data-fair dataset through the whole source DAG
// (download → normalize → validate → keep_acteur_changed → db_data_prepare
// → write suggestions), run by the local harness in this process, against
// a plain COPY of the same rows into Postgres as the bound.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"runtime/metrics"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/local/sample"
	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/webapp"
)

// Goals of the issue "LVAO source ingestion".
const (
	goalSourceCopyRatio = 3.0
	goalSourceRSS       = 300 << 20
	sourceDag           = "eo-ecosystem"
	sourcePGApp         = "bench_source"
)

// sourceSteps are the DAG's tasks in order (LVAO's chain).
var sourceSteps = []string{"source_config_validate", "source_data_download", "source_data_normalize",
	"source_data_validate", "keep_acteur_changed", "db_data_prepare", "db_write_type_action_suggestions"}

// wantSource tells whether a source scenario runs: all of them in a full
// run, in a -quick run only when -only names them (the quick run stays
// the engine's smoke test).
func (o *options) wantSource(name string) bool {
	if o.Only == "" {
		return !o.Quick
	}
	return o.want(name)
}

// sourceStep is one task of the run.
type sourceStep struct {
	Task    string
	Wall    time.Duration
	PeakRSS int64 // highest sampled VmRSS while the task ran
	Result  string
}

// sourceRun is one source scenario's details, for the report's section.
type sourceRun struct {
	Scenario string
	Existing int // acteurs of the source already in qfdmo_acteur
	Rows     int
	Pages    int64
	Bytes    int64 // JSON served by the data-fair server
	Wall     time.Duration
	Steps    []sourceStep
	Gaps     time.Duration // wall time outside the tasks (queue, engine, trigger)
	PeakRSS  int64         // VmHWM after the run (reset before)
	BaseRSS  int64         // VmRSS when the run started
	HWMReset bool
	Alloc    uint64 // bytes allocated on the Go heap during the run
	NumGC    uint32
	CPU      time.Duration // this process's CPU during the run
	PGCPU    time.Duration // the harness's Postgres backends' CPU
	Groups   string        // suggestion groups by action
	Counts   string
	Copy     copyResult
	Out      *outputCopy // COPY of the written groups and units (the write step's floor)
	Err      string
}

// sourceRuns are the source scenarios run, in order, for sourceMarkdown.
var sourceRuns []*sourceRun

// benchSource runs one source scenario: the COPY bound, then the pipeline
// in fresh platform and webapp schemas (dropped afterwards). existing is
// the share of the rows whose acteur is already in qfdmo_acteur (with
// another name: a MODIF suggestion each).
func benchSource(ctx context.Context, o options, existing float64, logf func(string, ...any)) (Result, error) {
	what := "all creations"
	if existing > 0 {
		what = fmt.Sprintf("%.0f%% existing acteurs", existing*100)
	}
	sr := &sourceRun{Rows: o.SourceRows, Existing: int(float64(o.SourceRows) * existing)}
	sr.Scenario = fmt.Sprintf("Source %s: %s generated data-fair rows → suggestions (%s)", sourceDag, thousands(o.SourceRows), what)
	sourceRuns = append(sourceRuns, sr)
	res := Result{Scenario: sr.Scenario, Kind: "source", Count: o.SourceRows, Unit: "rows",
		Config: fmt.Sprintf("local harness in-process, data-fair pages of %s rows", thousands(o.SourcePage))}
	fail := func(err error) (Result, error) {
		sr.Err = err.Error()
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	// The bound: COPY of the same rows.
	logf("source: COPY of the same %s rows into a table of text columns", thousands(o.SourceRows))
	cp, err := copyBound(ctx, o, o.SourceRows)
	if err != nil {
		return fail(err)
	}
	sr.Copy = cp
	logf("source: COPY took %s (%.0f rows/s)", cp.Wall.Round(time.Millisecond), float64(o.SourceRows)/cp.Wall.Seconds())
	res.Extra = &Result{Scenario: fmt.Sprintf("COPY bound: the same %s rows, pgx CopyFrom into a table of %d text columns", thousands(o.SourceRows), len(sample.Columns)),
		Kind: "copy", Count: o.SourceRows, Unit: "rows", Wall: cp.Wall, PGCPU: cp.PGCPU}

	// The pipeline.
	df := &sample.DataFair{Rows: o.SourceRows, PageSize: o.SourcePage}
	srv := httptest.NewServer(df)
	defer srv.Close()
	dataURL := srv.URL + "/data-fair/api/v1/datasets/donnees-eo-ecosystem"
	platSchema, webSchema := newSchema("srcplat"), newSchema("srcweb")
	defer func() {
		for _, s := range []string{platSchema, webSchema} {
			if err := dropSchema(o.URL, s); err != nil {
				logf("source: drop schema %s: %v", s, err)
			}
		}
	}()
	s3Dir, err := os.MkdirTemp("", "bench-source-s3-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(s3Dir)
	env := map[string]string{"DATABASE_URL": withAppName(o.URL, sourcePGApp), "DATABASE_SCHEMA": platSchema,
		"WEBAPP_DATABASE_SCHEMA": webSchema}
	setup := time.Now()
	// NoSchedule: the scheduled DAGs (compute_acteurs, apply_suggestions…)
	// would otherwise start with the harness and work on the same webapp
	// schema during the seeding (a deadlock with its INSERT) and the run.
	h, err := harness.Start(ctx, harness.Config{Env: harness.MapEnv(env), S3Dir: s3Dir, Tick: 500 * time.Millisecond, NoSchedule: true})
	if err != nil {
		return fail(fmt.Errorf("harness: %w", err))
	}
	defer h.Close()
	pcfg, err := pgxpool.ParseConfig(withAppName(o.URL, "bench_source_check"))
	if err != nil {
		return fail(err)
	}
	webapp.ConfigurePool(pcfg, webSchema)
	pcfg.MaxConns = 2
	web, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return fail(err)
	}
	defer web.Close()
	if sr.Existing > 0 {
		if err := seedActeurs(ctx, web, o.SourceRows, sr.Existing); err != nil {
			return fail(fmt.Errorf("seed acteurs: %w", err))
		}
	}
	res.Notes = append(res.Notes, fmt.Sprintf("setup (harness start: migrations, webapp schema, S3%s) took %s, not counted",
		map[bool]string{true: fmt.Sprintf(", %s existing acteurs inserted", thousands(sr.Existing)), false: ""}[sr.Existing > 0],
		time.Since(setup).Round(time.Millisecond)))

	// Measure from here: memory, CPU, Postgres CPU.
	sr.HWMReset = resetPeakRSS()
	sr.BaseRSS = procStatus("VmRSS")
	ms0 := readGoMem()
	cpu0 := selfCPU()
	pg0, _ := backendCPU(ctx, o.URL, sourcePGApp)
	sampler := startRSSSampler(50*time.Millisecond, o.SourceHeap)
	logf("source: triggering %s (%s rows, pages of %s; RSS now %s)", sourceDag, thousands(o.SourceRows), thousands(o.SourcePage), mb(sr.BaseRSS))
	start := time.Now()
	run, _, err := h.Deps.Engine.Trigger(ctx, engine.TriggerParams{DagID: sourceDag, IgnorePause: true, Conf: map[string]any{
		"endpoint": dataURL + fmt.Sprintf("/lines?size=%d", o.SourcePage), "metadata_endpoint": dataURL + "/schema"}})
	if err != nil {
		sampler.Stop()
		return fail(fmt.Errorf("trigger: %w", err))
	}
	doc, err := waitRun(ctx, h, run.RunID)
	end := time.Now()
	samples := sampler.Stop()
	if doc.EndedAt != nil && doc.EndedAt.After(start) && doc.EndedAt.Before(end) {
		end = *doc.EndedAt
	}
	sr.Wall = end.Sub(start)
	sr.CPU = selfCPU() - cpu0
	pg1, _ := backendCPU(ctx, o.URL, sourcePGApp)
	sr.PGCPU = pg1 - pg0
	sr.PeakRSS = procStatus("VmHWM")
	ms1 := readGoMem()
	sr.Alloc, sr.NumGC = ms1.alloc-ms0.alloc, ms1.gcs-ms0.gcs
	sr.Pages, sr.Bytes = df.Pages.Load(), df.Bytes.Load()
	res.Wall, res.PGCPU = sr.Wall, sr.PGCPU
	if err != nil {
		return fail(err)
	}
	var inTasks time.Duration
	byID := map[string]engine.TaskDoc{}
	for _, t := range doc.Tasks {
		byID[t.TaskID] = t
	}
	for _, id := range sourceSteps {
		t, ok := byID[id]
		st := sourceStep{Task: id}
		if ok && t.StartedAt != nil && t.EndedAt != nil {
			st.Wall = t.EndedAt.Sub(*t.StartedAt)
			st.PeakRSS = peakBetween(samples, *t.StartedAt, *t.EndedAt)
			inTasks += st.Wall
		}
		if ok {
			st.Result = compactJSON(t.Result)
			if t.State != "success" {
				st.Result = t.State + ": " + t.Error
			}
		}
		sr.Steps = append(sr.Steps, st)
	}
	sr.Gaps = sr.Wall - inTasks
	if doc.State != "success" {
		var failed []string
		for _, t := range doc.Tasks {
			if t.State != "success" {
				failed = append(failed, fmt.Sprintf("%s %s %s", t.TaskID, t.State, t.Error))
			}
		}
		return fail(fmt.Errorf("run %s ended %s: %s", run.RunID, doc.State, strings.Join(failed, "; ")))
	}
	sr.Groups, sr.Counts = suggestionCounts(ctx, web)
	wantGroups := fmt.Sprintf("AJOUT=%d", o.SourceRows-sr.Existing)
	if sr.Existing > 0 {
		wantGroups += fmt.Sprintf(" MODIF=%d", sr.Existing)
	}
	if sr.Groups != wantGroups {
		return fail(fmt.Errorf("suggestion groups %q, want %q (%s)", sr.Groups, wantGroups, sr.Counts))
	}
	logf("source: COPY of the rows written (groups and units) back into copies of their tables, the write step's floor")
	if oc, err := outputCopyBound(ctx, o, webSchema); err != nil {
		logf("source: output COPY: %v", err)
	} else {
		sr.Out = &oc
		logf("source: output COPY: %s rows (%s binary) in %s without indexes, %s with the tables' indexes, %s with indexes and foreign keys", thousands(int(oc.Rows)), mb(oc.Bytes),
			durOr(oc.Plain, oc.PlainErr), durOr(oc.WithIndexes, oc.IndexesErr), durOr(oc.WithFKs, oc.WithFKsErr))
	}
	ratio := sr.Wall.Seconds() / cp.Wall.Seconds()
	logf("source: %s rows in %s (%.0f rows/s), %.1f× COPY; peak RSS %s; %s", thousands(o.SourceRows), sr.Wall.Round(time.Millisecond),
		float64(o.SourceRows)/sr.Wall.Seconds(), ratio, mb(sr.PeakRSS), sr.Counts)
	for _, st := range sr.Steps {
		logf("  %-34s %10s  peak RSS %7s  %s", st.Task, st.Wall.Round(time.Millisecond), mbOr(st.PeakRSS), trunc(st.Result, 160))
	}
	res.Notes = append(res.Notes,
		fmt.Sprintf("%.1f× the COPY bound (%s); peak RSS (VmHWM) %s, RSS at trigger %s", ratio, ms(cp.Wall), mb(sr.PeakRSS), mb(sr.BaseRSS)),
		fmt.Sprintf("written: %s (groups by action: %s)", sr.Counts, sr.Groups),
		fmt.Sprintf("run only: this process %.2f s CPU (%.3f ms per row), the harness's Postgres backends %.2f s (%.3f ms per row); Go heap allocated %s over %d GCs",
			sr.CPU.Seconds(), float64(sr.CPU)/float64(time.Millisecond)/float64(sr.Rows), sr.PGCPU.Seconds(),
			float64(sr.PGCPU)/float64(time.Millisecond)/float64(sr.Rows), mb(int64(sr.Alloc)), sr.NumGC))
	if oc := sr.Out; oc != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("the write step's floor: COPY of the %s group and unit rows written into copies of their tables took %s without indexes, %s with their indexes, %s with their indexes and deferred foreign keys",
			thousands(int(oc.Rows)), durOr(oc.Plain, oc.PlainErr), durOr(oc.WithIndexes, oc.IndexesErr), durOr(oc.WithFKs, oc.WithFKsErr)))
	}
	return res, nil
}

// waitRun reads the run until it ends.
func waitRun(ctx context.Context, h *harness.Platform, runID string) (engine.RunDoc, error) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			doc, _ := h.Deps.Engine.GetRun(context.Background(), sourceDag, runID)
			var states []string
			for _, t := range doc.Tasks {
				states = append(states, t.TaskID+"="+t.State)
			}
			return doc, fmt.Errorf("run %s did not end: %v (%s)", runID, ctx.Err(), strings.Join(states, " "))
		case <-tick.C:
		}
		doc, err := h.Deps.Engine.GetRun(ctx, sourceDag, runID)
		if err == nil && (doc.State == "success" || doc.State == "failed") {
			return doc, nil
		}
	}
}

// seedActeurs inserts ACTIF acteurs of the ecosystem source for n of the
// rows' ids, spread evenly (every rows/n-th), with another name than the
// rows': each becomes a MODIF suggestion.
func seedActeurs(ctx context.Context, web *pgxpool.Pool, rows, n int) error {
	step := float64(rows) / float64(n)
	_, err := web.Exec(ctx, `INSERT INTO qfdmo_acteur (identifiant_unique, nom, acteur_type_id, adresse,
		code_postal, ville, location, source_id, identifiant_externe, statut, public_accueilli, reprise, lieu_prestation)
		SELECT 'ecosystem_' || ext, 'Ancien nom', (SELECT id FROM qfdmo_acteurtype WHERE code = 'commerce'), '1 rue de la Paix', '75002',
		'Paris', ST_SetSRID(ST_MakePoint(2.33, 48.86), 4326)::geography, (SELECT id FROM qfdmo_source WHERE code = 'ecosystem'),
		ext, 'ACTIF', '', '', 'SUR_PLACE'
		FROM (SELECT 'B' || lpad(floor(k * $2::float8)::int::text, 7, '0') AS ext FROM generate_series(0, $1::int - 1) k) s`, n, step)
	if err != nil {
		return err
	}
	_, err = web.Exec(ctx, "ANALYZE qfdmo_acteur")
	return err
}

// suggestionCounts returns the suggestion groups by action ("AJOUT=n
// MODIF=m") and the rows of each suggestion table.
func suggestionCounts(ctx context.Context, web *pgxpool.Pool) (groups, counts string) {
	rows, err := web.Query(ctx, `SELECT split_part(c.identifiant_action, ' - ', 2), count(g.id)
		FROM data_suggestioncohorte c LEFT JOIN data_suggestiongroupe g ON g.suggestion_cohorte_id = c.id
		GROUP BY 1`)
	if err != nil {
		return "error: " + err.Error(), ""
	}
	var parts []string
	for rows.Next() {
		var a string
		var n int
		_ = rows.Scan(&a, &n)
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", a, n))
		}
	}
	rows.Close()
	sort.Strings(parts)
	var c []string
	for _, t := range []struct{ table, name string }{{"data_suggestioncohorte", "cohorts"}, {"data_suggestiongroupe", "groups"},
		{"data_suggestionunitaire", "units"}, {"data_suggestionlog", "logs"}} {
		var n int
		if err := web.QueryRow(ctx, "SELECT count(*) FROM "+t.table).Scan(&n); err != nil {
			c = append(c, t.name+"=?")
			continue
		}
		c = append(c, fmt.Sprintf("%s=%s", t.name, thousands(n)))
	}
	return strings.Join(parts, " "), strings.Join(c, " ")
}

type goMem struct {
	alloc uint64
	gcs   uint32
}

func readGoMem() goMem {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	var m goMem
	if s[0].Value.Kind() == metrics.KindUint64 {
		m.alloc = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		m.gcs = uint32(s[1].Value.Uint64())
	}
	return m
}

// compactJSON shows a task's result on one line, long lists shortened
// to their length.
func compactJSON(b json.RawMessage) string {
	if len(b) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	var shorten func(v any) any
	shorten = func(v any) any {
		switch v := v.(type) {
		case []any:
			if len(v) > 4 {
				return fmt.Sprintf("[%d items]", len(v))
			}
			for i := range v {
				v[i] = shorten(v[i])
			}
		case map[string]any:
			for k := range v {
				v[k] = shorten(v[k])
			}
		}
		return v
	}
	out, _ := json.Marshal(shorten(v))
	return string(out)
}

func durOr(d time.Duration, err string) string {
	if err != "" {
		return "failed (" + err + ")"
	}
	return ms(d)
}

func mbOr(n int64) string {
	if n <= 0 {
		return "—"
	}
	return mb(n)
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// sourceMarkdown is the report's section of the source scenarios ("" when
// none ran).
func sourceMarkdown(o options) string {
	if len(sourceRuns) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n# Source ingestion benchmark (issue \"LVAO source ingestion\")\n\n")
	fmt.Fprintf(&b, "Generated rows of the eo-ecosystem data-fair dataset (its real %d columns; distinct ids, names, coordinates, addresses; products among \"Cartouches\", \"Chaussure\", \"Cartouches | Chaussure\"; acteur type \"Artisan, commerce indépendant\"), served by a local data-fair server in pages of %s rows with `next` links, through the whole `%s` DAG run by the local harness in this process (`harness.Start`: functions behind its HTTP emulator, in-process queue, embedded S3 on disk, tick 500 ms), triggered with `Engine.Trigger` and timed until the run's end. The bound is a plain COPY of the same rows (the same generator) into a table of text columns with pgx `CopyFrom`. Each scenario runs in fresh platform and webapp schemas, dropped afterwards.\n\n",
		len(sample.Columns), thousands(o.SourcePage), sourceDag)
	b.WriteString("| Scenario | Rows | Pipeline wall time | Rows/s | COPY bound | Ratio to COPY | Peak RSS (VmHWM) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range sourceRuns {
		if r.Err != "" {
			fmt.Fprintf(&b, "| %s | %s | did not finish: %s | | | | |\n", r.Scenario, thousands(r.Rows), strings.ReplaceAll(trunc(r.Err, 300), "|", "/"))
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s (%s rows/s) | %.1f× | %s |\n", r.Scenario, thousands(r.Rows), ms(r.Wall),
			thousands(int(float64(r.Rows)/r.Wall.Seconds()+0.5)), ms(r.Copy.Wall), thousands(int(float64(r.Rows)/r.Copy.Wall.Seconds()+0.5)),
			r.Wall.Seconds()/r.Copy.Wall.Seconds(), mb(r.PeakRSS))
	}
	for _, r := range sourceRuns {
		if r.Err != "" || len(r.Steps) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s: per step\n\n", r.Scenario)
		b.WriteString("| Step | Wall time | Share | Rows/s | Peak RSS (sampled) | Result |\n| --- | ---: | ---: | ---: | ---: | --- |\n")
		for _, st := range r.Steps {
			rate := ""
			if st.Wall > 0 && st.Task != "source_config_validate" {
				rate = thousands(int(float64(r.Rows)/st.Wall.Seconds() + 0.5))
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f%% | %s | %s | `%s` |\n", st.Task, ms(st.Wall), 100*st.Wall.Seconds()/r.Wall.Seconds(), rate,
				mbOr(st.PeakRSS), strings.ReplaceAll(trunc(st.Result, 200), "|", "/"))
		}
		fmt.Fprintf(&b, "| between tasks (trigger, queue, engine, HTTP) | %s | %.0f%% | | | |\n", ms(r.Gaps), 100*r.Gaps.Seconds()/r.Wall.Seconds())
		fmt.Fprintf(&b, "\nWritten: %s; groups by action: %s. Data-fair server: %d pages, %s of JSON. RSS when triggered %s, peak (VmHWM) %s. Run only: this process %.2f s CPU (%.3f ms/row), the harness's Postgres backends %.2f s (%.3f ms/row); Go heap allocated %s over %d GCs. COPY: %s, its backend %.2f s CPU, table %s.\n",
			r.Counts, r.Groups, r.Pages, mb(r.Bytes), mb(r.BaseRSS), mb(r.PeakRSS),
			r.CPU.Seconds(), float64(r.CPU)/float64(time.Millisecond)/float64(r.Rows), r.PGCPU.Seconds(), float64(r.PGCPU)/float64(time.Millisecond)/float64(r.Rows),
			mb(int64(r.Alloc)), r.NumGC, ms(r.Copy.Wall), r.Copy.PGCPU.Seconds(), mb(r.Copy.Bytes))
		if oc := r.Out; oc != nil {
			fmt.Fprintf(&b, "\nThe write step's floor: the %s group and unit rows written (%s of binary COPY data), COPYed back into copies of their tables, take %s without indexes, %s with the tables' indexes and CHECKs, %s with their deferred foreign keys as well (tables like the real ones); the write step took %s.\n",
				thousands(int(oc.Rows)), mb(oc.Bytes), durOr(oc.Plain, oc.PlainErr), durOr(oc.WithIndexes, oc.IndexesErr), durOr(oc.WithFKs, oc.WithFKsErr), ms(r.Steps[len(r.Steps)-1].Wall))
		}
		if !r.HWMReset {
			b.WriteString("\nThe peak could not be reset before the run (/proc/self/clear_refs): VmHWM may be an earlier scenario's.\n")
		}
	}
	b.WriteString("\n## Source goals\n\n| Goal | Measured | Status |\n| --- | --- | --- |\n")
	for _, r := range sourceRuns {
		if r.Err != "" {
			fmt.Fprintf(&b, "| Within %.0f× of COPY's time: %s | did not finish | **not met** |\n", goalSourceCopyRatio, r.Scenario)
			continue
		}
		ratio := r.Wall.Seconds() / r.Copy.Wall.Seconds()
		fmt.Fprintf(&b, "| Within %.0f× of COPY's time: %s | %s vs %s = %.1f× | %s |\n", goalSourceCopyRatio, r.Scenario, ms(r.Wall), ms(r.Copy.Wall), ratio, yesNo(ratio <= goalSourceCopyRatio))
		fmt.Fprintf(&b, "| Peak RSS ≤ %s: %s | %s | %s |\n", mb(goalSourceRSS), r.Scenario, mb(r.PeakRSS), yesNo(r.PeakRSS <= goalSourceRSS))
	}
	b.WriteString(`
Method and caveats:

- Wall time: from the ` + "`Trigger`" + ` call to the run's ` + "`ended_at`" + ` (the run is polled every 200 ms). Harness start, schema creation and seeding are not counted. Per-step times are each task's ` + "`started_at`" + ` → ` + "`ended_at`" + ` from the run document; "between tasks" is the rest (trigger, queue hand-offs through the harness's HTTP emulator, the engine's completion transactions, the first task's delivery).
- Peak RSS is the process's VmHWM from /proc/self/status, reset (` + "`echo 5 > /proc/self/clear_refs`" + `, after returning free heap to the OS) just before the trigger. The harness runs in-process, so it is the pipeline's memory plus the harness's (engine, store pools, queue, HTTP emulator, embedded S3 — gofakes3 on disk) plus the local data-fair server's (it generates each page on the fly) and the benchmark's. Deployed, each step runs in its own function (memoryLimit 1024–2048 MB in serverless.yml), so one step's memory is an upper bound of the deployed function's. The per-step peak is the highest VmRSS sampled every 50 ms while the task ran.
- CPU and Postgres CPU are read from /proc (this process's rusage; the backends whose application_name is the harness's). The machine has 2 cores shared with Postgres and other work, so figures vary between runs.
- ` + "`go run . -only source -sourcerows 100000 -cpuprofile cpu.out`" + ` profiles the pipeline (` + "`go tool pprof -top cpu.out`" + `); ` + "`-only source,source-existing`" + ` runs both variants; ` + "`-quick -only source`" + ` is a 10,000-row smoke run.
`)
	return b.String()
}
