package cli

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVerifyUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--format", "xml"}, "use text, json or junit"},
		{[]string{"verify", "--json", "--format", "junit"}, "disagree"},
		{[]string{"verify", "./x", "--url", "http://127.0.0.1:1"}, "not both"},
		{[]string{"verify", "--admin", "http://127.0.0.1:1"}, "--admin goes with --url"},
		{[]string{"verify", "--binary", "/bin/true", "--url", "http://127.0.0.1:1"}, "--binary runs a built service"},
		{[]string{"verify", "--only", "lifecycle.nope", "--url", "http://127.0.0.1:1"}, "neither a check id nor an area"},
		{[]string{"verify", "--skip", "nope", "--url", "http://127.0.0.1:1"}, "neither a check id nor an area"},
		{[]string{"verify", "--profile", "production"}, "use local, dev, staging or prod"},
		{[]string{"verify", "--env", "1BAD=x"}, "is not KEY=value"},
		{[]string{"verify", "--env-file", "/nonexistent/env"}, "--env-file"},
		{[]string{"verify", "--grace", "0s"}, "must be positive"},
		{[]string{"verify", "a", "b"}, "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, nil, tt.args...)
		if code != ExitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d stderr %q; want %d and %q", tt.args, code, errOut, ExitUsage, tt.want)
		}
	}
}

func TestVerifyList(t *testing.T) {
	code, out, _ := runCLI(t, nil, "verify", "--list")
	if code != ExitOK || !strings.Contains(out, "lifecycle.drain") || strings.Count(out, "\n") < 40 {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// TestVerifyBuildFailureExit3: a package that does not build exits 3 with
// the compiler's message.
func TestVerifyBuildFailureExit3(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module broken\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644)
	code, _, errOut := runCLI(t, nil, "verify", dir)
	if code != ExitRequestFailed || !strings.Contains(errOut, "does not build") || !strings.Contains(errOut, "undefined: undefinedThing") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
}

// TestVerifyURLRefusedExit3: a URL nothing listens on exits 3, fast.
func TestVerifyURLRefusedExit3(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	code, _, errOut := runCLI(t, nil, "verify", "--url", addr)
	if code != ExitRequestFailed || !strings.Contains(errOut, "does not answer") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestVerifyURLOutputs audits a bare handler with --url in the three
// formats: it has no probes, so the exit code is 1 and the JSON and JUnit
// reports say why.
func TestVerifyURLOutputs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hi")
	}))
	defer srv.Close()
	args := []string{"verify", "--url", srv.URL, "--only", "probes,lifecycle"}

	code, out, _ := runCLI(t, nil, append(args, "--json")...)
	var rep struct {
		SchemaVersion int `json:"schema_version"`
		Checks        []struct {
			ID, Status, Reason string
		} `json:"checks"`
		Summary struct {
			RequiredFailed []string `json:"required_failed"`
		} `json:"summary"`
		ExitCode int `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if code != ExitFailure || rep.SchemaVersion != 1 || rep.ExitCode != 1 || !strings.Contains(strings.Join(rep.Summary.RequiredFailed, ","), "probes.liveness") {
		t.Errorf("exit %d, report %+v", code, rep)
	}
	for _, c := range rep.Checks {
		if strings.HasPrefix(c.ID, "lifecycle.") && (c.Status != "not_run" || !strings.Contains(c.Reason, "--url")) {
			t.Errorf("%s: %s %q", c.ID, c.Status, c.Reason)
		}
	}

	code, out, _ = runCLI(t, nil, append(args, "--format", "junit")...)
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &suites); err != nil || code != ExitFailure || len(suites.Suites) != 2 {
		t.Errorf("junit: exit %d err %v\n%s", code, err, out)
	}

	code, out, _ = runCLI(t, nil, args...)
	if code != ExitFailure || !strings.Contains(out, "FAIL  probes.liveness") || !strings.Contains(out, "required checks failed:") {
		t.Errorf("text: exit %d\n%s", code, out)
	}
}
