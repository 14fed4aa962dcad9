package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The pinned Serverless Framework resolves serverless.yml for every stage, with the
// stage-aware names and the secrets taken from the environment.
func TestServerlessPrint(t *testing.T) {
	t.Parallel()
	for _, stage := range stages {
		t.Run(stage, func(t *testing.T) {
			_, cfg := serverlessPrint(t, stage)
			checks := []struct{ field, got, want string }{
				{"service", cfg.Service, "lvao-" + stage},
				{"provider.name", cfg.Provider.Name, "scaleway"},
				{"provider.runtime", cfg.Provider.Runtime, "go124"},
				{"provider.scwRegion", cfg.Provider.ScwRegion, "fr-par"},
				{"provider.env.STAGE", cfg.Provider.Env["STAGE"], stage},
				{"provider.env.QUEUE_PREFIX", cfg.Provider.Env["QUEUE_PREFIX"], "lvao-" + stage + "-"},
				{"plugins", strings.Join(cfg.Plugins, ","), "serverless-scaleway-functions"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("serverless.yml (stage %s): %s = %q, want %q", stage, c.field, c.got, c.want)
				}
			}
			for name, value := range cfg.Provider.Secret {
				if value != "dummy-"+name {
					t.Errorf("serverless.yml: provider.secret.%s resolved to %q, want the value of ${env:%s}", name, value, name)
				}
			}
			if len(cfg.Functions) == 0 {
				t.Errorf("serverless.yml (stage %s): no function", stage)
			}
		})
	}
}

// A typo in --stage, or a secret missing from the CD environment, must stop a deploy.
func TestServerlessPrintRejects(t *testing.T) {
	t.Parallel()
	bin := requireNode(t)
	raw := rawServerless(t)
	var aSecret string
	for name := range raw.Provider.Secret {
		aSecret = name
		break
	}
	tests := []struct {
		name, stage, drop, want string
	}{
		{"unknown stage", "staging", "", "Cannot resolve variable"},
		{"missing secret", "preprod", aSecret, aSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "print", "--stage", tt.stage)
			cmd.Dir = repoRoot
			for _, kv := range nodeEnv(t) {
				if tt.drop == "" || !strings.HasPrefix(kv, tt.drop+"=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tt.want) {
				t.Errorf("serverless print --stage %s without %q: err=%v, want a failure mentioning %q\n%s", tt.stage, tt.drop, err, tt.want, out)
			}
		})
	}
}

// validatePlugin runs validate_plugin.js on a resolved configuration.
func validatePlugin(t *testing.T, resolvedJSON []byte) (checked, errs []string, err error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "resolved.json")
	if err := os.WriteFile(file, resolvedJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(deployDir, "validate_plugin.js"), file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var report struct{ Checked, Errors []string }
	if jerr := json.Unmarshal(stdout.Bytes(), &report); jerr != nil {
		t.Fatalf("validate_plugin.js: %v (%v)\n%s%s", runErr, jerr, stdout.Bytes(), stderr.Bytes())
	}
	return report.Checked, report.Errors, runErr
}

// The plugin's own validators accept every cron rate, trigger name, queue name, region and
// env value of serverless.yml, for every stage.
func TestPluginValidatorsAccept(t *testing.T) {
	t.Parallel()
	for _, stage := range stages {
		t.Run(stage, func(t *testing.T) {
			js, cfg := serverlessPrint(t, stage)
			checked, errs, err := validatePlugin(t, js)
			for _, e := range errs {
				t.Errorf("serverless.yml (stage %s) rejected by the plugin: %s", stage, e)
			}
			if err != nil && len(errs) == 0 {
				t.Errorf("validate_plugin.js failed: %v", err)
			}
			// Every event must have been looked at, or the check proves nothing.
			events := 0
			for _, f := range cfg.Functions {
				events += len(f.Events)
			}
			seen := 0
			for _, c := range checked {
				if strings.Contains(c, ".events[") {
					seen++
				}
			}
			if seen != events {
				t.Errorf("the plugin validators saw %d events, serverless.yml has %d: %v", seen, events, checked)
			}
		})
	}
}

// Negative control: the same script must reject what the plugin rejects, so a green
// TestPluginValidatorsAccept means the validators really ran.
func TestPluginValidatorsReject(t *testing.T) {
	t.Parallel()
	js, _ := serverlessPrint(t, "preprod")
	var cfg map[string]any
	if err := json.Unmarshal(js, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["provider"].(map[string]any)["scwRegion"] = "us-east-1"
	fns := cfg["functions"].(map[string]any)
	fns["bad-cron"] = map[string]any{"handler": "functions/x/Handle", "events": []any{
		map[string]any{"schedule": map[string]any{"rate": "*/10 * * * *"}},
	}}
	fns["bad-queue"] = map[string]any{"handler": "functions/y/Handle", "events": []any{
		map[string]any{"sqs": map[string]any{"name": "ok-name", "queue": "a queue with spaces"}},
		map[string]any{"sqs": map[string]any{"name": "ok-name", "queue": "q1", "region": "us-east-1"}},
	}}
	bad, _ := json.Marshal(cfg)
	_, errs, err := validatePlugin(t, bad)
	if err == nil {
		t.Error("validate_plugin.js exited 0 on an invalid configuration")
	}
	joined := strings.Join(errs, "\n")
	for _, want := range []string{"provider.scwRegion", "*/10 * * * *", "a queue with spaces", "region is unknown"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no error about %q in:\n%s", want, joined)
		}
	}
}
