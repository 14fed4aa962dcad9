// Package topology reads triggers/topology.yaml — the queues, dead-letter queue, Queues
// credentials and crons each stage of the bundle needs on Scaleway — and plans, applies and
// checks it against the live platform (SQS API for queues, Scaleway API for the rest).
//
// Planning is separate from doing: Planner.Plan only reads, and returns a Plan whose changes
// Apply performs. Every change is computed from the difference between the file and what
// exists, so applying twice is a no-op the second time.
package topology

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/lvao/dataplatform/shared/dag"
)

// File is the whole topology file.
type File struct {
	// Region is the Scaleway region of every resource, e.g. "fr-par". Required.
	Region string `yaml:"region"`
	// Stages maps a stage name (preprod, prod) to its topology. Required.
	Stages map[string]*Stage `yaml:"stages"`

	// path names the file in error messages.
	path string
}

// Stage is the topology of one deployment stage.
type Stage struct {
	// Name is the stage's key in File.Stages (filled by Load).
	Name string `yaml:"-"`
	// Region is File.Region (filled by Load).
	Region string `yaml:"-"`
	// Namespace is the Scaleway Functions namespace (serverless.yml `service`). Required.
	Namespace string `yaml:"namespace"`
	// Credentials are the Queues credentials that must exist, with these permissions.
	Credentials []Credential `yaml:"credentials"`
	// DeadLetterQueue receives messages delivered MaxReceiveCount times. Required.
	DeadLetterQueue Queue `yaml:"dead_letter_queue"`
	// QueueDefaults fills the unset fields of every queue of Queues.
	QueueDefaults Queue `yaml:"queue_defaults"`
	// Queues has one queue per task function.
	Queues []Queue `yaml:"queues"`
	// Crons are the schedule triggers serverless.yml declares, checked after deploy.
	Crons []Cron `yaml:"crons"`
}

// Queue is one SQS queue.
type Queue struct {
	// Name is the SQS queue name. Required.
	Name string `yaml:"name"`
	// Function is the function the queue triggers. Required for task queues, empty for the
	// dead-letter queue.
	Function string `yaml:"function"`
	// VisibilityTimeout hides a received message this long. Default 30s (SQS's).
	VisibilityTimeout Duration `yaml:"visibility_timeout"`
	// MessageRetention keeps an undelivered message this long. Default 96h (SQS's).
	MessageRetention Duration `yaml:"message_retention"`
	// MaxReceiveCount moves a message to the dead-letter queue after this many deliveries.
	// Required (from queue_defaults) for task queues; unused for the dead-letter queue.
	MaxReceiveCount int `yaml:"max_receive_count"`
}

// Credential is a set of Scaleway Queues credentials, identified by name.
type Credential struct {
	Name       string `yaml:"name"`
	CanPublish bool   `yaml:"can_publish"`
	CanReceive bool   `yaml:"can_receive"`
	CanManage  bool   `yaml:"can_manage"`
}

// Cron is a schedule trigger of a function.
type Cron struct {
	Function string `yaml:"function"`
	// Schedule is a 5-field cron expression, UTC.
	Schedule string `yaml:"schedule"`
	// Args is the JSON body the function receives.
	Args map[string]any `yaml:"args"`
}

// Duration is a time.Duration written as a Go duration string ("90s", "96h") in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a Go duration (e.g. 90s, 96h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Seconds returns the duration in whole seconds, as SQS attributes want it.
func (d Duration) Seconds() int64 { return int64(time.Duration(d) / time.Second) }

func (d Duration) String() string { return time.Duration(d).String() }

const (
	defaultVisibility = Duration(30 * time.Second)
	defaultRetention  = Duration(96 * time.Hour)
	maxVisibility     = Duration(12 * time.Hour)
	minRetention      = Duration(time.Minute)
	maxRetention      = Duration(14 * 24 * time.Hour)
)

// SQS queue names, as the Scaleway plugin's validator accepts them for a queue trigger.
var queueName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{2,80}$`)

// Load reads and validates a topology file.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("error reading topology: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates topology data; name is used in error messages.
// Unknown fields are errors, so a typo cannot silently drop a setting.
func Parse(name string, data []byte) (*File, error) {
	f := &File{path: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if f.Region == "" {
		return nil, fmt.Errorf("%s: region: missing", name)
	}
	if len(f.Stages) == 0 {
		return nil, fmt.Errorf("%s: stages: no stage declared", name)
	}
	for stageName, s := range f.Stages {
		if s == nil {
			return nil, fmt.Errorf("%s: stages.%s: empty", name, stageName)
		}
		s.Name, s.Region = stageName, f.Region
		if err := s.normalize(); err != nil {
			return nil, fmt.Errorf("%s: stages.%s.%w", name, stageName, err)
		}
	}
	return f, nil
}

// Stage returns the named stage, or an error listing the known ones.
func (f *File) Stage(name string) (*Stage, error) {
	if s, ok := f.Stages[name]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("%s: stages: no stage %q (known: %v)", f.path, name, f.StageNames())
}

// StageNames returns the declared stages, sorted.
func (f *File) StageNames() []string {
	names := make([]string, 0, len(f.Stages))
	for n := range f.Stages {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// QueueFor returns the queue of a function, if the stage declares one.
func (s *Stage) QueueFor(function string) (Queue, bool) {
	for _, q := range s.Queues {
		if q.Function == function {
			return q, true
		}
	}
	return Queue{}, false
}

// normalize applies defaults and validates; errors start with the field path below the stage.
func (s *Stage) normalize() error {
	if s.Namespace == "" {
		return fmt.Errorf("namespace: missing")
	}
	seenCred := map[string]bool{}
	for i, c := range s.Credentials {
		if c.Name == "" {
			return fmt.Errorf("credentials[%d].name: missing", i)
		}
		if seenCred[c.Name] {
			return fmt.Errorf("credentials[%d].name: %q declared twice", i, c.Name)
		}
		seenCred[c.Name] = true
	}

	dlq := &s.DeadLetterQueue
	if dlq.Function != "" || dlq.MaxReceiveCount != 0 {
		return fmt.Errorf("dead_letter_queue: function and max_receive_count do not apply to it")
	}
	if err := dlq.normalize(Queue{}); err != nil {
		return fmt.Errorf("dead_letter_queue.%w", err)
	}

	seen := map[string]string{dlq.Name: "dead_letter_queue"}
	seenFn := map[string]bool{}
	for i := range s.Queues {
		q := &s.Queues[i]
		field := fmt.Sprintf("queues[%d]", i)
		if err := q.normalize(s.QueueDefaults); err != nil {
			return fmt.Errorf("%s.%w", field, err)
		}
		if q.Function == "" {
			return fmt.Errorf("%s.function: missing", field)
		}
		if seenFn[q.Function] {
			return fmt.Errorf("%s.function: %q already has a queue", field, q.Function)
		}
		seenFn[q.Function] = true
		if other, dup := seen[q.Name]; dup {
			return fmt.Errorf("%s.name: %q is already used by %s", field, q.Name, other)
		}
		seen[q.Name] = field
		if q.MaxReceiveCount < 1 {
			return fmt.Errorf("%s.max_receive_count: must be >= 1 (set it here or in queue_defaults)", field)
		}
	}
	for i, c := range s.Crons {
		if c.Function == "" || c.Schedule == "" {
			return fmt.Errorf("crons[%d]: function and schedule are required", i)
		}
		// serverless.yml's schedule events, which the plugin accepts only in this form.
		if err := dag.CheckCron(c.Schedule); err != nil {
			return fmt.Errorf("crons[%d].schedule: %w", i, err)
		}
	}
	return nil
}

func (q *Queue) normalize(def Queue) error {
	if q.Name == "" {
		return fmt.Errorf("name: missing")
	}
	if !queueName.MatchString(q.Name) {
		return fmt.Errorf("name: %q must match %s", q.Name, queueName)
	}
	if q.VisibilityTimeout == 0 {
		q.VisibilityTimeout = def.VisibilityTimeout
	}
	if q.VisibilityTimeout == 0 {
		q.VisibilityTimeout = defaultVisibility
	}
	if q.MessageRetention == 0 {
		q.MessageRetention = def.MessageRetention
	}
	if q.MessageRetention == 0 {
		q.MessageRetention = defaultRetention
	}
	if q.MaxReceiveCount == 0 {
		q.MaxReceiveCount = def.MaxReceiveCount
	}
	if q.VisibilityTimeout > maxVisibility {
		return fmt.Errorf("visibility_timeout: %s is above the maximum of 12h", q.VisibilityTimeout)
	}
	if q.MessageRetention < minRetention || q.MessageRetention > maxRetention {
		return fmt.Errorf("message_retention: %s is outside 1m..336h", q.MessageRetention)
	}
	return nil
}
