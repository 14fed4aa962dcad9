// Package dag parses, validates and resolves DAG specifications: one YAML
// (or JSON) file per DAG, embedded in the module or loaded from extra
// directories (DESIGN §4).
package dag

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Spec is one DAG file as written by its author.
type Spec struct {
	DagID         string     `yaml:"dag_id" json:"dag_id"`
	Description   string     `yaml:"description" json:"description,omitempty"`
	Schedule      string     `yaml:"schedule" json:"schedule,omitempty"`
	StartDate     *time.Time `yaml:"start_date" json:"start_date,omitempty"`
	Catchup       bool       `yaml:"catchup" json:"catchup"`
	MaxActiveRuns int        `yaml:"max_active_runs" json:"max_active_runs"`
	Paused        bool       `yaml:"paused" json:"paused"`
	Tags          []string   `yaml:"tags" json:"tags,omitempty"`
	Params        Params     `yaml:"params" json:"params,omitempty"`
	DefaultArgs   TaskArgs   `yaml:"default_args" json:"default_args"`
	Tasks         []Task     `yaml:"tasks" json:"tasks"`

	// File is where the spec was read from (for error messages); not hashed.
	File string `yaml:"-" json:"-"`

	// taskIndex maps task ids to their position in Tasks (IndexTasks).
	taskIndex map[string]int
}

// TaskArgs are the retry and timeout settings a task may inherit from
// default_args or set itself. Nil means "not set here".
type TaskArgs struct {
	Retries                 *int      `yaml:"retries" json:"retries,omitempty"`
	RetryDelay              *Duration `yaml:"retry_delay" json:"retry_delay,omitempty"`
	RetryExponentialBackoff *bool     `yaml:"retry_exponential_backoff" json:"retry_exponential_backoff,omitempty"`
	MaxRetryDelay           *Duration `yaml:"max_retry_delay" json:"max_retry_delay,omitempty"`
	ExecutionTimeout        *Duration `yaml:"execution_timeout" json:"execution_timeout,omitempty"`
}

// Task is one node of the DAG.
type Task struct {
	ID          string         `yaml:"id" json:"id"`
	Function    string         `yaml:"function" json:"function"`
	Args        map[string]any `yaml:"args" json:"args,omitempty"`
	DependsOn   []string       `yaml:"depends_on" json:"depends_on,omitempty"`
	TriggerRule string         `yaml:"trigger_rule" json:"trigger_rule,omitempty"`
	TaskArgs    `yaml:",inline" json:",inline"`
}

// Defaults of DESIGN §4.
const (
	DefaultMaxActiveRuns = 16
	DefaultRetryDelay    = 5 * time.Minute
	DefaultMaxRetryDelay = time.Hour
)

// Policy is a task's effective retry and timeout settings.
type Policy struct {
	Retries                 int           `json:"retries"`
	RetryDelay              time.Duration `json:"retry_delay"`
	RetryExponentialBackoff bool          `json:"retry_exponential_backoff"`
	MaxRetryDelay           time.Duration `json:"max_retry_delay"`
	// ExecutionTimeout is zero when unset: the function's own timeout applies.
	ExecutionTimeout time.Duration `json:"execution_timeout"`
}

// Policy resolves the task's settings: the task's value wins over
// default_args, which win over the documented defaults.
func (s *Spec) Policy(t *Task) Policy {
	p := Policy{RetryDelay: DefaultRetryDelay, MaxRetryDelay: DefaultMaxRetryDelay}
	for _, a := range []TaskArgs{s.DefaultArgs, t.TaskArgs} {
		if a.Retries != nil {
			p.Retries = *a.Retries
		}
		if a.RetryDelay != nil {
			p.RetryDelay = a.RetryDelay.D()
		}
		if a.RetryExponentialBackoff != nil {
			p.RetryExponentialBackoff = *a.RetryExponentialBackoff
		}
		if a.MaxRetryDelay != nil {
			p.MaxRetryDelay = a.MaxRetryDelay.D()
		}
		if a.ExecutionTimeout != nil {
			p.ExecutionTimeout = a.ExecutionTimeout.D()
		}
	}
	return p
}

// RetryDelay is the wait before the next try after failedTries failures
// (1 for the first failure). With exponential backoff the delay doubles at
// each failure (retry_delay · 2^(n-1)), capped by max_retry_delay; without
// jitter, so tests and users can predict it.
func (p Policy) Delay(failedTries int) time.Duration {
	if !p.RetryExponentialBackoff || failedTries <= 1 {
		if p.RetryExponentialBackoff && p.RetryDelay > p.MaxRetryDelay {
			return p.MaxRetryDelay
		}
		return p.RetryDelay
	}
	d := p.RetryDelay
	if d <= 0 {
		return 0 // doubling nothing is nothing: retry at once
	}
	for i := 1; i < failedTries; i++ {
		d *= 2
		if d >= p.MaxRetryDelay || d <= 0 { // d <= 0: overflowed
			return p.MaxRetryDelay
		}
	}
	return d
}

// Task returns the task with the given id, or nil.
func (s *Spec) Task(id string) *Task {
	if i, ok := s.taskIndex[id]; ok && i < len(s.Tasks) && s.Tasks[i].ID == id {
		return &s.Tasks[i]
	}
	for i := range s.Tasks {
		if s.Tasks[i].ID == id {
			return &s.Tasks[i]
		}
	}
	return nil
}

// IndexTasks makes Task a map lookup instead of a scan (a DAG of 10,000
// tasks looks one up at every claim and completion). Call it before the
// spec is shared; Task falls back to the scan if Tasks changed since.
func (s *Spec) IndexTasks() {
	s.taskIndex = make(map[string]int, len(s.Tasks))
	for i := range s.Tasks {
		s.taskIndex[s.Tasks[i].ID] = i
	}
}

// EffectiveMaxActiveRuns applies the default.
func (s *Spec) EffectiveMaxActiveRuns() int {
	if s.MaxActiveRuns <= 0 {
		return DefaultMaxActiveRuns
	}
	return s.MaxActiveRuns
}

// Hash identifies this version of the spec: a run keeps the spec version
// it started with even when the file changes afterwards.
func (s *Spec) Hash() string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("dag spec %s is not JSON-encodable: %v", s.DagID, err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// Duration is a Go duration in YAML/JSON ("90s", "2m", "1h30m").
type Duration time.Duration

// D returns the time.Duration.
func (d *Duration) D() time.Duration {
	if d == nil {
		return 0
	}
	return time.Duration(*d)
}

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration (use Go durations such as 90s, 2m, 1h30m)", string(b))
	}
	if v < 0 {
		return fmt.Errorf("%q is negative", string(b))
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML parses a Go duration and names the line on error. The
// error is a *yaml.TypeError so that decoding goes on and the file's other
// problems are reported with it.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if err := d.UnmarshalText([]byte(n.Value)); err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	return nil
}

// MarshalText prints the Go duration.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}
