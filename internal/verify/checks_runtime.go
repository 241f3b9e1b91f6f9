package verify

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

var _ = register(
	Check{
		ID: "runtime.gomemlimit", Area: Runtime, Required: true, needs: needAdmin,
		Why:       "without a soft memory limit the Go heap grows past the container's limit and the kernel kills the process",
		Fix:       "set GOMEMLIMIT to about 90% of the container's memory limit (golocal deploy does it through the downward API; config's gomemlimit)",
		Reference: "A Guide to the Go Garbage Collector (go.dev/doc/gc-guide), Memory limit",
		run:       checkGOMEMLIMIT,
	},
	Check{
		ID: "runtime.gomaxprocs", Area: Runtime, Required: true, needs: needAdmin,
		Why:       "GOMAXPROCS above the CPU quota makes the scheduler run more threads than it may, and throttling stalls every request",
		Fix:       "use Go 1.25 or later (container-aware GOMAXPROCS) or set GOMAXPROCS to the CPU limit",
		Reference: "Go 1.25 release notes: container-aware GOMAXPROCS",
		run:       checkGOMAXPROCS,
	},
	Check{
		ID: "runtime.gogc", Area: Runtime, Required: false, needs: needAdmin,
		Why:       "GC tuning cannot be reviewed or alerted on when the process does not report it",
		Fix:       "register the Go collector (metrics.New does), which exports go_gc_gogc_percent",
		Reference: "client_golang collectors.NewGoCollector; runtime/metrics /gc/gogc:percent",
		run:       checkGOGC,
	},
	Check{
		ID: "runtime.trimpath", Area: Runtime, Required: true,
		Why:       "a binary built without -trimpath embeds the build machine's paths and is not reproducible",
		Fix:       "build releases with go build -trimpath (golocal release does)",
		Reference: "cmd/go: -trimpath; reproducible-builds.org",
		run:       func(a *Audit) Result { return buildSetting(a, "-trimpath", "true", "built with -trimpath") },
	},
	Check{
		ID: "runtime.vcs-revision", Area: Runtime, Required: false,
		Why:       "without the VCS revision stamped in the binary nobody can tell which commit is running",
		Fix:       "build from a clean checkout without -buildvcs=false, so vcs.revision is stamped",
		Reference: "cmd/go: -buildvcs; runtime/debug.BuildInfo",
		run:       checkVCS,
	},
	Check{
		ID: "runtime.no-race", Area: Runtime, Required: true,
		Why:       "a race-detector build is 2-20x slower and uses 5-10x the memory",
		Fix:       "build releases without -race",
		Reference: "Go Data Race Detector: runtime overhead",
		run:       checkNoRace,
	},
	Check{
		ID: "runtime.go-supported", Area: Runtime, Required: true,
		Why:       "Go versions older than the last two releases get no security fixes",
		Fix:       "rebuild with a supported Go release",
		Reference: "Go Release Policy (go.dev/doc/devel/release#policy)",
		run:       checkGoSupported,
	},
)

// gauge returns the value of a gauge family, or false.
func gauge(fams map[string]*dto.MetricFamily, name string) (float64, bool) {
	f, ok := fams[name]
	if !ok || len(f.GetMetric()) == 0 {
		return 0, false
	}
	m := f.GetMetric()[0]
	if g := m.GetGauge(); g != nil {
		return g.GetValue(), true
	}
	if u := m.GetUntyped(); u != nil {
		return u.GetValue(), true
	}
	return 0, false
}

// cgroupRoot and procRoot are where cgroup and process files are read
// (tests point them at a fake tree).
var cgroupRoot, procRoot = "/sys/fs/cgroup", "/proc"

// cgroupFile reads a file of pid's cgroup: name from cgroup v2, or v1Name
// from the v1 controller, "" when unavailable.
func cgroupFile(pid int, name, controller, v1Name string) string {
	b, err := os.ReadFile(fmt.Sprintf("%s/%d/cgroup", procRoot, pid))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		path := strings.TrimSpace(parts[2])
		var file string
		switch {
		case parts[0] == "0" && parts[1] == "":
			file = cgroupRoot + path + "/" + name
		case strings.Contains(","+parts[1]+",", ","+controller+","):
			file = cgroupRoot + "/" + parts[1] + path + "/" + v1Name
		default:
			continue
		}
		if v, err := os.ReadFile(file); err == nil {
			return strings.TrimSpace(string(v))
		}
	}
	return ""
}

// memoryLimit is the cgroup memory limit of pid in bytes, 0 for none.
func memoryLimit(pid int) int64 {
	s := cgroupFile(pid, "memory.max", "memory", "memory.limit_in_bytes")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0 // "max", unreadable, or v1's "unlimited" (a page-rounded MaxInt64)
	}
	return n
}

func (a *Audit) pidOrSelf() int {
	if a.proc != nil {
		return a.proc.pid()
	}
	return os.Getpid()
}

func checkGOMEMLIMIT(a *Audit) Result {
	fams, err := a.scrape()
	if err != nil {
		return fail("%v", err)
	}
	v, ok := gauge(fams, "go_gc_gomemlimit_bytes")
	if !ok {
		return fail("/metrics has no go_gc_gomemlimit_bytes (register the Go collector to report it)")
	}
	if v < float64(math.MaxInt64)*0.99 {
		return pass("go_gc_gomemlimit_bytes = %.0f (%s)", v, humanBytes(v))
	}
	limit := memoryLimit(a.pidOrSelf())
	if limit == 0 {
		return warn("go_gc_gomemlimit_bytes is unlimited", "the process runs without a cgroup memory limit here, so there is nothing to derive GOMEMLIMIT from; in a container set it from the limit (golocal deploy does)")
	}
	return fail("go_gc_gomemlimit_bytes is unlimited while the cgroup limits memory to %s", humanBytes(float64(limit)))
}

func humanBytes(v float64) string {
	return fmt.Sprintf("%.0f MiB", v/(1<<20))
}

// cpuQuota returns the CPU limit of pid's cgroup, rounded up, or 0.
func cpuQuota(pid int) int {
	f := strings.Fields(cgroupFile(pid, "cpu.max", "cpu", "cpu.cfs_quota_us"))
	if len(f) == 1 { // cgroup v1: quota and period in two files
		f = append(f, cgroupFile(pid, "", "cpu", "cpu.cfs_period_us"))
	}
	if len(f) != 2 || f[0] == "max" || strings.HasPrefix(f[0], "-") {
		return 0
	}
	q, err1 := strconv.ParseFloat(f[0], 64)
	p, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil || p <= 0 {
		return 0
	}
	return max(2, int(math.Ceil(q/p))) // Go 1.25 never goes below 2 for a quota
}

func checkGOMAXPROCS(a *Audit) Result {
	fams, err := a.scrape()
	if err != nil {
		return fail("%v", err)
	}
	v, ok := gauge(fams, "go_sched_gomaxprocs_threads")
	if !ok {
		return fail("/metrics has no go_sched_gomaxprocs_threads (register the Go collector)")
	}
	want := runtime.NumCPU()
	source := fmt.Sprintf("%d CPUs", want)
	if q := cpuQuota(a.pidOrSelf()); q > 0 && q < want {
		want, source = q, fmt.Sprintf("a CPU quota of %d", q)
	}
	if int(v) > want {
		return fail("GOMAXPROCS is %d with %s", int(v), source)
	}
	return pass("GOMAXPROCS is %d with %s", int(v), source)
}

func checkGOGC(a *Audit) Result {
	fams, err := a.scrape()
	if err != nil {
		return fail("%v", err)
	}
	v, ok := gauge(fams, "go_gc_gogc_percent")
	if !ok {
		return fail("/metrics has no go_gc_gogc_percent")
	}
	return pass("go_gc_gogc_percent = %.0f", v)
}

// buildInfo is the binary's build information: read from the file verify
// built, or from the admin /debug/buildinfo of a running service.
func (a *Audit) info() (goVersion string, settings map[string]string, src string, err error) {
	if a.buildInfo != nil {
		s := map[string]string{}
		for _, kv := range a.buildInfo.Settings {
			s[kv.Key] = kv.Value
		}
		return a.buildInfo.GoVersion, s, "the binary", nil
	}
	if a.admin == nil {
		return "", nil, "", fmt.Errorf("no binary and no admin listener to read build information from")
	}
	r, err := a.adminDo(http.MethodGet, "/debug/buildinfo", nil)
	if err != nil {
		return "", nil, "", err
	}
	var bi struct {
		GoVersion string            `json:"goVersion"`
		Settings  map[string]string `json:"settings"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &bi) != nil {
		return "", nil, "", fmt.Errorf("the admin /debug/buildinfo answered %d without build information", r.status)
	}
	a.facts.GoVersion = bi.GoVersion
	return bi.GoVersion, bi.Settings, "/debug/buildinfo", nil
}

func buildSetting(a *Audit, key, want, what string) Result {
	_, s, src, err := a.info()
	if err != nil {
		return notRun("%v", err)
	}
	if s[key] != want {
		return fail("%s: %s=%q, not %s", src, key, s[key], what)
	}
	return pass("%s: %s=%s", src, key, s[key])
}

func checkVCS(a *Audit) Result {
	_, s, src, err := a.info()
	if err != nil {
		return notRun("%v", err)
	}
	rev := s["vcs.revision"]
	if rev == "" {
		return fail("%s has no vcs.revision (built outside a checkout or with -buildvcs=false)", src)
	}
	if s["vcs.modified"] == "true" {
		return pass("%s: vcs.revision=%s (modified work tree)", src, rev)
	}
	return pass("%s: vcs.revision=%s", src, rev)
}

func checkNoRace(a *Audit) Result {
	_, s, src, err := a.info()
	if err != nil {
		return notRun("%v", err)
	}
	if s["-race"] == "true" {
		return fail("%s: built with -race", src)
	}
	return pass("%s: no -race", src)
}

// goMinor returns 26 for "go1.26.1", -1 when unknown.
func goMinor(v string) int {
	v = strings.TrimPrefix(v, "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 || parts[0] != "1" {
		return -1
	}
	digits := parts[1]
	if i := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		digits = digits[:i]
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return -1
	}
	return n
}

func checkGoSupported(a *Audit) Result {
	v, _, src, err := a.info()
	if err != nil {
		return notRun("%v", err)
	}
	newest := goMinor(runtime.Version())
	got := goMinor(v)
	if got < 0 || newest < 0 {
		return fail("%s: cannot read the Go version %q", src, v)
	}
	if got < newest-1 {
		return fail("%s: built with %s; supported releases are go1.%d and go1.%d", src, v, newest-1, newest)
	}
	return pass("%s: built with %s (supported: go1.%d, go1.%d)", src, v, newest-1, newest)
}
