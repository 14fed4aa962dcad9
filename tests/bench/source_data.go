package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lvao/dataplatform/local/sample"
)

// copyResult is the COPY bound's outcome.
type copyResult struct {
	Wall  time.Duration
	PGCPU time.Duration
	Bytes int64 // table size after the COPY
}

// copyBound COPYs the same generated rows into a fresh table of text
// columns (pgx CopyFrom: the binary COPY protocol) in a schema of its own,
// dropped afterwards. Only the CopyFrom call is timed.
func copyBound(ctx context.Context, o options, rows int) (copyResult, error) {
	var res copyResult
	schema := newSchema("srccopy")
	const app = "bench_source_copy"
	conn, err := pgx.Connect(ctx, withAppName(o.URL, app))
	if err != nil {
		return res, err
	}
	defer conn.Close(context.Background())
	defer func() { _ = dropSchema(o.URL, schema) }()
	table := pgx.Identifier{schema, "eo_ecosystem"}
	cols := make([]string, len(sample.Columns))
	for i, c := range sample.Columns {
		cols[i] = pgx.Identifier{c}.Sanitize() + " text"
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return res, err
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE "+table.Sanitize()+" ("+strings.Join(cols, ", ")+")"); err != nil {
		return res, err
	}
	pgCPU0, _ := backendCPU(ctx, o.URL, app)
	var vals []any
	text := make([]any, len(sample.Columns))
	i := 0
	start := time.Now()
	n, err := conn.CopyFrom(ctx, table, sample.Columns, pgx.CopyFromFunc(func() ([]any, error) {
		if i >= rows {
			return nil, nil
		}
		vals = sample.Row(i, vals)
		i++
		for k, v := range vals {
			switch v := v.(type) {
			case nil:
				text[k] = nil
			case string:
				text[k] = v
			case bool:
				text[k] = strconv.FormatBool(v)
			case int:
				text[k] = strconv.Itoa(v)
			}
		}
		return text, nil
	}))
	res.Wall = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("COPY: %w", err)
	}
	if n != int64(rows) {
		return res, fmt.Errorf("COPY: %d rows copied, want %d", n, rows)
	}
	pgCPU1, _ := backendCPU(ctx, o.URL, app)
	res.PGCPU = pgCPU1 - pgCPU0
	_ = conn.QueryRow(ctx, "SELECT pg_total_relation_size($1::regclass)", table.Sanitize()).Scan(&res.Bytes)
	return res, nil
}

// outputCopy is the time to COPY the rows the pipeline wrote (groups and
// units) into copies of their tables: the floor of the write step.
type outputCopy struct {
	Rows                             int64
	Bytes                            int64 // binary COPY data
	Plain, WithIndexes, WithFKs      time.Duration
	PlainErr, IndexesErr, WithFKsErr string
}

// outputCopyBound copies data_suggestiongroupe and data_suggestionunitaire
// out (binary COPY, to a temporary file) and times COPYing them back into
// fresh tables of the same columns: without indexes or constraints, then
// with the real tables' indexes and CHECKs (LIKE … INCLUDING ALL), then
// with their deferred foreign keys too (to the real groups and cohorts,
// which hold the referenced ids): the same rows into tables like the real
// ones. The tables live in the webapp schema of the scenario, dropped
// with it.
func outputCopyBound(ctx context.Context, o options, webSchema string) (outputCopy, error) {
	var res outputCopy
	conn, err := pgx.Connect(ctx, withAppName(o.URL, "bench_source_outcopy"))
	if err != nil {
		return res, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SET search_path TO "+pgx.Identifier{webSchema}.Sanitize()); err != nil {
		return res, err
	}
	tables := []string{"data_suggestiongroupe", "data_suggestionunitaire"}
	files := map[string]*os.File{}
	defer func() {
		for _, f := range files {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	for _, t := range tables {
		f, err := os.CreateTemp("", "bench-outcopy-")
		if err != nil {
			return res, err
		}
		files[t] = f
		bw := bufio.NewWriterSize(f, 1<<20)
		tag, err := conn.PgConn().CopyTo(ctx, bw, "COPY "+t+" TO STDOUT (FORMAT binary)")
		if err != nil {
			return res, fmt.Errorf("COPY %s out: %w", t, err)
		}
		if err := bw.Flush(); err != nil {
			return res, err
		}
		res.Rows += tag.RowsAffected()
		if st, err := f.Stat(); err == nil {
			res.Bytes += st.Size()
		}
	}
	load := func(suffix, like string, fks bool) (time.Duration, error) {
		for _, t := range tables {
			if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE TABLE %s_%s (LIKE %s %s)", t, suffix, t, like)); err != nil {
				return 0, err
			}
		}
		if fks {
			for _, q := range []string{
				"ALTER TABLE data_suggestiongroupe_%s ADD FOREIGN KEY (suggestion_cohorte_id) REFERENCES data_suggestioncohorte (id) DEFERRABLE INITIALLY DEFERRED",
				"ALTER TABLE data_suggestionunitaire_%s ADD FOREIGN KEY (suggestion_groupe_id) REFERENCES data_suggestiongroupe (id) DEFERRABLE INITIALLY DEFERRED",
			} {
				if _, err := conn.Exec(ctx, fmt.Sprintf(q, suffix)); err != nil {
					return 0, err
				}
			}
		}
		var total time.Duration
		for _, t := range tables {
			f := files[t]
			if _, err := f.Seek(0, 0); err != nil {
				return 0, err
			}
			start := time.Now()
			_, err := conn.PgConn().CopyFrom(ctx, bufio.NewReaderSize(f, 1<<20), fmt.Sprintf("COPY %s_%s FROM STDIN (FORMAT binary)", t, suffix))
			total += time.Since(start)
			if err != nil {
				return total, fmt.Errorf("COPY %s in: %w", t, err)
			}
		}
		return total, nil
	}
	if res.Plain, err = load("bench_plain", "", false); err != nil {
		res.PlainErr = err.Error()
	}
	if res.WithIndexes, err = load("bench_idx", "INCLUDING ALL", false); err != nil {
		res.IndexesErr = err.Error()
	}
	if res.WithFKs, err = load("bench_fk", "INCLUDING ALL", true); err != nil {
		res.WithFKsErr = err.Error()
	}
	return res, nil
}
