package deploy_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Every function builds from the zip Scaleway receives, the way its Go runtime builds it
// (tests/deploy/package.sh; `make package` runs the same script). Slow on a cold build cache
// (a few minutes on 2 cores), so skipped with -short.
func TestPackageBuildsEveryFunction(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds every function from the deployment zip: skipped with -short")
	}
	requireNode(t)
	if _, err := exec.LookPath("unzip"); err != nil {
		t.Skip("unzip not found")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(deployDir, "package.sh"), "preprod")
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tests/deploy/package.sh preprod: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
