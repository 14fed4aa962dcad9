// Package queue carries task messages to the function that runs the task.
//
// Every task function has one queue (Scaleway Queues over SQS, or a NATS
// subject); the platform triggers the function with one POST per message.
// Delivery is at least once, so consumers must be idempotent: the task
// runtime's claim makes a duplicate message a no-op.
package queue

import (
	"context"
	"encoding/json"
	"fmt"
)

// Message is the small body published for a task instance that is ready
// to run. It names the attempt; everything else is read from Postgres.
type Message struct {
	RunID     string `json:"run_id"`
	DagID     string `json:"dag_id"`
	TaskID    string `json:"task_id"`
	TryNumber int    `json:"try_number"`
}

// Encode returns the JSON body of the message.
func (m Message) Encode() []byte {
	b, _ := json.Marshal(m)
	return b
}

// Decode parses a message body and checks that every field is set.
func Decode(body []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return m, fmt.Errorf("invalid task message: %w", err)
	}
	switch {
	case m.DagID == "":
		return m, fmt.Errorf("invalid task message: dag_id is missing")
	case m.RunID == "":
		return m, fmt.Errorf("invalid task message: run_id is missing")
	case m.TaskID == "":
		return m, fmt.Errorf("invalid task message: task_id is missing")
	case m.TryNumber < 1:
		return m, fmt.Errorf("invalid task message: try_number must be >= 1")
	}
	return m, nil
}

// Publisher sends one message body to the queue of a function
// (the function name as declared in serverless.yml, e.g. "noop").
// Implementations must be safe for concurrent use.
type Publisher interface {
	Publish(ctx context.Context, function string, body []byte) error
}

// PublisherFunc adapts a function to a Publisher.
type PublisherFunc func(ctx context.Context, function string, body []byte) error

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, function string, body []byte) error {
	return f(ctx, function, body)
}
