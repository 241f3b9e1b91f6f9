package verify

import (
	"fmt"
	"slices"
	"strings"
)

// Area groups checks the way the production-readiness checklist does.
type Area string

// The areas, in the order the checklist prints them.
const (
	Lifecycle Area = "lifecycle"
	Probes    Area = "probes"
	Logs      Area = "logs"
	HTTP      Area = "http"
	Limits    Area = "limits"
	Admin     Area = "admin"
	Runtime   Area = "runtime"
	Config    Area = "config"
)

// Areas lists every area in display order.
var Areas = []Area{Lifecycle, Probes, Logs, HTTP, Limits, Admin, Runtime, Config}

// Status is the outcome of one check.
type Status string

// The statuses a check can end with. A non-required check that finds a
// problem ends in Warn, a required one in Fail.
const (
	Pass   Status = "pass"
	Warn   Status = "warn"
	Fail   Status = "fail"
	NotRun Status = "not_run"
)

// need is what a check requires of the target before it can run.
type need uint8

const (
	// needProcess: verify started the process itself (it signals it,
	// reads its output, restarts it, reads its binary).
	needProcess need = 1 << iota
	// needAdmin: an admin listener was found or given with --admin.
	needAdmin
)

// Check is one entry of the checklist: the declarative part is printed in
// docs/verify.md, run does the work against an [Audit].
type Check struct {
	// ID is stable: scripts select and skip checks by it.
	ID   string
	Area Area
	// Required checks decide the exit status; a failing non-required check
	// is reported as a warning.
	Required bool
	// Why is one line on what goes wrong in production without it.
	Why string
	// Fix says what to change.
	Fix string
	// Reference is where the practice is specified or explained.
	Reference string

	needs need
	run   func(*Audit) Result
}

// Severity is "required" or "recommended", as printed in the catalog.
func (c Check) Severity() string {
	if c.Required {
		return "required"
	}
	return "recommended"
}

// Result is what one check found.
type Result struct {
	ID       string `json:"id"`
	Area     Area   `json:"area"`
	Required bool   `json:"required"`
	Status   Status `json:"status"`
	// Evidence is what the check saw (status codes, log lines, timings).
	Evidence string `json:"evidence,omitempty"`
	// Reason explains a not_run or a warn.
	Reason    string  `json:"reason,omitempty"`
	Fix       string  `json:"fix,omitempty"`
	Reference string  `json:"reference,omitempty"`
	Seconds   float64 `json:"seconds"`
}

func pass(format string, args ...any) Result {
	return Result{Status: Pass, Evidence: fmt.Sprintf(format, args...)}
}

func fail(format string, args ...any) Result {
	return Result{Status: Fail, Evidence: fmt.Sprintf(format, args...)}
}

func notRun(format string, args ...any) Result {
	return Result{Status: NotRun, Reason: fmt.Sprintf(format, args...)}
}

// warn is a pass with a caveat that must be read: reason says why it is not
// a plain pass.
func warn(evidence, reason string) Result {
	return Result{Status: Warn, Evidence: evidence, Reason: reason}
}

// catalog is filled by the checks_*.go files, in run order: everything that
// leaves the service running first, the lifecycle checks (which stop it)
// last.
var catalog []Check

func register(cs ...Check) bool {
	catalog = append(catalog, cs...)
	return true
}

// Checks returns the registry in run order.
func Checks() []Check {
	out := slices.Clone(catalog)
	slices.SortStableFunc(out, func(a, b Check) int { return runRank(a.Area) - runRank(b.Area) })
	return out
}

// runRank orders areas for running: config starts and stops the service
// on its own, lifecycle ends it.
func runRank(a Area) int {
	switch a {
	case Config:
		return 0
	case Lifecycle:
		return 9
	}
	return 1 + slices.Index(Areas, a)
}

// Selection is --only and --skip: ids or area names.
type Selection struct {
	Only []string
	Skip []string
}

// Validate reports an id or area that matches nothing, with the known ones.
func (s Selection) Validate() error {
	for _, name := range append(slices.Clone(s.Only), s.Skip...) {
		if !knownName(name) {
			return fmt.Errorf("%q is neither a check id nor an area; areas: %s; ids: golocal verify --list", name, areaList())
		}
	}
	return nil
}

func knownName(name string) bool {
	if slices.Contains(Areas, Area(name)) {
		return true
	}
	return slices.ContainsFunc(catalog, func(c Check) bool { return c.ID == name })
}

func areaList() string {
	s := make([]string, len(Areas))
	for i, a := range Areas {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// Selected reports whether c is to run.
func (s Selection) Selected(c Check) bool {
	match := func(names []string) bool {
		return slices.ContainsFunc(names, func(n string) bool { return n == c.ID || Area(n) == c.Area })
	}
	if len(s.Only) > 0 && !match(s.Only) {
		return false
	}
	return !match(s.Skip)
}
