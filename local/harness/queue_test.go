package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lvao/dataplatform/shared/queue"
)

func newTestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestQueueRetriesThreeTimesThenDeadLetters(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	badAgent := make(chan string, 8)
	em := NewEmulator("tok", nil)
	em.Mount(FunctionSpec{Name: "failing", Private: true, Queues: []string{"q"}}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if ua := r.Header.Get("User-Agent"); ua != QueueUserAgent {
			badAgent <- ua
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	url := newTestServer(t, em)
	dead := make(chan queue.DeadLetter, 1)
	q := NewQueue(QueueConfig{
		Caller:            &Caller{BaseURL: url, Token: "tok"},
		VisibilityTimeout: 5 * time.Millisecond,
		OnDeadLetter:      func(dl queue.DeadLetter) { dead <- dl },
	})
	t.Cleanup(q.Close)
	if err := q.Publish(context.Background(), "failing", []byte(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case dl := <-dead:
		if dl.Attempts != 4 || dl.LastStatus != 500 || dl.Function != "failing" || dl.Body != `{"x":1}` {
			t.Fatalf("dead letter %+v, want 4 attempts ending in 500", dl)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no dead letter")
	}
	if n := calls.Load(); n != 4 {
		t.Fatalf("the function got %d deliveries, want 1 + 3 retries", n)
	}
	if len(badAgent) > 0 {
		t.Fatalf("User-Agent %q, want %q", <-badAgent, QueueUserAgent)
	}
	if got := q.DeadLetters(); len(got) != 1 {
		t.Fatalf("%d dead letters listed", len(got))
	}
}

func TestQueueDoesNotDeliverWithoutQueueEvent(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	url := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	dead := make(chan queue.DeadLetter, 1)
	q := NewQueue(QueueConfig{
		Caller:            &Caller{BaseURL: url},
		Triggered:         func(string) bool { return false },
		VisibilityTimeout: time.Millisecond,
		OnDeadLetter:      func(dl queue.DeadLetter) { dead <- dl },
	})
	t.Cleanup(q.Close)
	_ = q.Publish(context.Background(), "untriggered", []byte(`{}`))
	select {
	case <-dead:
	case <-time.After(10 * time.Second):
		t.Fatal("no dead letter")
	}
	if calls.Load() != 0 {
		t.Fatal("a function without a queue event received a message")
	}
}
