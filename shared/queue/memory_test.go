package queue

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The in-process queue delivers each message, at most MaxInFlight at once
// per function, in publish order when one at a time.
func TestMemoryBoundsInFlightAndKeepsOrder(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int32
	var mu sync.Mutex
	got := map[string][]string{}
	release := make(chan struct{})
	entered := make(chan struct{}, 10)
	var done sync.WaitGroup
	done.Add(10 + 50)
	m := NewMemory(MemoryConfig{MaxInFlight: 3, Deliver: func(ctx context.Context, fn string, body []byte) int {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		entered <- struct{}{}
		<-release
		mu.Lock()
		got[fn] = append(got[fn], string(body))
		mu.Unlock()
		inFlight.Add(-1)
		done.Done()
		return 200
	}})
	for i := 0; i < 10; i++ {
		if err := m.Publish(context.Background(), "wide", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Three deliveries block; the seven others wait for a worker.
	for i := 0; i < 3; i++ {
		<-entered
	}
	select {
	case <-entered:
		t.Fatal("a fourth delivery started with MaxInFlight 3")
	default:
	}
	close(release)
	one := NewMemory(MemoryConfig{MaxInFlight: 1, Deliver: func(ctx context.Context, fn string, body []byte) int {
		mu.Lock()
		got["one"] = append(got["one"], string(body))
		mu.Unlock()
		done.Done()
		return 200
	}})
	for i := 0; i < 50; i++ {
		_ = one.Publish(context.Background(), "f", []byte(fmt.Sprint(i)))
	}
	done.Wait()
	m.Close()
	one.Close()
	if p := peak.Load(); p != 3 {
		t.Errorf("peak in flight %d, want 3", p)
	}
	if n := len(got["wide"]); n != 10 {
		t.Errorf("%d of 10 delivered", n)
	}
	for i, b := range got["one"] {
		if b != fmt.Sprint(i) {
			t.Fatalf("delivery %d was message %s: not in publish order", i, b)
		}
	}
	if s := m.Stats(); s.Published != 10 || s.Delivered != 10 {
		t.Errorf("stats %+v", s)
	}
}

// A failed delivery is redelivered after the visibility timeout, then
// dead-lettered after MaxRetries redeliveries.
func TestMemoryRedeliversThenDeadLetters(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	dead := make(chan DeadLetter, 1)
	m := NewMemory(MemoryConfig{MaxRetries: 2, VisibilityTimeout: time.Millisecond,
		Deliver: func(ctx context.Context, fn string, body []byte) int {
			calls.Add(1)
			return 500
		},
		OnDeadLetter: func(d DeadLetter) { dead <- d }})
	defer m.Close()
	if err := m.Publish(context.Background(), "f", []byte("x")); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-dead:
		if d.Attempts != 3 || d.LastStatus != 500 || d.Body != "x" || d.Function != "f" {
			t.Errorf("dead letter %+v", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("never dead-lettered")
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d deliveries, want 3", n)
	}
	if s := m.Stats(); s.Redelivered != 2 || s.DeadLettered != 1 {
		t.Errorf("stats %+v", s)
	}
}

// Close cancels in-flight deliveries, drops what waits and refuses new
// messages.
func TestMemoryClose(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	m := NewMemory(MemoryConfig{MaxInFlight: 1, Deliver: func(ctx context.Context, fn string, body []byte) int {
		started <- struct{}{}
		<-ctx.Done()
		return 0
	}})
	_ = m.Publish(context.Background(), "f", []byte("a"))
	_ = m.Publish(context.Background(), "f", []byte("b"))
	<-started
	m.Close()
	if s := m.Stats(); s.Delivered != 1 {
		t.Errorf("delivered %d after close, want 1 (the one in flight)", s.Delivered)
	}
	if err := m.Publish(context.Background(), "f", []byte("c")); err == nil {
		t.Error("publish after close accepted")
	}
}
