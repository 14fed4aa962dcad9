package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `make test` (CI) and `make local` run tests/setup.sh. GitHub's runners are not root (apt-get
// needs sudo there) and are Ubuntu, where what a test needs may be installed without the
// Debian package of that name (PostGIS in the Postgres service container, tools on PATH).
// setup.sh installs only what is really missing, through sudo when not root.
func TestSetupInstallsOnlyWhatIsMissingThroughSudo(t *testing.T) {
	t.Parallel()
	if (exec.Command("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/5432").Run()) != nil ||
		(exec.Command("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/4222").Run()) != nil {
		t.Fatal("Postgres (127.0.0.1:5432) and NATS (127.0.0.1:4222) must be up: make test starts them (make deps)")
	}
	stubs := t.TempDir()
	calls := filepath.Join(t.TempDir(), "calls")
	stub := func(name, body string) {
		if err := os.WriteFile(filepath.Join(stubs, name), []byte("#!/usr/bin/env bash\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	stub("id", `[ "$1" = -u ] && { echo 1001; exit 0; }; exec /usr/bin/id "$@"`)
	stub("sudo", `echo "sudo $*" >>`+calls+`; [ "$1" = -n ] && shift; exec "$@"`)
	stub("apt-get", `echo "apt-get $*" >>`+calls)
	stub("dpkg", `exit 1`) // no Debian package is installed
	stub("psql", `echo 1`) // the server has PostGIS (a service container's)
	stub("shellcheck", `exit 0`)
	stub("unzip", `exit 0`)

	cmd := exec.Command("bash", filepath.Join(repoRoot, "tests", "setup.sh"), "shellcheck", "unzip", "postgresql-15-postgis-3", "nosuch-tool")
	cmd.Env = append(os.Environ(), "PATH="+stubs+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("setup.sh: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(calls)
	var installs []string
	for _, l := range strings.Split(strings.TrimSpace(string(got)), "\n") {
		if strings.HasPrefix(l, "apt-get") && strings.Contains(l, " install ") {
			installs = append(installs, l)
		}
	}
	if len(installs) != 1 || !strings.HasSuffix(installs[0], " nosuch-tool") ||
		strings.Contains(installs[0], "shellcheck") || strings.Contains(installs[0], "unzip") || strings.Contains(installs[0], "postgis") {
		t.Errorf("apt-get installs %q, want nosuch-tool only\n%s", installs, out)
	}
	if !strings.Contains(string(got), "sudo ") || !strings.Contains(string(got), " install -y") {
		t.Errorf("not root: apt-get should run through sudo; calls:\n%s", got)
	}
	// Another apt holding dpkg's lock (a fresh machine's upgrades) is waited for.
	if len(installs) > 0 && !strings.Contains(installs[0], "DPkg::Lock::Timeout=") {
		t.Errorf("apt-get install %q does not wait for dpkg's lock", installs[0])
	}
}
