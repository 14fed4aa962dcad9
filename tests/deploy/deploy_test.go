// Package deploy_test checks the deployable description of the bundle: serverless.yml as the
// pinned Serverless Framework and Scaleway plugin read it (tests/deploy/package.json), its
// consistency with the code, the DAGs, triggers/topology.yaml and .env.template, the GitHub
// workflows (actionlint) and the zip Scaleway builds from (package.sh).
//
// Node.js and npm are required except for the checks that do not run them; without them those
// tests are skipped (CI has both). node_modules is installed on first use with `npm ci`.
package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"testing"
	"time"
)

// repoRoot is the module root (two levels above this file).
var repoRoot = func() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(here), "..", ".."))
}()

// deployDir is tests/deploy, where package.json and node_modules live.
var deployDir = filepath.Join(repoRoot, "tests", "deploy")

// stages are the deployment stages every check covers.
var stages = []string{"preprod", "prod"}

var (
	npmOnce sync.Once
	npmErr  error
	npmLog  []byte
)

// requireNode skips the test when node/npm are absent and installs tests/deploy/node_modules
// (npm ci, from the lockfile) when it is missing. It returns the serverless binary.
func requireNode(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: the Serverless Framework checks need Node.js and npm", tool)
		}
	}
	bin := filepath.Join(deployDir, "node_modules", ".bin", "serverless")
	npmOnce.Do(func() {
		if _, err := os.Stat(bin); err == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--prefix", deployDir, "--no-audit", "--no-fund")
		npmLog, npmErr = cmd.CombinedOutput()
	})
	if npmErr != nil {
		t.Fatalf("npm ci --prefix tests/deploy: %v\n%s", npmErr, npmLog)
	}
	return bin
}

// nodeEnv is the environment of node commands: a temporary HOME (so neither the developer's
// ~/.config/scw nor ~/.serverlessrc is read or written), no telemetry, dummy credentials and
// secrets. Nothing of the test process's own environment but PATH leaks in, so a developer's
// real secrets never reach a command's output.
func nodeEnv(t *testing.T) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"SLS_TELEMETRY_DISABLED=1",
		"SLS_NOTIFICATIONS_MODE=off",
		"SLS_DEPRECATION_DISABLE=*",
		"SCW_SECRET_KEY=00000000-0000-0000-0000-000000000000",
		"SCW_DEFAULT_PROJECT_ID=00000000-0000-0000-0000-000000000000",
	}
	for name, value := range secretEnv(t) {
		env = append(env, name+"="+value)
	}
	return env
}

var envRef = regexp.MustCompile(`\$\{env:([A-Z0-9_]+)\}`)

// secretEnv gives every ${env:NAME} of serverless.yml a recognisable dummy value.
func secretEnv(t *testing.T) map[string]string {
	t.Helper()
	raw := rawServerless(t)
	out := map[string]string{}
	for name := range raw.Provider.Secret {
		out[name] = "dummy-" + name
	}
	// Function-level variables from the CD environment (e.g. web's COORDINATOR_URL).
	text, err := os.ReadFile(filepath.Join(repoRoot, "serverless.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range envRef.FindAllStringSubmatch(string(text), -1) {
		out[m[1]] = "dummy-" + m[1]
	}
	return out
}

// resolved is the subset of `serverless print --format json` the tests read.
type resolved struct {
	Service  string   `json:"service"`
	Plugins  []string `json:"plugins"`
	Provider struct {
		Name      string            `json:"name"`
		Runtime   string            `json:"runtime"`
		ScwRegion string            `json:"scwRegion"`
		Env       map[string]string `json:"env"`
		Secret    map[string]string `json:"secret"`
	} `json:"provider"`
	Functions map[string]slsFunction `json:"functions"`
}

type slsFunction struct {
	Handler     string `json:"handler"`
	Privacy     string `json:"privacy"`
	MemoryLimit int    `json:"memoryLimit"`
	Timeout     string `json:"timeout"`
	Events      []struct {
		Schedule *struct {
			Rate  string         `json:"rate"`
			Input map[string]any `json:"input"`
		} `json:"schedule"`
		SQS *struct {
			Name   string `json:"name"`
			Queue  string `json:"queue"`
			Region string `json:"region"`
		} `json:"sqs"`
	} `json:"events"`
}

type printResult struct {
	json []byte
	cfg  *resolved
	err  error
	out  []byte
}

var (
	printMu    sync.Mutex
	printCache = map[string]*printResult{}
)

// serverlessPrint runs `serverless print --stage STAGE --format json` in the repository root,
// once per stage per test binary, and returns the raw JSON and its decoded form.
func serverlessPrint(t *testing.T, stage string) ([]byte, *resolved) {
	t.Helper()
	bin := requireNode(t)
	printMu.Lock()
	defer printMu.Unlock()
	r, ok := printCache[stage]
	if !ok {
		r = &printResult{}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "print", "--stage", stage, "--format", "json")
		cmd.Dir = repoRoot
		cmd.Env = nodeEnv(t)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if r.err = cmd.Run(); r.err == nil {
			r.json = stdout.Bytes()
			r.cfg = &resolved{}
			r.err = json.Unmarshal(r.json, r.cfg)
		}
		r.out = append(stdout.Bytes(), stderr.Bytes()...)
		printCache[stage] = r
	}
	if r.err != nil {
		t.Fatalf("serverless print --stage %s: %v\n%s", stage, r.err, r.out)
	}
	return r.json, r.cfg
}
