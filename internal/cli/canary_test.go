package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCanaryUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"canary"}, "--baseline is required"},
		{[]string{"canary", "--baseline", "main", "--header", "X-Env"}, "write NAME=VALUE"},
		{[]string{"canary", "--baseline", "main", "--header", "a=b", "--mirror"}, "choose one of"},
		{[]string{"canary", "--baseline", "main", "--weight", "150"}, "percentage from 0 to 100"},
		{[]string{"canary", "--baseline", "main", "--load", "10"}, "--load needs --paths"},
		{[]string{"canary", "--baseline", "main", "--replay", "/no/such/log"}, "no such file"},
		{[]string{"canary", "--baseline", "main", "--env", "NOEQUALS"}, "write KEY=value"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, tc.args...)
			if code != ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d saying %q", code, stderr, ExitUsage, tc.want)
			}
		})
	}
}

// A baseline ref that does not exist is a version that cannot be built:
// exit 3, naming the ref.
func TestCanaryMissingRefExits3(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/tiny\n\ngo 1.24\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	if out, err := exec.Command("git", "-C", dir, "init", "-q").CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	t.Chdir(dir)
	code, _, stderr := runCLI(t, goEnv(), "canary", "--baseline", "no-such-ref", "--addr", "127.0.0.1:0")
	if code != ExitRequestFailed || !strings.Contains(stderr, `git ref "no-such-ref" does not exist`) {
		t.Errorf("exit %d, stderr %q; want 3 naming the ref", code, stderr)
	}
}

// --replay of a kit access log against a candidate slower on /about: the
// JSON report fails that route and the exit status is 1.
func TestCanaryReplayJSON(t *testing.T) {
	t.Chdir("../canary")
	// The slowdown is 50 ms: the threshold is relative to the baseline's
	// median too, which a loaded CI machine inflates (20 ms once passed).
	// testdata/svc keeps its database in a folder of TMPDIR: the test's.
	t.Setenv("TMPDIR", t.TempDir())
	bin := filepath.Join(t.TempDir(), "svc")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/svc").CombinedOutput(); err != nil {
		t.Fatalf("building testdata/svc: %v\n%s", err, out)
	}
	var log strings.Builder
	for range 100 {
		log.WriteString(`{"level":"INFO","msg":"request","method":"GET","route":"/about","path":"/about","status":200}` + "\n")
		log.WriteString(`{"level":"INFO","msg":"request","method":"GET","route":"/","path":"/","status":200}` + "\n")
	}
	logPath := filepath.Join(t.TempDir(), "access.log")
	os.WriteFile(logPath, []byte(log.String()), 0o644)
	code, stdout, stderr := runCLI(t, goEnv(), "canary", "./testdata/svc", "--baseline", bin, "--addr", "127.0.0.1:0", "--admin-env", "ADMIN_ADDR",
		"--candidate-env", "SVC_SLOW_ROUTE=/about", "--candidate-env", "SVC_SLOW_MS=50", "--replay", logPath, "--load", "100", "--json")
	var rep struct {
		Verdict string `json:"verdict"`
		Routes  []struct {
			Route   string `json:"route"`
			Verdict string `json:"verdict"`
		} `json:"routes"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("exit %d, not JSON: %v\n%s\n%s", code, err, stdout, stderr)
	}
	if code != ExitFailure || rep.Verdict != "fail" {
		t.Fatalf("exit %d verdict %s, want 1 and fail\n%s", code, rep.Verdict, stderr)
	}
	for _, r := range rep.Routes {
		if want := map[bool]string{true: "fail", false: "pass"}[r.Route == "GET /about"]; r.Verdict != want {
			t.Errorf("%s: %s, want %s", r.Route, r.Verdict, want)
		}
	}
}

// goEnv is the part of the environment that finds the go command.
func goEnv() map[string]string {
	return map[string]string{"PATH": os.Getenv("PATH"), "GOROOT": os.Getenv("GOROOT")}
}
