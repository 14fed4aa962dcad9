// Package coalesce runs concurrent calls of one process as batches: the
// first calls run alone (up to a number at once), and the calls that
// arrive meanwhile wait for one of them to end, then run together as one
// batch led by one of the waiters. A lone call runs at once, alone, so
// an idle process pays nothing for it; a busy one sends one statement for
// many calls instead of one each (group commit, as Postgres does for WAL
// flushes).
package coalesce

import "sync"

// Group coalesces calls of Q answered by R. The zero value is not usable:
// use New.
type Group[Q, R any] struct {
	run      func(batch []Q) []R
	limit    int
	maxBatch int

	mu      sync.Mutex
	active  int
	waiting []*call[Q, R]
}

type call[Q, R any] struct {
	q    Q
	done chan answer[Q, R]
}

type answer[Q, R any] struct {
	r R
	// lead: the waiter is to run this batch (itself first).
	lead []*call[Q, R]
}

// New returns a Group whose batches run is given (it must return one R
// per Q, in order), at most limit batches at once, each of at most
// maxBatch calls.
func New[Q, R any](limit, maxBatch int, run func(batch []Q) []R) *Group[Q, R] {
	return &Group[Q, R]{run: run, limit: max(limit, 1), maxBatch: max(maxBatch, 1)}
}

// Do runs q, alone or in a batch, and returns its answer. It waits for
// the batch holding q even if the caller gives up meanwhile: the batch
// may have done q's work.
func (g *Group[Q, R]) Do(q Q) R {
	self := &call[Q, R]{q: q, done: make(chan answer[Q, R], 1)}
	g.mu.Lock()
	if g.active < g.limit {
		g.active++
		g.mu.Unlock()
		return g.lead([]*call[Q, R]{self})
	}
	g.waiting = append(g.waiting, self)
	g.mu.Unlock()
	a := <-self.done
	if a.lead != nil {
		return g.lead(a.lead)
	}
	return a.r
}

// lead runs batch (its first call is the caller's), answers the others,
// then hands the calls that waited meanwhile to one of them.
func (g *Group[Q, R]) lead(batch []*call[Q, R]) R {
	qs := make([]Q, len(batch))
	for i, c := range batch {
		qs[i] = c.q
	}
	rs := g.run(qs)
	for i, c := range batch[1:] {
		c.done <- answer[Q, R]{r: rs[i+1]}
	}
	g.mu.Lock()
	if n := min(len(g.waiting), g.maxBatch); n > 0 {
		next := g.waiting[:n:n]
		g.waiting = g.waiting[n:]
		next[0].done <- answer[Q, R]{lead: next}
	} else {
		g.active--
	}
	g.mu.Unlock()
	return rs[0]
}
