package deploy_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
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
