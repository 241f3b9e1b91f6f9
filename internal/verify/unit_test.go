package verify

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/term"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// TestCatalogUpToDate fails when docs/verify.md differs from the registry;
// GOLOCAL_UPDATE_DOCS=1 rewrites it.
func TestCatalogUpToDate(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "verify.md")
	want := CatalogMarkdown()
	if os.Getenv("GOLOCAL_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run GOLOCAL_UPDATE_DOCS=1 go test ./internal/verify -run TestCatalogUpToDate", path)
	}
}

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	areas := map[Area]int{}
	for _, c := range Checks() {
		if seen[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		seen[c.ID] = true
		areas[c.Area]++
		if !strings.HasPrefix(c.ID, string(c.Area)+".") || c.Why == "" || c.Fix == "" || c.Reference == "" || c.run == nil {
			t.Errorf("%s: incomplete entry %+v", c.ID, c)
		}
	}
	if len(seen) < 40 {
		t.Errorf("%d checks; the issue asks for at least 40", len(seen))
	}
	for _, a := range Areas {
		if areas[a] == 0 {
			t.Errorf("no check in area %s", a)
		}
	}
	if Checks()[len(Checks())-1].Area != Lifecycle || Checks()[0].Area != Config {
		t.Error("run order must start with config and end with lifecycle")
	}
}

func TestSelection(t *testing.T) {
	c := Check{ID: "logs.json", Area: Logs}
	for _, tc := range []struct {
		sel  Selection
		want bool
	}{
		{Selection{}, true},
		{Selection{Only: []string{"logs"}}, true},
		{Selection{Only: []string{"logs.json"}}, true},
		{Selection{Only: []string{"http"}}, false},
		{Selection{Skip: []string{"logs"}}, false},
		{Selection{Only: []string{"logs"}, Skip: []string{"logs.json"}}, false},
	} {
		if got := tc.sel.Selected(c); got != tc.want {
			t.Errorf("%+v: %v", tc.sel, got)
		}
	}
	if err := (Selection{Skip: []string{"nope"}}).Validate(); err == nil {
		t.Error("unknown name accepted")
	}
}

func TestParseEnv(t *testing.T) {
	for in, want := range map[string]string{
		"A=1": "A=1", "A=": "A=", `A="x y"`: "A=x y", `A='x'`: "A=x", "A=b=c": "A=b=c", `A="a\nb"`: "A=a\nb",
	} {
		if got, err := ParseEnv(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "=1", "1A=2", "A B=1", "A", "A-B=1"} {
		if _, err := ParseEnv(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "env")
	os.WriteFile(f, []byte("# c\n\nexport A=1\nB=\"two\"\nnot a line\n"), 0o600)
	if _, err := ReadEnvFile(f); err == nil || !strings.Contains(err.Error(), ":5:") {
		t.Errorf("bad line: %v", err)
	}
}

func FuzzParseEnv(f *testing.F) {
	for _, s := range []string{"A=1", `A="x"`, "=", "A='", "\x00=\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kv, err := ParseEnv(s)
		if err == nil && !strings.Contains(kv, "=") {
			t.Fatalf("%q → %q", s, kv)
		}
	})
}

func TestSecretsOf(t *testing.T) {
	names, values := secretsOf([]string{"API_KEY=k1", "DB_PASSWORD=p1", "DATABASE_URL=postgres://u:pw1234@h/db", "HOME=/x", "SESSION_KEYS=", "TOKEN_TTL=5"})
	if strings.Join(names, ",") != "API_KEY,DB_PASSWORD" || strings.Join(values, ",") != "k1,p1,pw1234" {
		t.Errorf("%v %v", names, values)
	}
}

// TestMemoryLimitFromCgroup: the fail side of runtime.gomemlimit needs a
// cgroup memory limit, read here from fake v1 and v2 trees.
func TestMemoryLimitFromCgroup(t *testing.T) {
	oldC, oldP := cgroupRoot, procRoot
	t.Cleanup(func() { cgroupRoot, procRoot = oldC, oldP })
	for _, tc := range []struct {
		name, cgroup, file, value string
		want                      int64
	}{
		{"v2 limited", "0::/svc\n", "svc/memory.max", "536870912\n", 512 << 20},
		{"v2 max", "0::/svc\n", "svc/memory.max", "max\n", 0},
		{"v1 limited", "4:memory:/svc\n", "memory/svc/memory.limit_in_bytes", "268435456\n", 256 << 20},
		{"v1 unlimited", "4:memory:/svc\n", "memory/svc/memory.limit_in_bytes", "9223372036854771712\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			procRoot, cgroupRoot = filepath.Join(root, "proc"), filepath.Join(root, "cg")
			os.MkdirAll(filepath.Join(procRoot, "7"), 0o755)
			os.WriteFile(filepath.Join(procRoot, "7", "cgroup"), []byte(tc.cgroup), 0o644)
			os.MkdirAll(filepath.Dir(filepath.Join(cgroupRoot, tc.file)), 0o755)
			os.WriteFile(filepath.Join(cgroupRoot, tc.file), []byte(tc.value), 0o644)
			if got := memoryLimit(7); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestGoMinor(t *testing.T) {
	for in, want := range map[string]int{"go1.26.1": 26, "go1.25": 25, "go1.26rc1": 26, "devel": -1, "go2.0": -1} {
		if got := goMinor(in); got != want {
			t.Errorf("%s: %d", in, got)
		}
	}
}

func sampleReport() *Report {
	d := 1.5
	r := &Report{SchemaVersion: SchemaVersion, Facts: Facts{URL: "http://127.0.0.1:1", Profile: "prod", DrainSeconds: &d}, AreaSeconds: map[Area]float64{Logs: 1}, Results: []Result{
		{ID: "logs.json", Area: Logs, Required: true, Status: Fail, Evidence: "a <b> & c", Fix: "f", Reference: "r"},
		{ID: "logs.requests", Area: Logs, Status: Warn, Evidence: "e", Reason: "why"},
		{ID: "lifecycle.drain", Area: Lifecycle, Required: true, Status: NotRun, Reason: "needs a process"},
		{ID: "probes.liveness", Area: Probes, Required: true, Status: Pass, Evidence: "ok"},
	}}
	r.summarise()
	return r
}

func TestReportOutputs(t *testing.T) {
	r := sampleReport()
	if r.ExitCode != 1 || r.Score != 50 || r.Summary.NotRun != 1 {
		t.Errorf("summary %+v score %d exit %d", r.Summary, r.Score, r.ExitCode)
	}
	var text bytes.Buffer
	WriteText(&text, r, term.Palette{})
	for _, s := range []string{"FAIL  logs.json", "fix: f", "why not run: needs a process", "1 pass, 1 warn, 1 fail, 1 not run; score 50/100; SIGTERM→exit 1.50s", "required checks failed: logs.json"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, text.String())
		}
	}
	var junit bytes.Buffer
	if err := WriteJUnit(&junit, r); err != nil {
		t.Fatal(err)
	}
	var parsed junitSuites
	if err := xml.Unmarshal(junit.Bytes(), &parsed); err != nil {
		t.Fatalf("junit does not parse: %v", err)
	}
	if len(parsed.Suites) != 3 || !strings.Contains(junit.String(), `<failure message="a &lt;b&gt; &amp; c">`) || !strings.Contains(junit.String(), "<skipped") {
		t.Errorf("junit:\n%s", junit.String())
	}
}

// TestLifecycleVerdicts feeds the lifecycle checks recorded stops (what
// stopUnderLoad measured) and checks each verdict, so a careless edit of a
// verdict fails here without starting a service.
func TestLifecycleVerdicts(t *testing.T) {
	clean := func(mod func(*stopResult)) *stopResult {
		s := &stopResult{exited: true, took: time.Second, exitDesc: "exit status 0", first503: 100 * time.Millisecond,
			firstRefused: time.Second, readyPath: "/readyz", load: &load{ok: 40, status: map[int]int{200: 40}}}
		if mod != nil {
			mod(s)
		}
		return s
	}
	for _, tt := range []struct {
		name  string
		stop  *stopResult
		check func(*Audit) Result
		want  Status
	}{
		{"drain: clean", clean(nil), checkDrain, Pass},
		{"drain: one request failed", clean(func(s *stopResult) { s.load.failed, s.load.errs = 1, []string{"EOF"} }), checkDrain, Fail},
		{"drain: nothing succeeded", clean(func(s *stopResult) { s.load.ok = 0 }), checkDrain, Fail},
		{"drain: died of SIGTERM", clean(func(s *stopResult) { s.signaled, s.exitCode, s.exitDesc = true, -1, "signal: terminated" }), checkDrain, Fail},
		{"drain: never exited", clean(func(s *stopResult) { s.exited = false }), checkDrain, Fail},
		{"readiness: 503 before close", clean(nil), checkReadinessBeforeClose, Pass},
		{"readiness: flipped at once", clean(func(s *stopResult) { s.first503 = 0 }), checkReadinessBeforeClose, Pass},
		{"readiness: never 503", clean(func(s *stopResult) { s.first503 = -1 }), checkReadinessBeforeClose, Fail},
		{"readiness: no endpoint", clean(func(s *stopResult) { s.readyPath = "" }), checkReadinessBeforeClose, NotRun},
		{"clean exit", clean(nil), checkCleanExit, Pass},
		{"exit status 1", clean(func(s *stopResult) { s.exitCode, s.exitDesc = 1, "exit status 1" }), checkCleanExit, Fail},
		{"killed by a signal", clean(func(s *stopResult) { s.signaled, s.exitCode, s.exitDesc = true, -1, "signal: terminated" }), checkCleanExit, Fail},
		{"exit within grace", clean(nil), checkExitWithinGrace, Pass},
		{"still running after grace", clean(func(s *stopResult) { s.exited = false }), checkExitWithinGrace, Fail},
	} {
		a := &Audit{memo: map[string]any{"stop": tt.stop}}
		if got := tt.check(a); got.Status != tt.want {
			t.Errorf("%s: %s (%s%s), want %s", tt.name, got.Status, got.Evidence, got.Reason, tt.want)
		}
	}
}
