package harness

import (
	"os"
	"path/filepath"
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
