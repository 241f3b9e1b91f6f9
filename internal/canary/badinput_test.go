//go:build unix

package canary

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const tinyMain = `package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) })
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

// gitRepo makes a repository with a tiny stdlib-only service committed on
// main and a branch "broken" whose main.go does not compile.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("GOLOCAL_REQUIRE_GIT") == "1" {
			t.Fatal("git not found; GOLOCAL_REQUIRE_GIT=1 requires it")
		}
		t.Skip("git not found")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("init", "-q", "-b", "main")
	write("go.mod", "module example.com/tiny\n\ngo 1.24\n")
	write("main.go", tinyMain)
	run("add", ".")
	run("commit", "-qm", "tiny")
	run("checkout", "-qb", "broken")
	write("main.go", strings.Replace(tinyMain, "w.Write", "w.Wrte", 1))
	run("commit", "-qam", "broken")
	run("checkout", "-q", "main")
	return dir
}

func tinyOptions(dir, baseline string) Options {
	return Options{
		Build:   BuildSpec{Dir: dir, Package: ".", Baseline: baseline},
		Run:     RunSpec{Grace: time.Second},
		Routing: Routing{Mode: ByWeight, Weight: 50},
		Addr:    "127.0.0.1:0", Duration: 300 * time.Millisecond,
	}
}

func TestBaselineRefProblems(t *testing.T) {
	dir := gitRepo(t)
	for _, tc := range []struct {
		ref  string
		want []string
	}{
		{"no-such-branch", []string{"baseline", `git ref "no-such-branch" does not exist`}},
		{"broken", []string{"baseline", "go build", "main.go:", "w.Wrte"}},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			_, err := Run(context.Background(), tinyOptions(dir, tc.ref))
			var be *BuildError
			if !errors.As(err, &be) || !IsSetupError(err) || be.Version != Baseline {
				t.Fatalf("err = %v, want a baseline BuildError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			out, _ := exec.Command("git", "-C", dir, "worktree", "list").Output()
			if n := strings.Count(string(out), "\n"); n != 1 {
				t.Errorf("temporary worktree left behind:\n%s", out)
			}
		})
	}
}

func TestIdenticalAndTooLittleTraffic(t *testing.T) {
	dir := gitRepo(t)
	rep, err := Run(context.Background(), tinyOptions(dir, "main"))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Identical {
		t.Errorf("main against its own clean working tree not reported identical: %+v", rep.Versions)
	}
	if rep.Verdict != Inconclusive || !strings.Contains(strings.Join(rep.Reasons, " "), "too little traffic") {
		t.Errorf("verdict %s %v, want inconclusive for too little traffic", rep.Verdict, rep.Reasons)
	}
	// Some traffic, not enough: the report says how many are missing.
	th := DefaultThresholds
	r := th.Judge([]RouteData{{Route: "GET /x", Requests: [2]int{12, 5}, Latencies: [2][]float64{make([]float64, 12), make([]float64, 5)}}}, nil, nil)
	if r.Verdict != Inconclusive || !strings.Contains(r.Reasons[0], "needs 8 more on the baseline and 15 more on the candidate") {
		t.Errorf("got %s %v", r.Verdict, r.Reasons)
	}
}

func TestCrashMidRun(t *testing.T) {
	opts := svcOptions(t, "SVC_CRASH_AFTER=15")
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != Fail || rep.Crash == nil || rep.Crash.Version != "candidate" || !strings.Contains(rep.Crash.How, "exited with code 2") {
		t.Fatalf("verdict %s crash %+v, want fail naming the candidate's exit", rep.Verdict, rep.Crash)
	}
	if !strings.Contains(rep.Crash.Output, "crashing on purpose") || !strings.Contains(rep.Reasons[0], "candidate crashed") {
		t.Errorf("crash not explained: %v / %q", rep.Reasons, rep.Crash.Output)
	}
	for _, v := range rep.Versions {
		if v.PID == 0 || syscall.Kill(v.PID, 0) == nil {
			t.Errorf("the %s (pid %d) is still running after the run", v.Name, v.PID)
		}
	}
}
