package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/store"
)

// stmtTracer counts the statements the engine sends and the time each
// takes as the client sees it (round trip: network, server work, and any
// lock wait). Enabled with -trace; it swaps the store's pool for an
// identical one with the tracer, after store.Open created and migrated the
// schema.
type stmtTracer struct {
	names sync.Map // SQL -> shortSQL(SQL)
	mu    sync.Mutex
	stats map[string]*stmtStat
}

type stmtStat struct {
	n     int
	total time.Duration
}

type traceKey struct{}

type traceStart struct {
	sql string
	at  time.Time
}

func newStmtTracer() *stmtTracer { return &stmtTracer{stats: map[string]*stmtStat{}} }

func (t *stmtTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{sql: d.SQL, at: time.Now()})
}

func (t *stmtTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	s, ok := ctx.Value(traceKey{}).(traceStart)
	if !ok {
		return
	}
	t.record(s.sql, time.Since(s.at))
}

// record counts one statement and its time.
func (t *stmtTracer) record(sql string, el time.Duration) {
	k, ok := t.names.Load(sql)
	if !ok {
		k, _ = t.names.LoadOrStore(sql, shortSQL(sql))
	}
	t.mu.Lock()
	st := t.stats[k.(string)]
	if st == nil {
		st = &stmtStat{}
		t.stats[k.(string)] = st
	}
	st.n++
	st.total += el
	t.mu.Unlock()
}

// The statements of a batch (pipelined) are counted, without a time of
// their own (the batch's round trip is shared).
func (t *stmtTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (t *stmtTracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	t.record(d.SQL, 0)
}

func (t *stmtTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// notes lists the statements by total time, per item of the scenario.
func (t *stmtTracer) notes(count int, unit string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	type kv struct {
		k string
		s stmtStat
	}
	var all []kv
	n, tot := 0, time.Duration(0)
	for k, s := range t.stats {
		all = append(all, kv{k, *s})
		n += s.n
		tot += s.total
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].s.total != all[j].s.total {
			return all[i].s.total > all[j].s.total
		}
		return all[i].s.n > all[j].s.n // pipelined statements: no time of their own
	})
	out := []string{fmt.Sprintf("statements (client-side tracer): %d = %.1f per %s, %.1f ms of round trips per %s; by total time (count per %s, mean):",
		n, float64(n)/float64(max(count, 1)), singular(unit), float64(tot)/float64(time.Millisecond)/float64(max(count, 1)), singular(unit), singular(unit))}
	for i, x := range all {
		if i == 24 {
			break
		}
		out = append(out, fmt.Sprintf("  %5.1f%%  %5.2f/%s  %7.2f ms  `%s`", 100*float64(x.s.total)/float64(max(tot, 1)),
			float64(x.s.n)/float64(max(count, 1)), singular(unit), float64(x.s.total)/float64(time.Millisecond)/float64(x.s.n), x.k))
	}
	return out
}

// tracedStore reopens the store's pool with the tracer.
func tracedStore(ctx context.Context, url string, st *store.Store, maxConns int32, tr *stmtTracer) (*store.Store, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	store.ConfigurePool(pc, st.Schema)
	pc.MaxConns = maxConns
	pc.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	schema := st.Schema
	st.Close()
	return store.FromPool(pool, schema), nil
}
