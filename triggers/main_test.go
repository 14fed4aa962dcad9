package main

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lvao/dataplatform/triggers/internal/fakescw"
	"github.com/lvao/dataplatform/triggers/topology"
)

const (
	testProject   = "11111111-2222-3333-4444-555555555555"
	testAccessKey = "SCWABCDEFGHIJKLMNOPQ"
	testSecretKey = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	testSQSAccess = "sqs-manage-access"
)

// testBundle is a fake Scaleway and the environment pointing the tool at it.
type testBundle struct {
	fake  *fakescw.Server
	env   map[string]string
	stage *topology.Stage
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	fake := fakescw.New(t)
	fake.ProjectID, fake.SecretKey, fake.SQSAccessKey = testProject, testSecretKey, testSQSAccess
	fake.SQSEnabled = true
	file, err := topology.Parse("triggers/topology.yaml", embeddedTopology)
	if err != nil {
		t.Fatal(err)
	}
	stage, err := file.Stage("preprod")
	if err != nil {
		t.Fatal(err)
	}
	// The credentials exist with the wanted permissions, as after the one-time manual setup.
	for i, c := range stage.Credentials {
		fake.Credentials = append(fake.Credentials, fakescw.Credential{
			ID: string(rune('a'+i)) + "0000000-0000-0000-0000-000000000000", Name: c.Name,
			CanPublish: c.CanPublish, CanReceive: c.CanReceive, CanManage: c.CanManage,
		})
	}
	return &testBundle{
		fake:  fake,
		stage: stage,
		env: map[string]string{
			"SCW_ACCESS_KEY": testAccessKey, "SCW_SECRET_KEY": testSecretKey, "SCW_DEFAULT_PROJECT_ID": testProject,
			"SQS_ACCESS_KEY": testSQSAccess, "SQS_SECRET_KEY": "sqs-manage-secret",
			"SCW_API_URL": fake.URL, "SQS_ENDPOINT": fake.URL,
		},
	}
}

// run runs the command line against the fake and returns exit code, stdout and stderr.
func (b *testBundle) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return b.env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// ops returns the recorded calls as "Op" strings, and the mutating ones apart.
func ops(calls []fakescw.Call) (all, mutating []string) {
	for _, c := range calls {
		all = append(all, c.String())
		if c.Mutating {
			mutating = append(mutating, c.Op)
		}
	}
	sort.Strings(mutating)
	return all, mutating
}

func TestPlanChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code, out, errOut := b.run(t, "plan", "--stage", "preprod")
	if code != 0 {
		t.Fatalf("plan exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, mutating := ops(b.fake.Calls()); len(mutating) > 0 {
		t.Errorf("plan made mutating calls: %v", mutating)
	}
	for _, q := range append([]topology.Queue{b.stage.DeadLetterQueue}, b.stage.Queues...) {
		if !strings.Contains(out, `create   queue "`+q.Name+`"`) {
			t.Errorf("plan output does not announce the creation of %s:\n%s", q.Name, out)
		}
	}
	if len(b.fake.Queues) != 0 {
		t.Errorf("plan created queues: %v", b.fake.Queues)
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)

	code, out, errOut := b.run(t, "apply", "--stage", "preprod")
	if code != 0 {
		t.Fatalf("first apply exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	dlq := b.stage.DeadLetterQueue.Name
	want := []string{
		// plan: Queues status, credentials, then each queue (none exists yet)
		"GET /mnq/v1beta1/regions/fr-par/sqs-info",
		"GET /mnq/v1beta1/regions/fr-par/sqs-credentials",
		"GetQueueUrl " + dlq,
	}
	for _, q := range b.stage.Queues {
		want = append(want, "GetQueueUrl "+q.Name)
	}
	// apply: the dead-letter queue, its ARN, then the queues redriving to it
	want = append(want, "CreateQueue "+dlq, "GetQueueUrl "+dlq, "GetQueueAttributes "+dlq)
	for _, q := range b.stage.Queues {
		want = append(want, "CreateQueue "+q.Name)
	}
	if all, _ := ops(b.fake.Calls()); strings.Join(all, "\n") != strings.Join(want, "\n") {
		t.Errorf("first apply calls:\n  %s\nwant:\n  %s", strings.Join(all, "\n  "), strings.Join(want, "\n  "))
	}
	dlqArn := b.fake.QueueArn(b.stage.DeadLetterQueue.Name)
	for _, q := range b.stage.Queues {
		attrs, ok := b.fake.Queues[q.Name]
		if !ok {
			t.Errorf("queue %s not created", q.Name)
			continue
		}
		if got, want := attrs["VisibilityTimeout"], itoa(q.VisibilityTimeout.Seconds()); got != want {
			t.Errorf("%s VisibilityTimeout = %s, want %s", q.Name, got, want)
		}
		var rp struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     int    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(attrs["RedrivePolicy"]), &rp); err != nil || rp.DeadLetterTargetArn != dlqArn || rp.MaxReceiveCount != 4 {
			t.Errorf("%s RedrivePolicy = %q, want the DLQ %s after 4 receives", q.Name, attrs["RedrivePolicy"], dlqArn)
		}
	}
	if got := b.fake.Queues[b.stage.DeadLetterQueue.Name]["MessageRetentionPeriod"]; got != "1209600" {
		t.Errorf("DLQ MessageRetentionPeriod = %s, want 1209600 (14 days)", got)
	}

	code, out, errOut = b.run(t, "apply", "--stage", "preprod")
	if code != 0 {
		t.Fatalf("second apply exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, mutating := ops(b.fake.Calls()); len(mutating) > 0 {
		t.Errorf("second apply made mutating calls although nothing changed: %v", mutating)
	}
	if !strings.Contains(out, "0 change(s)") {
		t.Errorf("second apply output should report no change:\n%s", out)
	}
}

func TestApplyRepairsDrift(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if code, out, errOut := b.run(t, "apply"); code != 0 {
		t.Fatalf("apply exit %d\n%s\n%s", code, out, errOut)
	}
	b.fake.Calls()
	// Someone shortened a visibility timeout and widened the functions' credentials.
	noop := b.stage.Queues[0].Name
	b.fake.Queues[noop]["VisibilityTimeout"] = "30"
	b.fake.Credentials[0].CanManage = true

	code, out, _ := b.run(t, "plan")
	if code != 0 || !strings.Contains(out, "VisibilityTimeout 30 -> 90") || !strings.Contains(out, "manage=true -> ") {
		t.Errorf("plan (exit %d) should show both drifts:\n%s", code, out)
	}
	b.fake.Calls()
	if code, out, errOut := b.run(t, "apply"); code != 0 {
		t.Fatalf("apply exit %d\n%s\n%s", code, out, errOut)
	}
	_, mutating := ops(b.fake.Calls())
	want := "PATCH /mnq/v1beta1/regions/fr-par/sqs-credentials/" + b.fake.Credentials[0].ID + ",SetQueueAttributes"
	if strings.Join(mutating, ",") != want {
		t.Errorf("repair calls = %v, want %s", mutating, want)
	}
	if b.fake.Queues[noop]["VisibilityTimeout"] != "90" || b.fake.Credentials[0].CanManage {
		t.Errorf("drift not repaired: %v %+v", b.fake.Queues[noop], b.fake.Credentials[0])
	}
}

func TestApplyActivatesQueuesFirst(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.SQSEnabled = false
	b.fake.Credentials = nil      // nothing can exist before activation
	delete(b.env, "SQS_ENDPOINT") // use the endpoint the Queues API reports
	code, out, _ := b.run(t, "plan")
	if code != 1 || !strings.Contains(out, "activate") || !strings.Contains(out, `credentials "lvao-preprod-functions": not found`) {
		t.Errorf("plan on a fresh project (exit %d, want 1 for the missing credentials):\n%s", code, out)
	}
	if _, mutating := ops(b.fake.Calls()); len(mutating) > 0 {
		t.Errorf("plan made mutating calls: %v", mutating)
	}
	code, _, errOut := b.run(t, "apply")
	all, _ := ops(b.fake.Calls())
	if code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("apply should create what it can, then fail on the missing credentials (exit %d): %s", code, errOut)
	}
	want := len(b.stage.Queues) + 1 // and the dead-letter queue
	if len(all) < 2 || all[1] != "POST /mnq/v1beta1/regions/fr-par/activate-sqs" || len(b.fake.Queues) != want {
		t.Errorf("apply calls = %v, queues = %d: want activation, then the %d queues", all, len(b.fake.Queues), want)
	}
}

func TestCheckFindsMissingTriggers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if code, out, errOut := b.run(t, "apply"); code != 0 {
		t.Fatalf("apply exit %d\n%s\n%s", code, out, errOut)
	}
	// What `serverless deploy` makes: the namespace, the functions, their triggers and crons.
	ns := "ns-1"
	b.fake.Namespaces[b.stage.Namespace] = ns
	fnID := func(name string) string { return "fn-" + name }
	for _, q := range b.stage.Queues {
		b.fake.Functions[ns+"/"+q.Function] = fnID(q.Function)
		b.fake.Triggers = append(b.fake.Triggers, fakescw.Trigger{ID: "tr-" + q.Function, FunctionID: fnID(q.Function), Queue: q.Name, Status: "ready"})
	}
	for _, c := range b.stage.Crons {
		b.fake.Functions[ns+"/"+c.Function] = fnID(c.Function)
		b.fake.Crons = append(b.fake.Crons, fakescw.Cron{ID: "cr-" + c.Function, FunctionID: fnID(c.Function), Schedule: c.Schedule, Args: c.Args})
	}
	b.fake.Calls()

	if code, out, errOut := b.run(t, "check"); code != 0 {
		t.Fatalf("check on a complete deployment: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, mutating := ops(b.fake.Calls()); len(mutating) > 0 {
		t.Errorf("check made mutating calls: %v", mutating)
	}

	b.fake.Triggers = b.fake.Triggers[1:] // the first queue lost its trigger
	b.fake.Crons[0].Schedule = "0 * * * *"
	code, out, errOut := b.run(t, "check")
	first := b.stage.Queues[0]
	if code != 1 || !strings.Contains(out, "queue trigger "+first.Name+" -> "+first.Function+": no SQS trigger") ||
		!strings.Contains(out, `cron "* * * * *" -> coordinator: no cron`) {
		t.Errorf("check should report the missing trigger and cron (exit %d):\n%s\n%s", code, out, errOut)
	}
}

// `check --wait` looks again while the plugin is still creating triggers. Not parallel: it
// shortens the package's poll interval.
func TestCheckWaitsForTriggers(t *testing.T) {
	defer func(d time.Duration) { checkPollInterval = d }(checkPollInterval)
	checkPollInterval = 10 * time.Millisecond
	b := setup(t)
	if code, out, errOut := b.run(t, "apply"); code != 0 {
		t.Fatalf("apply exit %d\n%s\n%s", code, out, errOut)
	}
	ns := "ns-1"
	b.fake.Namespaces[b.stage.Namespace] = ns
	for _, q := range b.stage.Queues {
		b.fake.Functions[ns+"/"+q.Function] = "fn-" + q.Function
	}
	for _, c := range b.stage.Crons {
		b.fake.Functions[ns+"/"+c.Function] = "fn-" + c.Function
		b.fake.Crons = append(b.fake.Crons, fakescw.Cron{ID: "cr", FunctionID: "fn-" + c.Function, Schedule: c.Schedule, Args: c.Args})
	}
	// The triggers appear on the third listing, as if the platform were still creating them.
	lists := 0
	b.fake.BeforeCall = func(op string) {
		if !strings.HasSuffix(op, "/triggers") {
			return
		}
		if lists++; lists == 3 {
			for _, q := range b.stage.Queues {
				b.fake.Triggers = append(b.fake.Triggers, fakescw.Trigger{ID: "tr-" + q.Function, FunctionID: "fn-" + q.Function, Queue: q.Name, Status: "creating"})
			}
		}
	}
	code, out, errOut := b.run(t, "check", "--wait", "5s")
	if code != 0 || lists != 3 {
		t.Errorf("check --wait: exit %d after %d listings, want 0 after 3\n%s\n%s", code, lists, out, errOut)
	}
	if code, _, _ := b.run(t, "check"); code != 0 {
		t.Errorf("check without --wait on the complete deployment: exit %d", code)
	}
}

func TestUsageAndEnvironmentErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if code, _, _ := b.run(t); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
	if code, _, errOut := b.run(t, "plan", "--stage", "staging"); code != 2 || !strings.Contains(errOut, `no stage "staging"`) {
		t.Errorf("unknown stage: exit %d, %s", code, errOut)
	}
	b.env["SCW_SECRET_KEY"] = "not-a-uuid-but-a-secret"
	b.env["SQS_SECRET_KEY"] = ""
	code, _, errOut := b.run(t, "plan")
	if code != 2 || !strings.Contains(errOut, "SCW_SECRET_KEY") || !strings.Contains(errOut, "SQS_SECRET_KEY") {
		t.Errorf("bad credentials: exit %d, %s", code, errOut)
	}
	if strings.Contains(errOut, "not-a-uuid-but-a-secret") {
		t.Errorf("an error message printed a secret value: %s", errOut)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Asking for help is no error: usage on stdout, exit 0. An API URL or SQS
// endpoint that is not an http(s) URL is bad usage (exit 2) named at once,
// not a failed request (exit 1) with the SDK's "unsupported protocol scheme".
func TestHelpAndBadURLs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, args := range [][]string{{"--help"}, {"help"}, {"plan", "--help"}, {"check", "-h"}} {
		code, out, errOut := b.run(t, args...)
		if code != 0 || !strings.Contains(out, "usage: triggers plan|apply|check") || errOut != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if code, _, errOut := b.run(t, "plan", "--bogus"); code != 2 || !strings.Contains(errOut, "bogus") {
		t.Errorf("bad flag: exit %d, %s", code, errOut)
	}
	for _, tt := range []struct{ flag, value, want string }{
		{"--scw-api-url", "notaurl", `--scw-api-url (SCW_API_URL): "notaurl" is not an http(s):// URL`},
		{"--sqs-endpoint", "sqs.mnq.fr-par.scaleway.com", `--sqs-endpoint (SQS_ENDPOINT): "sqs.mnq.fr-par.scaleway.com" is not an http(s):// URL`},
	} {
		code, _, errOut := b.run(t, "plan", tt.flag, tt.value)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s %s: exit %d, %s", tt.flag, tt.value, code, errOut)
		}
	}
	if calls := b.fake.Calls(); len(calls) != 0 {
		t.Errorf("bad usage still called the API: %v", calls)
	}
}

// A --timeout that is not positive, or a negative --wait, would give up
// before the first request ("context deadline exceeded", exit 1): bad usage.
func TestNonPositiveTimeoutIsBadUsage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, args := range [][]string{{"plan", "--timeout", "0"}, {"check", "--timeout", "-1s"}, {"check", "--wait", "-5m"}} {
		code, _, errOut := b.run(t, args...)
		if code != 2 || !strings.Contains(errOut, args[1]) || strings.Contains(errOut, "deadline") {
			t.Errorf("%v: exit %d, %s", args, code, errOut)
		}
	}
	if calls := b.fake.Calls(); len(calls) != 0 {
		t.Errorf("bad usage still called the API: %v", calls)
	}
}
