package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadServerlessReadsTheRealFile(t *testing.T) {
	t.Parallel()
	path, err := FindServerless(".")
	if err != nil {
		t.Fatal(err)
	}
	specs, warnings, err := LoadServerless(path, MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings: %v", warnings)
	}
	byName := map[string]FunctionSpec{}
	for _, s := range specs {
		byName[s.Name] = s
	}
	c, ok := byName["coordinator"]
	if !ok || !c.Private || c.Timeout != 300*time.Second || c.MaxScale != 3 || c.Handler != "functions/coordinator/Handle" {
		t.Fatalf("coordinator: %+v", c)
	}
	if len(c.Schedules) != 1 || c.Schedules[0].Rate != "* * * * *" || string(c.Schedules[0].Input) != `{"action":"tick"}` {
		t.Fatalf("coordinator schedules: %+v", c.Schedules)
	}
	n := byName["noop"]
	// maxScale is ${self:custom.taskMaxScale}: resolved through the stage default.
	if n.MaxScale != 5 || len(n.Queues) != 1 || n.Queues[0] != "lvao-preprod-noop" {
		t.Fatalf("noop: %+v", n)
	}
}

func TestLoadServerlessResolvesVariablesAndDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "serverless.yml")
	yml := `
custom:
  stage: ${opt:stage, 'dev'}
  scale: {dev: 7}
functions:
  a:
    handler: functions/a/Handle
    maxScale: ${self:custom.scale.${self:custom.stage}}
    timeout: 42
    events:
      - schedule: {rate: "0/10 * * * *"}
      - nats: {name: x, queue: "q-${env:SUFFIX}"}
  b:
    handler: functions/b/Handle
    privacy: public
    maxScale: ${self:custom.nothing}
    timeout: soon
`
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"a", "b"} { // the handlers' folders, as Scaleway builds them
		if err := os.MkdirAll(filepath.Join(dir, "functions", fn), 0o755); err != nil {
			t.Fatal(err)
		}
		src := "package " + fn + "\nvar handler = bundle.FromEnv(\"" + fn + "\")\n"
		if err := os.WriteFile(filepath.Join(dir, "functions", fn, "handler.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	specs, warnings, err := LoadServerless(path, MapEnv(map[string]string{"SUFFIX": "z"}))
	if err != nil {
		t.Fatal(err)
	}
	a, b := specs[0], specs[1]
	if a.MaxScale != 7 || a.Timeout != 42*time.Second || a.Private || len(a.Queues) != 1 || a.Queues[0] != "q-z" ||
		len(a.Schedules) != 1 || string(a.Schedules[0].Input) != "{}" {
		t.Fatalf("a: %+v", a)
	}
	if b.MaxScale != DefaultMaxScale || b.Timeout != DefaultTimeout {
		t.Fatalf("b: %+v", b)
	}
	if len(warnings) != 2 {
		t.Fatalf("want a warning for b's maxScale and timeout, got %v", warnings)
	}
}

// A cron the serverless plugin rejects (`*/10` steps, day or month names)
// fails `serverless deploy`: the harness must refuse it too, naming the
// file, the function, the event and the field, rather than fire it.
func TestLoadServerlessRejectsCronsThePluginRejects(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ rate, want string }{
		{"*/10 * * * *", `write 0/10`},
		{"0 3 * * MON", `MON`},
		{"0 3 1 JAN *", `JAN`},
		{"0 0 31 2 *", `never fires`},
		{"@hourly", `5 fields`},
	} {
		path := filepath.Join(t.TempDir(), "serverless.yml")
		yml := "functions:\n  coordinator:\n    handler: functions/coordinator/Handle\n    events:\n" +
			"      - schedule: {rate: \"0/5 * * * *\"}\n      - schedule: {rate: \"" + tt.rate + "\", input: {action: tick}}\n"
		if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadServerless(path, MapEnv(nil))
		if err == nil {
			t.Errorf("rate %q: accepted", tt.rate)
			continue
		}
		for _, want := range []string{path, "functions.coordinator.events[1].schedule.rate", tt.want} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("rate %q: error %q does not name %q", tt.rate, err, want)
			}
		}
	}
}

// The harness mounts a function by its name, whatever its handler says;
// Scaleway builds the handler's folder. A handler that is not
// `<folder>/Handle`, a folder that does not exist next to serverless.yml, or
// a folder wired to another function of the bundle would deploy differently
// (or not at all): each is a warning naming the function and the handler.
func TestLoadServerlessWarnsAboutHandlersScalewayWouldNotBuild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, src := range map[string]string{
		"noop": `package noop
var handler = bundle.FromEnv("noop")
`,
		"other": `package other
var handler = bundle.FromEnv("noop")
`,
	} {
		if err := os.MkdirAll(filepath.Join(dir, "functions", name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "functions", name, "handler.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "serverless.yml")
	yml := `functions:
  noop: {handler: functions/noop/Handle}
  http: {handler: functions/nope/Handle}
  trigger-dag: {handler: functions/other/Handle}
  web: {handler: functions/web/handler.Handle}
  coordinator: {}
`
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, warnings, err := LoadServerless(path, MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(warnings, "\n")
	for _, want := range []string{
		`functions.http.handler: "functions/nope/Handle": no folder functions/nope`,
		`functions.trigger-dag.handler: "functions/other/Handle": functions/other serves function "noop"`,
		`functions.web.handler: "functions/web/handler.Handle": not <folder>/Handle`,
		`functions.coordinator.handler: missing`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning %q in:\n%s", want, all)
		}
	}
	if strings.Contains(all, "functions.noop.") {
		t.Errorf("a correct handler was warned about:\n%s", all)
	}
}
