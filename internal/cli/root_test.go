package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"
)

// runCLI runs the CLI in-process with the given environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code = Run(context.Background(), args, getenv, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"help", []string{"--help"}, ExitOK, "Exit codes:", ""},
		{"no args prints help", nil, ExitOK, "Usage:", ""},
		{"unknown command", []string{"bogus"}, ExitUsage, "", `unknown command "bogus"`},
		{"unknown flag", []string{"version", "--bogus"}, ExitUsage, "", "unknown flag: --bogus"},
		{"extra arg", []string{"version", "x"}, ExitUsage, "", "unknown command"},
		{"version", []string{"version"}, ExitOK, "golocal ", ""},
		{"completion bash", []string{"completion", "bash"}, ExitOK, "bash completion", ""},
		{"completion zsh", []string{"completion", "zsh"}, ExitOK, "compdef", ""},
		{"completion fish", []string{"completion", "fish"}, ExitOK, "complete -c golocal", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, nil, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out, tt.wantStdout) {
				t.Errorf("stdout %q does not contain %q", out, tt.wantStdout)
			}
			if !strings.Contains(errOut, tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantStderr)
			}
		})
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "version", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var bi BuildInfo
	if err := json.Unmarshal([]byte(out), &bi); err != nil {
		t.Fatalf("version --json is not JSON: %v\n%s", err, out)
	}
	if bi.Module == "" || !strings.HasPrefix(bi.GoVersion, "go") {
		t.Errorf("incomplete build info: %+v", bi)
	}
}

func TestReadBuildInfo(t *testing.T) {
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want BuildInfo
	}{
		{"unavailable", nil, false, BuildInfo{Module: "github.com/golocal/golocal", Version: "(devel)"}},
		{"vcs stamped", &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/golocal/golocal", Version: "v0.1.0"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "abc123"},
				{Key: "vcs.time", Value: "2026-11-24T00:00:00Z"},
				{Key: "vcs.modified", Value: "true"},
			},
		}, true, BuildInfo{Module: "github.com/golocal/golocal", Version: "v0.1.0", Revision: "abc123", Time: "2026-11-24T00:00:00Z", Modified: true, GoVersion: "go1.26.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readBuildInfo(func() (*debug.BuildInfo, bool) { return tt.info, tt.ok })
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestColorNeverOffTerminal(t *testing.T) {
	// A bytes.Buffer is not a terminal: no escape codes whatever NO_COLOR says.
	for _, env := range []map[string]string{nil, {"NO_COLOR": "1"}} {
		_, out, _ := runCLI(t, env, "version")
		if strings.Contains(out, "\x1b[") {
			t.Errorf("colour escape in non-terminal output with env %v: %q", env, out)
		}
	}
}
