package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgWait samples pg_stat_activity for the benchmark's connections (by
// application_name) every 10ms, to tell where Postgres backends spend
// their time: which statement, and what they wait on (Lock:transactionid
// is a row lock held by another transaction; IO:WALSync / LWLock:WALWrite
// the commit's fsync; Client:ClientRead the idle-in-transaction gap while
// Go works between statements).
type pgWait struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	counts map[string]int
	total  int
}

func startPGWait(url, app string) *pgWait {
	ctx, cancel := context.WithCancel(context.Background())
	w := &pgWait{cancel: cancel, done: make(chan struct{}), counts: map[string]int{}}
	go func() {
		defer close(w.done)
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rows, err := conn.Query(ctx, `SELECT state, coalesce(wait_event_type || ':' || wait_event, 'CPU'), query
				FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'`, app)
			if err != nil {
				continue
			}
			var keys []string
			for rows.Next() {
				var state, wait, q string
				if rows.Scan(&state, &wait, &q) == nil {
					keys = append(keys, fmt.Sprintf("%-28s %-22s %s", state, wait, shortSQL(q)))
				}
			}
			rows.Close()
			w.mu.Lock()
			for _, k := range keys {
				w.counts[k]++
				w.total++
			}
			w.mu.Unlock()
		}
	}()
	return w
}

var (
	sqlComment = regexp.MustCompile(`(?m)^\s*--.*$`)
	sqlSpace   = regexp.MustCompile(`\s+`)
)

func shortSQL(q string) string {
	q = strings.TrimSpace(sqlSpace.ReplaceAllString(sqlComment.ReplaceAllString(q, ""), " "))
	if len(q) > 90 {
		q = q[:90] + "…"
	}
	return q
}

// stop ends sampling and returns note lines: first the share of samples
// spent waiting for a heavyweight lock (row locks: Lock:tuple and
// Lock:transactionid), by statement; then the other samples — what the
// lock holders and the unblocked backends do — by state, wait and statement.
func (w *pgWait) stop() []string {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	type kv struct {
		k string
		n int
	}
	var locks, work []kv
	nLock, nWork := 0, 0
	for k, n := range w.counts {
		if strings.Contains(k, " Lock:") {
			locks = append(locks, kv{k, n})
			nLock += n
		} else {
			work = append(work, kv{k, n})
			nWork += n
		}
	}
	byN := func(a []kv) { sort.Slice(a, func(i, j int) bool { return a[i].n > a[j].n }) }
	byN(locks)
	byN(work)
	pctOf := func(n, of int) float64 { return 100 * float64(n) / float64(max(of, 1)) }
	out := []string{fmt.Sprintf("pg_stat_activity, non-idle benchmark backends sampled every 10ms: %d samples, %.1f%% waiting for a lock:",
		w.total, pctOf(nLock, w.total))}
	for i, x := range locks {
		if i == 4 {
			break
		}
		out = append(out, fmt.Sprintf("  %5.1f%% `%s`", pctOf(x.n, w.total), x.k))
	}
	out = append(out, fmt.Sprintf("the other %d samples (lock holders and unblocked work), share of those:", nWork))
	for i, x := range work {
		if i == 14 {
			break
		}
		out = append(out, fmt.Sprintf("  %5.1f%% `%s`", pctOf(x.n, nWork), x.k))
	}
	return out
}
