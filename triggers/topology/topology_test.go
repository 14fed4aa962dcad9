package topology

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The real file must load, for every stage, with the invariants the platform relies on.
func TestRepositoryTopology(t *testing.T) {
	t.Parallel()
	_, here, _, _ := runtime.Caller(0)
	f, err := Load(filepath.Join(filepath.Dir(here), "..", "topology.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.StageNames(); strings.Join(got, ",") != "preprod,prod" {
		t.Errorf("stages = %v, want preprod and prod", got)
	}
	for _, name := range f.StageNames() {
		s, _ := f.Stage(name)
		for _, q := range s.Queues {
			if q.MaxReceiveCount != 4 {
				t.Errorf("%s %s: max_receive_count %d, want 4 (one delivery + 3 trigger retries)", name, q.Name, q.MaxReceiveCount)
			}
			if want := "lvao-" + name + "-" + q.Function; q.Name != want {
				t.Errorf("%s: queue %s of %s should be named %s (QUEUE_PREFIX + function)", name, q.Name, q.Function, want)
			}
		}
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	f, err := Parse("t.yaml", []byte(`
region: fr-par
stages:
  s:
    namespace: ns
    dead_letter_queue: {name: dlq}
    queue_defaults: {message_retention: 1h, max_receive_count: 4}
    queues:
      - {name: q1, function: f1}
      - {name: q2, function: f2, visibility_timeout: 2m, max_receive_count: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := f.Stage("s")
	q1, _ := s.QueueFor("f1")
	if q1.VisibilityTimeout != Duration(30*time.Second) || q1.MessageRetention != Duration(time.Hour) || q1.MaxReceiveCount != 4 {
		t.Errorf("q1 defaults not applied: %+v", q1)
	}
	q2, _ := s.QueueFor("f2")
	if q2.VisibilityTimeout != Duration(2*time.Minute) || q2.MaxReceiveCount != 2 {
		t.Errorf("q2 own values lost: %+v", q2)
	}
	if s.DeadLetterQueue.MessageRetention != defaultRetention {
		t.Errorf("dlq retention = %s, want SQS default", s.DeadLetterQueue.MessageRetention)
	}
	if got := q2.attributes("arn:x")["RedrivePolicy"]; got != `{"deadLetterTargetArn":"arn:x","maxReceiveCount":2}` {
		t.Errorf("redrive policy = %s", got)
	}
}

// Errors name the file and the field, so a CI log points at the line to fix.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	base := "region: fr-par\nstages:\n  s:\n    namespace: ns\n    dead_letter_queue: {name: dlq}\n    queue_defaults: {max_receive_count: 4}\n"
	tests := []struct{ name, yaml, want string }{
		{"no region", "stages: {s: {namespace: n}}", "t.yaml: region: missing"},
		{"unknown field", base + "    queus: []\n", "field queus not found"},
		{"bad duration", base + "    queues: [{name: qq, function: f, visibility_timeout: 10}]\n", `"10" is not a Go duration`},
		{"no function", base + "    queues: [{name: qq}]\n", "stages.s.queues[0].function: missing"},
		{"duplicate name", base + "    queues: [{name: dlq, function: f}]\n", `stages.s.queues[0].name: "dlq" is already used by dead_letter_queue`},
		{"two queues for one function", base + "    queues: [{name: aa, function: f}, {name: bb, function: f}]\n", `queues[1].function: "f" already has a queue`},
		{"visibility too long", base + "    queues: [{name: qq, function: f, visibility_timeout: 13h}]\n", "visibility_timeout: 13h0m0s is above the maximum"},
		{"retention too long", base + "    queues: [{name: qq, function: f, message_retention: 400h}]\n", "message_retention: 400h0m0s is outside"},
		{"bad queue name", base + "    queues: [{name: 'a b', function: f}]\n", `queues[0].name: "a b" must match`},
		{"no namespace", "region: r\nstages: {s: {dead_letter_queue: {name: dd}}}", "stages.s.namespace: missing"},
		{"dlq with function", "region: r\nstages: {s: {namespace: n, dead_letter_queue: {name: dd, function: f}}}", "dead_letter_queue: function and max_receive_count do not apply"},
		// The crons serverless.yml declares, in the form the serverless plugin accepts.
		{"cron with */n", base + "    crons: [{function: coordinator, schedule: '*/10 * * * *'}]\n", `stages.s.crons[0].schedule: "*/10 * * * *": minute field "*/10": the serverless plugin rejects */n steps, write 0/10`},
		{"cron with a day name", base + "    crons: [{function: coordinator, schedule: '0 3 * * MON'}]\n", `stages.s.crons[0].schedule: "0 3 * * MON": day-of-week field "MON"`},
		{"cron with 6 fields", base + "    crons: [{function: coordinator, schedule: '0 0 3 * * *'}]\n", `stages.s.crons[0].schedule: "0 0 3 * * *": cron needs 5 fields`},
		{"no receive count", "region: r\nstages: {s: {namespace: n, dead_letter_queue: {name: dd}, queues: [{name: qq, function: f}]}}", "queues[0].max_receive_count: must be >= 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("t.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSameAttribute(t *testing.T) {
	t.Parallel()
	want := redrivePolicy("arn:a", 4)
	tests := []struct {
		name, attr, want, got string
		same                  bool
	}{
		{"number", attrRedrive, want, `{"maxReceiveCount":4,"deadLetterTargetArn":"arn:a"}`, true},
		{"string count", attrRedrive, want, `{"deadLetterTargetArn":"arn:a","maxReceiveCount":"4"}`, true},
		{"other count", attrRedrive, want, `{"deadLetterTargetArn":"arn:a","maxReceiveCount":5}`, false},
		{"other arn", attrRedrive, want, `{"deadLetterTargetArn":"arn:b","maxReceiveCount":4}`, false},
		{"garbage", attrRedrive, want, `nope`, false},
		{"plain equal", attrVisibility, "90", "90", true},
		{"plain differ", attrVisibility, "90", "30", false},
	}
	for _, tt := range tests {
		if got := sameAttribute(tt.attr, tt.want, tt.got); got != tt.same {
			t.Errorf("%s: sameAttribute = %t, want %t", tt.name, got, tt.same)
		}
	}
}

func TestStageUnknown(t *testing.T) {
	t.Parallel()
	f, err := Parse("t.yaml", []byte("region: r\nstages: {a: {namespace: n, dead_letter_queue: {name: dd}}}"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Stage("b"); err == nil || !strings.Contains(err.Error(), `t.yaml: stages: no stage "b" (known: [a])`) {
		t.Errorf("error = %v", err)
	}
}
