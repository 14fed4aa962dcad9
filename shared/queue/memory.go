package queue

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryConfig configures the in-process queue of the harness and tests.
// It behaves like a Scaleway queue trigger: one delivery per message, at
// least once, redelivered after VisibilityTimeout when the consumer
// answers ≥ 300 (or not at all), at most MaxRetries times, then
// dead-lettered; at most MaxInFlight deliveries at once per function.
type MemoryConfig struct {
	// Deliver hands a message to the function and returns the HTTP status
	// it answered (0 for no answer). Required.
	Deliver func(ctx context.Context, function string, body []byte) int
	// VisibilityTimeout is the wait before a redelivery. Default 30s.
	VisibilityTimeout time.Duration
	// MaxRetries is how many redeliveries follow a failed delivery. Default 3.
	MaxRetries int
	// MaxInFlight bounds concurrent deliveries per function. Default 10.
	MaxInFlight int
	// DuplicateRate delivers a message twice with this probability (chaos).
	DuplicateRate float64
	// DropRate loses a publish with this probability (chaos).
	DropRate float64
	// Seed seeds the chaos randomness; 0 picks a random seed.
	Seed uint64
	// OnDeadLetter is called for each dead-lettered message; optional.
	OnDeadLetter func(DeadLetter)
}

// DeadLetter is a message whose deliveries all failed.
type DeadLetter struct {
	Function   string    `json:"function"`
	Body       string    `json:"body"`
	LastStatus int       `json:"last_status"`
	Attempts   int       `json:"attempts"`
	At         time.Time `json:"at"`
}

// MemoryStats counts what the queue did.
type MemoryStats struct {
	Published, Dropped, Duplicated, Delivered, Redelivered, DeadLettered int64
}

// Memory is the in-process queue.
type Memory struct {
	cfg    MemoryConfig
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	lanes  map[string]*lane
	dead   []DeadLetter
	rnd    *rand.Rand
	closed bool

	published, dropped, duplicated, delivered, redelivered, deadLettered atomic.Int64
}

// NewMemory returns a running in-process queue; Close stops it.
func NewMemory(cfg MemoryConfig) *Memory {
	if cfg.VisibilityTimeout <= 0 {
		cfg.VisibilityTimeout = 30 * time.Second
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 3
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 10
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Memory{cfg: cfg, ctx: ctx, cancel: cancel, lanes: map[string]*lane{},
		rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (m *Memory) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rnd.Float64() < p
}

// lane is a function's queue: messages wait in order for one of at most
// MaxInFlight workers. A worker delivers messages one after another until
// the lane is empty (one goroutine, and its grown stack, serves many
// deliveries).
type lane struct {
	items   []delivery
	workers int
}

type delivery struct {
	body    []byte
	attempt int // 0 for the first delivery
}

// Publish enqueues a message; it never blocks on the consumer.
func (m *Memory) Publish(_ context.Context, function string, body []byte) error {
	if len(body) > MaxMessageSize {
		return ErrMessageTooLarge
	}
	m.published.Add(1)
	if m.chance(m.cfg.DropRate) {
		m.dropped.Add(1)
		return nil // lost in transit: the publisher believes it was sent
	}
	copies := 1
	if m.chance(m.cfg.DuplicateRate) {
		m.duplicated.Add(1)
		copies = 2
	}
	b := append([]byte(nil), body...)
	for i := 0; i < copies; i++ {
		if !m.enqueue(function, delivery{body: b}) {
			return context.Canceled
		}
	}
	return nil
}

// enqueue appends d to the function's lane and starts a worker if the
// lane has fewer than MaxInFlight; false once the queue is closed.
func (m *Memory) enqueue(function string, d delivery) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	l, ok := m.lanes[function]
	if !ok {
		l = &lane{}
		m.lanes[function] = l
	}
	l.items = append(l.items, d)
	if l.workers < m.cfg.MaxInFlight {
		l.workers++
		m.wg.Add(1)
		go m.work(function, l)
	}
	return true
}

// work delivers the lane's messages until it is empty or the queue closes.
func (m *Memory) work(function string, l *lane) {
	defer m.wg.Done()
	for {
		m.mu.Lock()
		if len(l.items) == 0 || m.ctx.Err() != nil {
			l.workers--
			m.mu.Unlock()
			return
		}
		d := l.items[0]
		l.items[0] = delivery{}
		l.items = l.items[1:]
		m.mu.Unlock()
		m.deliver(function, d)
	}
}

// deliver hands one message to the function; a failed delivery is
// redelivered after the visibility timeout, or dead-lettered.
func (m *Memory) deliver(function string, d delivery) {
	status := m.cfg.Deliver(m.ctx, function, d.body)
	m.delivered.Add(1)
	if status >= 200 && status < 300 {
		return
	}
	if m.ctx.Err() != nil {
		return
	}
	if d.attempt >= m.cfg.MaxRetries {
		m.deadLettered.Add(1)
		dl := DeadLetter{Function: function, Body: string(d.body), LastStatus: status, Attempts: d.attempt + 1, At: time.Now().UTC()}
		m.mu.Lock()
		m.dead = append(m.dead, dl)
		m.mu.Unlock()
		if m.cfg.OnDeadLetter != nil {
			m.cfg.OnDeadLetter(dl)
		}
		return
	}
	m.redelivered.Add(1)
	m.wg.Add(1)
	timer := time.NewTimer(m.cfg.VisibilityTimeout)
	go func() {
		defer m.wg.Done()
		select {
		case <-timer.C:
			m.enqueue(function, delivery{body: d.body, attempt: d.attempt + 1})
		case <-m.ctx.Done():
			timer.Stop()
		}
	}()
}

// DeadLetters returns the dead-lettered messages.
func (m *Memory) DeadLetters() []DeadLetter {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]DeadLetter(nil), m.dead...)
}

// Stats returns the counters.
func (m *Memory) Stats() MemoryStats {
	return MemoryStats{Published: m.published.Load(), Dropped: m.dropped.Load(), Duplicated: m.duplicated.Load(),
		Delivered: m.delivered.Load(), Redelivered: m.redelivered.Load(), DeadLettered: m.deadLettered.Load()}
}

// Close stops deliveries (in-flight ones get a cancelled context) and
// waits for every goroutine to end.
func (m *Memory) Close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
}
