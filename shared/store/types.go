package store

import (
	"encoding/json"
	"time"
)

// Dag is a registered DAG.
type Dag struct {
	DagID           string
	VersionHash     string
	IsPaused        bool
	Schedule        string
	LastIntervalEnd time.Time // zero when no scheduled run was created yet
}

// Run is a DAG run.
type Run struct {
	PK                int64
	DagID             string
	RunID             string
	RunType           string
	VersionHash       string
	State             string
	LogicalDate       time.Time
	DataIntervalStart time.Time
	DataIntervalEnd   time.Time
	Conf              json.RawMessage
	Params            json.RawMessage
	QueuedAt          time.Time
	StartedAt         time.Time
	EndedAt           time.Time
}

// TaskInstance is one task of one run.
type TaskInstance struct {
	RunPK          int64
	TaskID         string
	DagID          string
	RunID          string
	Function       string
	State          string
	TryNumber      int
	MaxTries       int
	QueuedAt       time.Time
	StartedAt      time.Time
	EndedAt        time.Time
	NextRetryAt    time.Time
	LeaseExpiresAt time.Time
	Result         json.RawMessage
	Error          string
	// Upstream counts of direct upstream tasks by final state.
	UpSuccess, UpFailed, UpSkipped, UpUpstreamFailed int
	// Pending: its final state is not yet folded into its downstream
	// tasks' counts nor the run's unfinished count.
	Pending bool
}

// Attempt is one try of a task instance.
type Attempt struct {
	TryNumber   int
	State       string
	StartedAt   time.Time
	EndedAt     time.Time
	Error       string
	RequestID   string
	LogKey      string
	Completions int
}

// Queued is a task instance just set queued: its message must be published.
type Queued struct {
	DagID, RunID, TaskID, Function string
	TryNumber                      int
}
