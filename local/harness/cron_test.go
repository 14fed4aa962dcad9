package harness

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// fakeClock is advanced by the test; After channels fire when it passes
// their deadline, and waiting announces each After call (the cron is then
// idle, waiting for its next minute).
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []fakeTimer
	waiting chan time.Time
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, waiting: make(chan time.Time, 16)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	at := c.now.Add(d)
	if d <= 0 {
		ch <- c.now
	} else {
		c.timers = append(c.timers, fakeTimer{at: at, ch: ch})
	}
	c.waiting <- at
	return ch
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if !tm.at.After(t) {
			tm.ch <- t
		} else {
			kept = append(kept, tm)
		}
	}
	c.timers = kept
}

func TestCronFiresAtTheRightMinuteThroughHTTP(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 3, 1, 12, 3, 30, 0, time.UTC)
	clock := newFakeClock(start)
	type hit struct {
		at   time.Time
		body string
	}
	hits := make(chan hit, 8)
	em := NewEmulator("tok", nil)
	em.Mount(FunctionSpec{Name: "coordinator", Private: true}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/" {
			t.Errorf("cron sent %s %s, want POST /", r.Method, r.URL.Path)
		}
		hits <- hit{at: clock.Now(), body: string(b)}
	}))
	srv := newTestServer(t, em)
	caller := &Caller{BaseURL: srv, Token: "tok"}
	fired := make(chan int, 8)
	cron, err := NewCron(CronConfig{
		Clock:  clock,
		Events: []CronEvent{{Function: "coordinator", Schedule: Schedule{Rate: "5 12 * * *", Input: []byte(`{"action":"tick"}`)}}},
		Fire: func(ctx context.Context, ev CronEvent, _ time.Time) {
			status, err := caller.Post(ctx, ev.Function, ev.Input, "")
			if err != nil {
				t.Errorf("cron POST: %v", err)
			}
			fired <- status
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { cron.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })

	wait := func(what string) time.Time {
		select {
		case at := <-clock.waiting:
			return at
		case <-time.After(10 * time.Second):
			t.Fatalf("cron never waited for %s", what)
		}
		return time.Time{}
	}
	// 12:04 and 12:04:59 are not due; each minute is looked at once.
	if at := wait("12:04"); !at.Equal(start.Truncate(time.Minute).Add(time.Minute)) {
		t.Fatalf("cron waits until %s, want 12:04:00", at)
	}
	clock.Set(time.Date(2025, 3, 1, 12, 4, 0, 0, time.UTC))
	wait("12:05")
	clock.Set(time.Date(2025, 3, 1, 12, 4, 59, 0, time.UTC))
	// 12:05: due; the body is the event's input.
	clock.Set(time.Date(2025, 3, 1, 12, 5, 0, 0, time.UTC))
	select {
	case h := <-hits:
		if !h.at.Equal(time.Date(2025, 3, 1, 12, 5, 0, 0, time.UTC)) || h.body != `{"action":"tick"}` {
			t.Fatalf("fired at %s with %s, want 12:05:00 with the input", h.at, h.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the 12:05 trigger never reached the function")
	}
	if status := <-fired; status != http.StatusOK {
		t.Fatalf("the function answered the cron %d", status)
	}
	wait("12:06")
	clock.Set(time.Date(2025, 3, 1, 12, 6, 0, 0, time.UTC))
	wait("12:07") // 12:06 looked at and not due
	if len(hits) != 0 {
		t.Fatalf("fired %d more times, want only at 12:05", len(hits))
	}
}

func TestCronRejectsInvalidRates(t *testing.T) {
	t.Parallel()
	// Besides nonsense, the forms the serverless plugin rejects: they would
	// not deploy, so they must not fire locally either.
	for _, rate := range []string{"every minute", "*/10 * * * *", "0 3 * * MON"} {
		_, err := NewCron(CronConfig{Events: []CronEvent{{Function: "f", Schedule: Schedule{Rate: rate}}},
			Fire: func(context.Context, CronEvent, time.Time) {}})
		if err == nil {
			t.Errorf("rate %q was accepted", rate)
		}
	}
}
