package deploy_test

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// notDeployed lists the variables of shared/config that serverless.yml deliberately leaves
// out, with the reason. Every other variable must be in provider.env or provider.secret.
var notDeployed = map[string]string{
	"NATS_URL":   "deployments use Scaleway Queues (QUEUE_BACKEND=sqs); NATS is an alternative backend",
	"NATS_CREDS": "deployments use Scaleway Queues (QUEUE_BACKEND=sqs); NATS is an alternative backend",
}

// configVars is what shared/config reads: every get("NAME", …), dur("NAME", …) and
// pgURL("NAME", …) call, and the names listed in `var Secret`. It is read from the source
// (go/ast) so these checks never depend on the package compiling while others edit it.
type configVars struct {
	all    map[string]bool
	secret map[string]bool
}

var (
	cfgOnce sync.Once
	cfgVars configVars
	cfgErr  error
)

func readConfigVars(t *testing.T) configVars {
	t.Helper()
	cfgOnce.Do(func() {
		cfgVars = configVars{all: map[string]bool{}, secret: map[string]bool{}}
		dir := filepath.Join(repoRoot, "shared", "config")
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			cfgErr = os.ErrNotExist
			return
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				cfgErr = err
				return
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "get" || id.Name == "dur" || id.Name == "pgURL") && len(n.Args) > 0 {
						if name, ok := stringLit(n.Args[0]); ok {
							cfgVars.all[name] = true
						}
					}
				case *ast.ValueSpec:
					for i, id := range n.Names {
						if id.Name != "Secret" || i >= len(n.Values) {
							continue
						}
						if lit, ok := n.Values[i].(*ast.CompositeLit); ok {
							for _, e := range lit.Elts {
								if name, ok := stringLit(e); ok {
									cfgVars.secret[name] = true
								}
							}
						}
					}
				}
				return true
			})
		}
	})
	if cfgErr != nil {
		t.Fatalf("shared/config: %v", cfgErr)
	}
	if len(cfgVars.all) == 0 {
		t.Fatal("shared/config: found no get/dur/pgURL(\"NAME\", …) call: did the way variables are read change?")
	}
	for name := range cfgVars.secret {
		if !cfgVars.all[name] {
			t.Errorf("shared/config: Secret lists %s, which no get/dur/pgURL call reads", name)
		}
	}
	return cfgVars
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// rawConfig is serverless.yml as written (variables unresolved).
type rawConfig struct {
	Provider struct {
		Env    map[string]string `yaml:"env"`
		Secret map[string]string `yaml:"secret"`
	} `yaml:"provider"`
	Functions map[string]rawFunction `yaml:"functions"`
}

type rawFunction struct {
	Handler     string            `yaml:"handler"`
	Privacy     string            `yaml:"privacy"`
	MemoryLimit int               `yaml:"memoryLimit"`
	Timeout     string            `yaml:"timeout"`
	Env         map[string]string `yaml:"env"`
	Secret      map[string]string `yaml:"secret"`
	Events      []map[string]any  `yaml:"events"`
}

var (
	rawOnce sync.Once
	rawCfg  rawConfig
	rawErr  error
)

func rawServerless(t *testing.T) rawConfig {
	t.Helper()
	rawOnce.Do(func() {
		data, err := os.ReadFile(filepath.Join(repoRoot, "serverless.yml"))
		if err != nil {
			rawErr = err
			return
		}
		rawErr = yaml.Unmarshal(data, &rawCfg)
	})
	if rawErr != nil {
		t.Fatalf("serverless.yml: %v", rawErr)
	}
	return rawCfg
}

// Every variable the bundle reads is documented in .env.template, each with a comment, and
// the template has nothing else (a stale line would mislead).
func TestEnvTemplateCoversConfig(t *testing.T) {
	t.Parallel()
	vars := readConfigVars(t)
	path := filepath.Join(repoRoot, ".env.template")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	line := regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=(.*)$`)
	inTemplate := map[string]bool{}
	prev, n := "", 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		text := strings.TrimSpace(sc.Text())
		if m := line.FindStringSubmatch(text); m != nil {
			name, value := m[1], m[2]
			if inTemplate[name] {
				t.Errorf(".env.template:%d: %s is set twice", n, name)
			}
			inTemplate[name] = true
			if !strings.HasPrefix(prev, "#") {
				t.Errorf(".env.template:%d: %s has no comment line above it", n, name)
			}
			if !vars.all[name] {
				t.Errorf(".env.template:%d: %s is not read by shared/config (stale?)", n, name)
			}
			// A secret may only hold a local, credential-free value in a template.
			if vars.secret[name] && value != "" && !strings.Contains(value, "127.0.0.1") && !strings.Contains(value, "localhost") {
				t.Errorf(".env.template:%d: secret %s must be empty or a local URL, not %q", n, name, value)
			}
		} else if text != "" && !strings.HasPrefix(text, "#") {
			t.Errorf(".env.template:%d: not NAME=value nor a comment: %q", n, text)
		}
		if text != "" {
			prev = text
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, name := range sortedKeys(vars.all) {
		if !inTemplate[name] {
			t.Errorf(".env.template: %s (read by shared/config) is missing", name)
		}
	}
}

// goRuntimeVars are environment variables the Go runtime reads, not shared/config.
var goRuntimeVars = map[string]bool{"GOMEMLIMIT": true, "GOGC": true}

// serverless.yml passes configuration the way DESIGN §8 says: non-secret variables in
// `env`, secret ones in `secret` as ${env:NAME} (never a literal), nothing unknown.
func TestServerlessEnvMatchesConfig(t *testing.T) {
	t.Parallel()
	vars := readConfigVars(t)
	raw := rawServerless(t)

	type section struct {
		field       string
		env, secret map[string]string
	}
	sections := []section{{"provider", raw.Provider.Env, raw.Provider.Secret}}
	for name, fn := range raw.Functions {
		sections = append(sections, section{"functions." + name, fn.Env, fn.Secret})
	}
	deployed := map[string]bool{}
	for _, s := range sections {
		for name := range s.env {
			deployed[name] = true
			switch {
			case goRuntimeVars[name]: // read by the Go runtime itself
			case !vars.all[name]:
				t.Errorf("serverless.yml: %s.env.%s is not read by shared/config", s.field, name)
			case vars.secret[name]:
				t.Errorf("serverless.yml: %s.env.%s is a secret (config.Secret): move it to %s.secret", s.field, name, s.field)
			}
		}
		for name, value := range s.secret {
			deployed[name] = true
			if !vars.secret[name] {
				t.Errorf("serverless.yml: %s.secret.%s is not in config.Secret: is it really secret?", s.field, name)
			}
			if want := "${env:" + name + "}"; value != want {
				t.Errorf("serverless.yml: %s.secret.%s = %q, want %q (secrets come from the CD environment only)", s.field, name, value, want)
			}
		}
	}
	for _, name := range sortedKeys(vars.all) {
		_, skipped := notDeployed[name]
		switch {
		case skipped && deployed[name]:
			t.Errorf("serverless.yml sets %s, which tests/deploy/config_test.go lists as notDeployed: drop it from one of them", name)
		case !skipped && !deployed[name]:
			t.Errorf("serverless.yml: %s (read by shared/config) is in neither provider.env nor provider.secret; add it, or to notDeployed with the reason", name)
		}
	}
}

// .env.template says to copy it to .env and fill in values, secrets included: that .env
// (and .env.local and the like) must never be committed, so git ignores them.
func TestDotEnvIsIgnoredByGit(t *testing.T) {
	t.Parallel()
	// CI and `make test` run in a git clone.
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed: the tests run in a git clone")
	}
	if _, err := os.Stat(filepath.Join(repoRoot, ".git")); err != nil {
		t.Fatalf("%s is not a git checkout: the tests run in a git clone", repoRoot)
	}
	for _, name := range []string{".env", ".env.local", "local/.env"} {
		cmd := exec.Command("git", "check-ignore", "-q", "--no-index", name)
		cmd.Dir = repoRoot
		if err := cmd.Run(); err != nil {
			t.Errorf("git does not ignore %s (.gitignore): a developer's secrets could be committed", name)
		}
	}
	cmd := exec.Command("git", "check-ignore", "-q", "--no-index", ".env.template")
	cmd.Dir = repoRoot
	if cmd.Run() == nil {
		t.Errorf(".env.template is ignored by git: it must stay in the repository")
	}
}
