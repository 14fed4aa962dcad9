package harness

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/lvao/dataplatform/shared/queue"
)

// QueueUserAgent is the User-Agent of Scaleway's queue trigger requests.
const QueueUserAgent = "ScalewayServerlessOrchestrator/1.0"

// DefaultVisibilityTimeout is the local wait before a failed delivery is
// retried. Scaleway's default is 30s; locally a retry should be seen soon.
const DefaultVisibilityTimeout = 2 * time.Second

// QueueConfig builds the harness queue.
type QueueConfig struct {
	// Caller delivers messages over HTTP. Required.
	Caller *Caller
	// Triggered tells whether a function has a queue event in
	// serverless.yml; a message for one without is not delivered (as on
	// Scaleway it would sit in a queue no trigger reads) and ends as a
	// dead letter. Nil delivers to every function.
	Triggered func(function string) bool
	// VisibilityTimeout default DefaultVisibilityTimeout.
	VisibilityTimeout time.Duration
	// DuplicateRate, DropRate and Seed are the chaos switches.
	DuplicateRate, DropRate float64
	Seed                    uint64
	// Logger receives dead letters. Default: discard.
	Logger *slog.Logger
	// OnDeadLetter is called after the log line; optional (tests).
	OnDeadLetter func(queue.DeadLetter)
	// Stopping tells that the harness is shutting down: failed deliveries
	// are then expected and not logged. Optional.
	Stopping func() bool
	// Accept, when set, filters task messages: one it refuses is consumed
	// without a delivery (its task stays queued in Postgres). Optional.
	Accept func(queue.Message) bool
}

// NewQueue returns the in-process queue whose deliveries are real HTTP
// POSTs to the function's path, with the queue trigger's User-Agent: an
// answer ≥ 300 (or none) is retried after the visibility timeout, at most
// 3 times, then the message is dead-lettered (queue.Memory's rules).
func NewQueue(cfg QueueConfig) *queue.Memory {
	if cfg.VisibilityTimeout <= 0 {
		cfg.VisibilityTimeout = DefaultVisibilityTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return queue.NewMemory(queue.MemoryConfig{
		VisibilityTimeout: cfg.VisibilityTimeout,
		DuplicateRate:     cfg.DuplicateRate,
		DropRate:          cfg.DropRate,
		Seed:              cfg.Seed,
		Deliver: func(ctx context.Context, function string, body []byte) int {
			if cfg.Triggered != nil && !cfg.Triggered(function) {
				log.Warn("no queue event for this function in serverless.yml: message not delivered", "function", function)
				return 0
			}
			if cfg.Accept != nil {
				if m, err := queue.Decode(body); err == nil && !cfg.Accept(m) {
					log.Debug("message for another run: not delivered here", "function", function, "dag_id", m.DagID, "run_id", m.RunID)
					return http.StatusOK
				}
			}
			status, err := cfg.Caller.Post(ctx, function, body, QueueUserAgent)
			if err != nil && ctx.Err() == nil && (cfg.Stopping == nil || !cfg.Stopping()) {
				log.Warn("queue delivery failed", "function", function, "error", err.Error())
			}
			return status
		},
		OnDeadLetter: func(dl queue.DeadLetter) {
			log.Warn("dead letter: every delivery failed", "function", dl.Function, "body", dl.Body,
				"last_status", dl.LastStatus, "attempts", dl.Attempts)
			if cfg.OnDeadLetter != nil {
				cfg.OnDeadLetter(dl)
			}
		},
	})
}
