package coalesce

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// Every call gets its own answer, batches never exceed their bounds, and
// calls made while the batches are busy are coalesced.
func TestGroupAnswersEachCallAndBatches(t *testing.T) {
	t.Parallel()
	const calls, limit, maxBatch = 2000, 2, 16
	var running, maxRunning, batches atomic.Int64
	release := make(chan struct{})
	var once sync.Once
	var g *Group[int, int]
	g = New(limit, maxBatch, func(batch []int) []int {
		if n := running.Add(1); n > maxRunning.Load() {
			maxRunning.Store(n)
		}
		defer running.Add(-1)
		batches.Add(1)
		if len(batch) > maxBatch {
			t.Errorf("batch of %d > %d", len(batch), maxBatch)
		}
		// The first batches wait until every call is queued, so that the
		// others must be coalesced.
		<-release
		out := make([]int, len(batch))
		for i, q := range batch {
			out[i] = q * 2
		}
		return out
	})
	var wg sync.WaitGroup
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := g.Do(i); r != i*2 {
				t.Errorf("call %d answered %d", i, r)
			}
		}()
	}
	// Release once every call but the first batches' waits.
	go func() {
		for {
			g.mu.Lock()
			all := g.active == limit && len(g.waiting) == calls-limit
			g.mu.Unlock()
			if all {
				once.Do(func() { close(release) })
				return
			}
			runtime.Gosched()
		}
	}()
	wg.Wait()
	if maxRunning.Load() > limit {
		t.Errorf("%d batches at once, limit %d", maxRunning.Load(), limit)
	}
	if b := batches.Load(); b > calls/maxBatch+limit+1 {
		t.Errorf("%d batches for %d calls: not coalesced", b, calls)
	}
}

// A lone call runs at once, alone.
func TestGroupLoneCall(t *testing.T) {
	t.Parallel()
	var sizes []int
	g := New(1, 8, func(batch []int) []int {
		sizes = append(sizes, len(batch))
		return batch
	})
	for i := 0; i < 3; i++ {
		if r := g.Do(i); r != i {
			t.Fatalf("answered %d", r)
		}
	}
	if len(sizes) != 3 || sizes[0] != 1 || sizes[2] != 1 {
		t.Errorf("batch sizes %v, want three batches of 1", sizes)
	}
}
