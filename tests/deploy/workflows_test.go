package deploy_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// actionlint accepts every GitHub workflow. actionlint is built from the module proxy at the
// version pinned in tests/deploy/tools/go.mod (its own module: actionlint needs a newer go
// line than the bundle's). It runs shellcheck on `run:` scripts when shellcheck is installed
// (GitHub's runners have it) and skips that part otherwise.
func TestWorkflowsPassActionlint(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds actionlint: skipped with -short")
	}
	workflows, _ := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", "*.yml"))
	if len(workflows) == 0 {
		t.Fatal(".github/workflows has no *.yml")
	}
	for _, want := range []string{"ci.yml", "cd.yml", "cd_prod.yml"} {
		if !slices.Contains(workflows, filepath.Join(repoRoot, ".github", "workflows", want)) {
			t.Errorf(".github/workflows/%s is missing", want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "actionlint")
	// `go test` puts its own toolchain first in PATH.
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/rhysd/actionlint/cmd/actionlint")
	build.Dir = filepath.Join(deployDir, "tools")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building actionlint (tests/deploy/tools): %v\n%s", err, out)
	}

	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("shellcheck not installed: actionlint checks the workflows without it")
	}
	lint := exec.CommandContext(ctx, bin, append([]string{"-no-color"}, workflows...)...)
	lint.Dir = repoRoot
	out, err := lint.CombinedOutput()
	if err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
}

// When the tests hang, `go test -timeout` (the Makefile's TEST_TIMEOUT) must fire before
// GitHub kills the CI job: it prints the stuck goroutines, a killed job prints nothing.
func TestCIJobOutlastsTheTestTimeout(t *testing.T) {
	t.Parallel()
	mk, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TEST_TIMEOUT \?= (\S+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile: no TEST_TIMEOUT ?= …")
	}
	testTimeout, err := time.ParseDuration(string(m[1]))
	if err != nil {
		t.Fatalf("Makefile: TEST_TIMEOUT %s: %v", m[1], err)
	}
	var wf struct {
		Jobs map[string]struct {
			TimeoutMinutes int `yaml:"timeout-minutes"`
		} `yaml:"jobs"`
	}
	data, err := os.ReadFile(filepath.Join(repoRoot, ".github", "workflows", "ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	job := time.Duration(wf.Jobs["test"].TimeoutMinutes) * time.Minute
	// The job also installs Node packages, starts NATS and builds before testing.
	if job < testTimeout+10*time.Minute {
		t.Errorf("ci.yml jobs.test.timeout-minutes is %s, want at least TEST_TIMEOUT (%s) + 10m", job, testTimeout)
	}
}

// Prod deploys only a tag on main's history: cd_prod's deploy job needs the
// job that checks it.
func TestProdDeploysOnlyTagsOfMain(t *testing.T) {
	t.Parallel()
	var wf struct {
		Jobs map[string]struct {
			Needs any `yaml:"needs"`
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	data, err := os.ReadFile(filepath.Join(repoRoot, ".github", "workflows", "cd_prod.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	needs, _ := wf.Jobs["deploy"].Needs.([]any)
	if !slices.Contains(needs, any("on-main")) || !slices.Contains(needs, any("test")) {
		t.Fatalf("cd_prod's deploy needs %v, want on-main and test", wf.Jobs["deploy"].Needs)
	}
	checked := false
	for _, st := range wf.Jobs["on-main"].Steps {
		checked = checked || regexp.MustCompile(`merge-base --is-ancestor "\$GITHUB_SHA" origin/main`).MatchString(st.Run)
	}
	if !checked {
		t.Error("cd_prod's on-main job does not check that the tag's commit is on main")
	}
}
