package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const deployTestFacts = "../deploy/testdata/facts.json"

func TestDeployK8sBadInput(t *testing.T) {
	noProbes := filepath.Join(t.TempDir(), "facts.json")
	if err := os.WriteFile(noProbes, []byte(`{"schema_version":1,"facts":{"drain_seconds":1.2,"routes":["/"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown overlay", []string{"--overlays", "dev,qa"}, ExitUsage, `unknown overlay "qa"`},
		{"slo 100%", []string{"--slo", "availability=100"}, ExitUsage, "no error budget"},
		{"slo 0", []string{"--slo", "availability=0"}, ExitUsage, "out of range"},
		{"latency without percentile", []string{"--slo", "latency=250ms"}, ExitUsage, "no percentile"},
		{"missing facts file", []string{"--facts", "/nonexistent/verify.json"}, ExitUsage, "golocal verify PKG --json"},
		{"no health endpoints", []string{"--facts", noProbes}, ExitFailure, "cannot write the probes"},
		{"no subcommand", nil, ExitUsage, "give a subcommand"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "deploy")
			args := []string{"deploy"}
			if c.args != nil {
				args = append(args, "k8s", "--out", out, "--facts", deployTestFacts)
				args = append(args, c.args...)
			}
			code, _, stderr := runCLI(t, nil, args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, want %d; stderr:\n%s\nwant it to mention %q", code, c.code, stderr, c.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s was created although the command failed", out)
			}
		})
	}
}

func TestDeployK8sRefusesHandEdits(t *testing.T) {
	out := filepath.Join(t.TempDir(), "deploy")
	args := []string{"deploy", "k8s", "--out", out, "--facts", deployTestFacts}
	if code, stdout, stderr := runCLI(t, nil, args...); code != 0 || !strings.Contains(stdout, "wrote") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	hpa := filepath.Join(out, "base", "hpa.yaml")
	b, _ := os.ReadFile(hpa)
	if err := os.WriteFile(hpa, []byte(strings.Replace(string(b), "averageUtilization: 70", "averageUtilization: 50", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, nil, args...)
	if code != ExitFailure || !strings.Contains(stderr, "base/hpa.yaml") || !strings.Contains(stderr, "averageUtilization: 50") {
		t.Fatalf("hand edit: exit %d, stderr:\n%s", code, stderr)
	}
	if code, _, stderr := runCLI(t, nil, append(args, "--force")...); code != 0 {
		t.Fatalf("--force: exit %d\n%s", code, stderr)
	}
}

func TestDeployCanary(t *testing.T) {
	out := filepath.Join(t.TempDir(), "deploy")
	base := []string{"deploy", "canary", "--out", out, "--facts", deployTestFacts}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "--header NAME=VALUE is required"},
		{[]string{"--header", "X-Env-Version"}, "NAME=VALUE"},
		{[]string{"--header", "X-Env-Version=stable"}, "other than"},
		{[]string{"--header", "X-Env-Version=v2", "--weight", "150"}, "0 to 100"},
		{[]string{"--header", "X-Env-Version=v2", "--overlay", "qa"}, `unknown overlay "qa"`},
	} {
		code, _, stderr := runCLI(t, nil, append(base, c.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %s; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	code, stdout, stderr := runCLI(t, nil, append(base, "--header", "X-Env-Version=v2-canary", "--weight", "5")...)
	if code != 0 || !strings.Contains(stdout, "overlays/canary/virtualservice.yaml") || !strings.Contains(stdout, "overlays/canary/httproute.yaml") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestDeployPolicyFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "deploy")
	args := []string{"deploy", "k8s", "--out", out, "--facts", deployTestFacts}
	if code, _, stderr := runCLI(t, nil, append(args, "--policy-image", "registry.example/x**")...); code != ExitUsage || !strings.Contains(stderr, "go together") {
		t.Errorf("--policy-image alone: exit %d %s", code, stderr)
	}
	notKey := filepath.Join(t.TempDir(), "cosign.key")
	if err := os.WriteFile(notKey, []byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, nil, append(args, "--policy-key", notKey, "--policy-image", "registry.example/x**")...); code != ExitUsage || !strings.Contains(stderr, "not a PEM PUBLIC KEY") {
		t.Errorf("a private key as --policy-key: exit %d %s", code, stderr)
	}
}
