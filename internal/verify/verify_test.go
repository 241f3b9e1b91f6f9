package verify

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGoodServicePassesEverything audits the good service with every
// check: all pass (runtime.vcs-revision may warn where the machine's
// builds carry no VCS stamp).
func TestGoodServicePassesEverything(t *testing.T) {
	rep := audit(t, testOptions(t, "good"))
	if len(rep.Results) != len(Checks()) {
		t.Errorf("%d results for %d checks", len(rep.Results), len(Checks()))
	}
	for _, r := range rep.Results {
		if r.Status == Pass || r.ID == "runtime.vcs-revision" && r.Status == Warn {
			continue
		}
		if knownDrainReset(r) {
			t.Logf("known serve defect (issue 14, item 1), not counted: %s", r.Evidence)
			continue
		}
		t.Errorf("%s: %s %s%s", r.ID, r.Status, r.Evidence, r.Reason)
	}
	if rep.ExitCode != 0 {
		t.Errorf("exit code %d", rep.ExitCode)
	}
	f := rep.Facts
	if f.LivenessPath != "/livez" || f.ReadinessPath != "/readyz" || f.AdminURL == "" || f.DrainSeconds == nil {
		t.Errorf("facts incomplete: %+v", f)
	}
	if f.ReadinessLeadSeconds == nil {
		// Seen only when a poll lands between the readiness flip and the
		// listener's close; logged, not required (timing on a loaded machine).
		t.Logf("readiness lead not observed this run")
	}
	if f.DrainSeconds != nil && (*f.DrainSeconds < 1 || *f.DrainSeconds > 4) {
		t.Errorf("drain %.2fs; the good service has a 1 s lame duck and quick requests", *f.DrainSeconds)
	}
}

// TestNamedBadServices: each bad service under testdata fails exactly its
// named checks.
func TestNamedBadServices(t *testing.T) {
	cases := []struct {
		name string
		want []string
	}{
		{"leaky", []string{"logs.no-secret-in-logs"}},
		{"livedb", []string{"probes.liveness-no-dependencies", "probes.liveness-survives-dependency"}},
		{"deaf", []string{"lifecycle.drain", "lifecycle.readiness-before-close", "lifecycle.exit-within-grace", "lifecycle.clean-exit", "lifecycle.second-signal-forces"}},
		{"utf8", []string{"http.hostile-json", "http.hostile-form"}},
		{"naive", []string{
			"lifecycle.drain", "lifecycle.clean-exit",
			"probes.liveness", "probes.readiness",
			"logs.json", "logs.fields", "logs.trace-id",
			"http.lint-root", "http.lint-404", "http.lint-error", "http.problem-json",
			"limits.slowloris", "limits.body-cap", "limits.chunked-body-cap", "limits.header-cap",
			"admin.present",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := testOptions(t, c.name)
			if c.name == "deaf" {
				o.Grace = 2 * time.Second
			}
			rep := audit(t, o)
			var got []string
			for _, r := range rep.Results {
				if r.Status == Fail && !(knownDrainReset(r) && !slices.Contains(c.want, r.ID)) {
					got = append(got, r.ID)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(c.want))
			if !slices.Equal(got, want) {
				t.Errorf("failed %v\nwant   %v%s", got, want, describe(rep))
			}
			if rep.ExitCode != 1 {
				t.Errorf("exit code %d, want 1", rep.ExitCode)
			}
		})
	}
}

// knownDrainReset recognises issue 14's first defect, which verify found
// in serve before it was fixed: a graceful stop with a lame duck resets
// some connections it took from the kernel backlog (the client sees a reset
// or EOF instead of its answer). Until that fix is on
// main, a drain failure made only of such resets is logged, not counted,
// for services that are otherwise expected to drain.
func knownDrainReset(r Result) bool {
	if r.ID != "lifecycle.drain" || r.Status != Fail || !onlyOK.MatchString(r.Evidence) {
		return false
	}
	_, errs, _ := strings.Cut(r.Evidence, "errors: ")
	for _, e := range strings.Split(errs, "; ") {
		if !strings.HasSuffix(e, ": EOF") && !strings.HasSuffix(e, "connection reset by peer") {
			return false
		}
	}
	return errs != ""
}

// onlyOK matches a load summary in which every answer was a 200.
var onlyOK = regexp.MustCompile(`statuses map\[200:\d+\]`)

// breakCase is one row of the pass/fail table: the good service with one
// behaviour broken fails check id (a recommended check warns).
type breakCase struct {
	id  string
	env []string
	url bool // audit with --url: build settings come from /debug/buildinfo
	opt func(*Options)
}

var breakCases = []breakCase{
	{id: "config.refuses-without-secrets"},
	{id: "config.names-missing-key"},
	{id: "probes.liveness"},
	{id: "probes.readiness"},
	{id: "probes.liveness-latency"},
	{id: "probes.readiness-latency"},
	{id: "probes.liveness-no-dependencies"},
	{id: "probes.readiness-covers-dependencies"},
	{id: "probes.readiness-fails-with-dependency"},
	{id: "probes.liveness-survives-dependency"},
	{id: "logs.json"},
	{id: "logs.fields"},
	{id: "logs.trace-id"},
	{id: "logs.requests"},
	{id: "logs.no-debug-in-prod"},
	{id: "logs.no-secret-in-logs"},
	{id: "logs.no-secret-in-responses"},
	{id: "logs.no-secret-in-debug"},
	{id: "logs.no-secret-in-metrics"},
	{id: "http.lint-root"},
	{id: "http.lint-api"},
	{id: "http.lint-404"},
	{id: "http.lint-error"},
	{id: "http.problem-json"},
	{id: "http.no-stack-traces"},
	{id: "http.hostile-json"},
	{id: "http.hostile-form"},
	{id: "http.large-body"},
	{id: "http.large-header"},
	{id: "http.admin-host"},
	{id: "limits.slowloris"},
	{id: "limits.slowloris-latency"},
	{id: "limits.body-cap"},
	{id: "limits.chunked-body-cap"},
	{id: "limits.header-cap"},
	{id: "admin.present"},
	{id: "admin.no-pprof-public"},
	{id: "admin.loopback"},
	{id: "admin.metrics-parse"},
	{id: "admin.metrics-per-route"},
	{id: "admin.metrics-cardinality"},
	{id: "admin.no-metrics-public"},
	// No cgroup memory limit on most test machines: unlimited is then a
	// warning with its reason; TestMemoryLimitFromCgroup covers the fail.
	{id: "runtime.gomemlimit", env: []string{"GOMEMLIMIT=off"}},
	{id: "runtime.gomaxprocs", env: []string{"GOMAXPROCS=" + strconv.Itoa(runtime.NumCPU()+1)}},
	{id: "runtime.gogc"},
	{id: "runtime.trimpath", url: true, env: []string{"FAKE_BUILDINFO=bad"}},
	{id: "runtime.vcs-revision", url: true, env: []string{"FAKE_BUILDINFO=bad"}},
	{id: "runtime.no-race", url: true, env: []string{"FAKE_BUILDINFO=bad"}},
	{id: "runtime.go-supported", url: true, env: []string{"FAKE_BUILDINFO=bad"}},
	{id: "lifecycle.drain"},
	{id: "lifecycle.readiness-before-close"},
	{id: "lifecycle.exit-within-grace", opt: func(o *Options) { o.Grace = 3 * time.Second }},
	{id: "lifecycle.clean-exit"},
	{id: "lifecycle.second-signal-forces", opt: func(o *Options) { o.Grace = 2 * time.Second }},
}

// TestEveryCheckFailsWhenBroken runs each check alone against the good
// service with the behaviour it guards broken.
func TestEveryCheckFailsWhenBroken(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range breakCases {
		covered[c.id] = true
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			var rep *Report
			env := append([]string{"BREAK=" + c.id}, c.env...)
			if c.url {
				rep = auditURL(t, Selection{Only: []string{c.id}}, env...)
			} else {
				o := testOptions(t, "good", env...)
				o.Selection = Selection{Only: []string{c.id}}
				if c.opt != nil {
					c.opt(&o)
				}
				rep = audit(t, o)
			}
			r := result(rep, c.id)
			want := Fail
			if ch := checkByID(c.id); !ch.Required {
				want = Warn
			}
			if c.id == "runtime.gomemlimit" && r.Status == Warn {
				want = Warn
			}
			if r.Status != want {
				t.Errorf("%s with BREAK=%s: %s, want %s: %s%s", c.id, c.id, r.Status, want, r.Evidence, r.Reason)
			}
			if r.Evidence == "" {
				t.Errorf("%s: no evidence", c.id)
			}
		})
	}
	for _, c := range Checks() {
		if !covered[c.ID] {
			t.Errorf("check %s has no failing case in breakCases", c.ID)
		}
	}
}

// TestBuildSettingsPassFromAdmin is the pass side of the --url build checks.
func TestBuildSettingsPassFromAdmin(t *testing.T) {
	ids := []string{"runtime.trimpath", "runtime.vcs-revision", "runtime.no-race", "runtime.go-supported"}
	rep := auditURL(t, Selection{Only: ids}, "FAKE_BUILDINFO=good")
	for _, id := range ids {
		if r := result(rep, id); r.Status != Pass {
			t.Errorf("%s: %s %s%s", id, r.Status, r.Evidence, r.Reason)
		}
	}
}

func checkByID(id string) Check {
	for _, c := range Checks() {
		if c.ID == id {
			return c
		}
	}
	return Check{}
}

// startGood starts the good service the way an operator would, for --url
// audits, and returns its URL and admin URL.
func startGood(t *testing.T, env ...string) (string, string) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t, "good"))
	cmd.Env = append([]string{"PORT=" + itoa(port), "GOLOCAL_PROFILE=prod", "GOOD_API_TOKEN=x", "PATH=" + os.Getenv("PATH")}, env...)
	out, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	o := &outputLog{}
	o.collect("stderr", out)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range o.Lines() {
			if i := strings.Index(l.Text, `"admin":"`); i >= 0 {
				admin := l.Text[i+len(`"admin":"`):]
				admin = admin[:strings.IndexByte(admin, '"')]
				return "http://127.0.0.1:" + itoa(port), "http://" + admin
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the good service did not log its admin address:\n%s", o.tail(20))
	return "", ""
}

func itoa(n int) string { return strconv.Itoa(n) }

func auditURL(t *testing.T, sel Selection, env ...string) *Report {
	u, admin := startGood(t, env...)
	return audit(t, Options{URL: u, AdminURL: admin, Selection: sel})
}

// TestURLModeReportsProcessChecksNotRun: with --url, checks that must
// start or signal the process say so.
func TestURLModeReportsProcessChecksNotRun(t *testing.T) {
	rep := auditURL(t, Selection{Only: []string{"lifecycle", "config", "probes.liveness", "admin.present"}})
	for _, r := range rep.Results {
		switch r.Area {
		case Lifecycle, Config:
			if r.Status != NotRun || !strings.Contains(r.Reason, "--url") {
				t.Errorf("%s: %s %q, want not_run naming --url", r.ID, r.Status, r.Reason)
			}
		default:
			if r.Status != Pass {
				t.Errorf("%s: %s %s", r.ID, r.Status, r.Evidence)
			}
		}
	}
}

// TestBadInput: what cannot be audited gets a clear error in bounded time
// and leaves no process behind.
func TestBadInput(t *testing.T) {
	t.Run("does not build", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module broken\n\ngo 1.22\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644)
		_, err := Run(t.Context(), Options{Dir: dir})
		var se *StartError
		if !errorsAs(err, &se) || se.Phase != "build" || !strings.Contains(se.Output, "undefined: undefinedThing") || !strings.Contains(se.Output, "main.go:3") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("never listens", func(t *testing.T) {
		o := testOptions(t, "good", "BREAK=never-listen")
		o.StartTimeout = time.Second
		start := time.Now()
		_, err := Run(t.Context(), o)
		var se *StartError
		if !errorsAs(err, &se) || se.Phase != "listen" || !strings.Contains(err.Error(), "within 1s (--start-timeout)") {
			t.Fatalf("got %v", err)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("crashes mid-audit", func(t *testing.T) {
		o := testOptions(t, "good", "BREAK=crash")
		rep := audit(t, o)
		// The service exits on the first request for /verify-…: the
		// check that sent it names the exit, every later one is not run.
		crashed := ""
		for _, x := range rep.Results {
			switch {
			case crashed == "" && strings.Contains(x.Evidence, "the service exited (exit status 2) while this check ran") && strings.Contains(x.Evidence, "crashing on purpose"):
				crashed = x.ID
				if x.Status != Fail && x.Status != Warn {
					t.Errorf("%s: %s", x.ID, x.Status)
				}
			case crashed != "" && (x.Status != NotRun || !strings.Contains(x.Reason, "exited during "+crashed)):
				t.Errorf("%s after the crash: %s %q", x.ID, x.Status, x.Reason)
			}
		}
		if crashed == "" {
			t.Fatalf("no check reported the crash:%s", describe(rep))
		}
	})
	t.Run("refusing URL", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		_, err := Run(t.Context(), Options{URL: "http://" + addr})
		var se *StartError
		if !errorsAs(err, &se) || !strings.Contains(err.Error(), "does not answer") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("admin URL that is not an admin listener", func(t *testing.T) {
		u, _ := startGood(t)
		_, err := Run(t.Context(), Options{URL: u, AdminURL: u})
		if err == nil || !strings.Contains(err.Error(), "is not an admin listener") || !strings.Contains(err.Error(), "/metrics answered 404") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unknown check", func(t *testing.T) {
		_, err := Run(t.Context(), Options{URL: "http://127.0.0.1:1", Selection: Selection{Only: []string{"lifecycle.nope"}}})
		if err == nil || !strings.Contains(err.Error(), "neither a check id nor an area") {
			t.Fatalf("got %v", err)
		}
	})
}
