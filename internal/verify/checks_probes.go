package verify

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Where services put their probes: Kubernetes' own endpoints first, then
// the common alternatives.
var (
	livenessPaths  = []string{"/livez", "/healthz", "/health/liveness", "/health/live", "/live"}
	readinessPaths = []string{"/readyz", "/ready", "/health/readiness", "/health/ready"}
)

// Options.ProbeBudget (100 ms) is the p99 a probe must answer within under
// load: kubelet probes time out after 1 s by default, and a probe slower
// than a tenth of that is one GC pause or saturated pool away from restarts.

var _ = register(
	Check{
		ID: "probes.liveness", Area: Probes, Required: true,
		Why:       "without a liveness endpoint the orchestrator cannot restart a wedged process",
		Fix:       "serve /livez (health.(*Health).Register does) answering 200 while the process can make progress",
		Reference: "Kubernetes: Configure Liveness, Readiness and Startup Probes; Kubernetes API health endpoints (/livez, /readyz)",
		run:       func(a *Audit) Result { return findProbe(a, "liveness", livenessPaths) },
	},
	Check{
		ID: "probes.readiness", Area: Probes, Required: true,
		Why:       "without a readiness endpoint traffic reaches instances that are starting, stopping or cut off from their database",
		Fix:       "serve /readyz answering 503 while a dependency is down or the server is stopping (health package)",
		Reference: "Kubernetes: Configure Liveness, Readiness and Startup Probes",
		run:       func(a *Audit) Result { return findProbe(a, "readiness", readinessPaths) },
	},
	Check{
		ID: "probes.liveness-latency", Area: Probes, Required: true,
		Why:       "a liveness probe that is slow under load gets a busy but healthy process restarted, which sheds more load onto the others",
		Fix:       "keep liveness trivial (no I/O); serve probes before expensive middleware",
		Reference: "Kubernetes probe timeoutSeconds (default 1 s); Google SRE book, ch. 22 Addressing Cascading Failures",
		run:       func(a *Audit) Result { return probeLatency(a, "liveness") },
	},
	Check{
		ID: "probes.readiness-latency", Area: Probes, Required: true,
		Why:       "a readiness probe that times out under load takes healthy instances out of rotation exactly when they are needed",
		Fix:       "run dependency checks in the background and answer readiness from the cached result (health.Check Interval)",
		Reference: "Kubernetes probe timeoutSeconds; health package (Check.Interval)",
		run:       func(a *Audit) Result { return probeLatency(a, "readiness") },
	},
	Check{
		ID: "probes.liveness-no-dependencies", Area: Probes, Required: true,
		Why:       "a liveness check that pings the database restarts every instance at once when the database blips",
		Fix:       "register dependency checks as readiness only (health.Readiness), never liveness",
		Reference: "Kubernetes: liveness probes should not depend on external dependencies; Google SRE workbook, ch. 'Managing Load'",
		run:       checkLivenessNoDeps,
	},
	Check{
		ID: "probes.readiness-covers-dependencies", Area: Probes, Required: false,
		Why:       "readiness that checks nothing keeps sending traffic to an instance that lost its database",
		Fix:       "add a readiness check per dependency (health.DB for a *sql.DB)",
		Reference: "Kubernetes API server /readyz?verbose format",
		run:       checkReadinessCovers,
	},
	Check{
		ID: "probes.readiness-fails-with-dependency", Area: Probes, Required: true, needs: needProcess,
		Why:       "readiness must turn 503 when a dependency goes away, or the load balancer keeps routing requests that will fail",
		Fix:       "check the dependency in a readiness check with a short timeout (health.DB)",
		Reference: "Kubernetes readiness probes; health package",
		run:       func(a *Audit) Result { return dependencyCut(a).readiness },
	},
	Check{
		ID: "probes.liveness-survives-dependency", Area: Probes, Required: true, needs: needProcess,
		Why:       "liveness that fails with a dependency restarts healthy processes in a loop during an outage",
		Fix:       "keep dependency checks out of liveness",
		Reference: "Kubernetes: Configure Liveness, Readiness and Startup Probes (caution on liveness)",
		run:       func(a *Audit) Result { return dependencyCut(a).liveness },
	},
)

// probePath returns the discovered path of kind ("liveness" or
// "readiness"), "" when none answers.
func (a *Audit) probePath(kind string) (string, string) {
	type found struct{ path, tried string }
	f := once(a, "probe:"+kind, func() found {
		paths := livenessPaths
		if kind == "readiness" {
			paths = readinessPaths
		}
		// A service that answers 200 to any path has no probe endpoint,
		// whatever /livez answers.
		if r, err := a.do(http.MethodGet, "/verify-probe-"+randomHex(6), nil, nil); err == nil && r.status == http.StatusOK {
			return found{tried: "every path answers 200, an unknown one included, so none is a probe"}
		}
		var tried []string
		for _, p := range paths {
			r, err := a.do(http.MethodGet, p, nil, nil)
			if err != nil {
				tried = append(tried, p+": "+err.Error())
				continue
			}
			if r.status == http.StatusOK {
				return found{path: p}
			}
			tried = append(tried, fmt.Sprintf("%s: %d", p, r.status))
		}
		return found{tried: strings.Join(tried, ", ")}
	})
	switch kind {
	case "liveness":
		a.facts.LivenessPath = f.path
	case "readiness":
		a.facts.ReadinessPath = f.path
	}
	return f.path, f.tried
}

func findProbe(a *Audit, kind string, paths []string) Result {
	p, tried := a.probePath(kind)
	if p == "" {
		return fail("no %s endpoint answered 200 (%s)", kind, tried)
	}
	return pass("GET %s answered 200", p)
}

func probeLatency(a *Audit, kind string) Result {
	p, _ := a.probePath(kind)
	if p == "" {
		return notRun("no %s endpoint (see probes.%s)", kind, kind)
	}
	l := a.startLoad("/")
	// Three answers over budget already put the p99 of 200 over it.
	ds, statuses, err := a.sample(p, 200, a.opts.ProbeBudget, 3)
	l.stop()
	if err != nil {
		return fail("GET %s failed under load: %v", p, err)
	}
	q := p99(ds)
	ev := fmt.Sprintf("%d GETs of %s beside %d clients loading /: p99 %v, max %v, statuses %v", len(ds), p, loadWorkers, q.Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond), statuses)
	if len(ds) < 200 || q > a.opts.ProbeBudget {
		return fail("%s; over the %v budget", ev, a.opts.ProbeBudget)
	}
	if statuses[http.StatusOK] != len(ds) {
		return fail("%s; the probe did not always answer 200 under load", ev)
	}
	return pass("%s", ev)
}

// checkLine matches a Kubernetes verbose line: "[+]name ok", "[-]name failed: …".
var checkLine = regexp.MustCompile(`(?m)^\[[+-]\]([^ \n]+) `)

// verboseChecks lists the checks a probe reports with ?verbose.
func verboseChecks(a *Audit, path string) ([]string, error) {
	r, err := a.do(http.MethodGet, path+"?verbose", hdr("Accept", "text/plain"), nil)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range checkLine.FindAllStringSubmatch(string(r.body), -1) {
		names = append(names, m[1])
	}
	return names, nil
}

// builtinCheck are the health package's own checks, which say nothing
// about dependencies.
var builtinCheck = map[string]bool{"ping": true, "shutdown": true, "log": true}

// dependencyWords name checks that reach outside the process.
var dependencyWords = regexp.MustCompile(`(?i)(db|database|sql|postgres|mysql|redis|cache|upstream|api|queue|kafka|mongo|s3|http)`)

func checkLivenessNoDeps(a *Audit) Result {
	live, _ := a.probePath("liveness")
	ready, _ := a.probePath("readiness")
	if live == "" {
		return notRun("no liveness endpoint (see probes.liveness)")
	}
	lc, err := verboseChecks(a, live)
	if err != nil {
		return fail("GET %s?verbose: %v", live, err)
	}
	var rc []string
	if ready != "" {
		if rc, err = verboseChecks(a, ready); err != nil {
			return fail("GET %s?verbose: %v", ready, err)
		}
	}
	var bad []string
	for _, n := range lc {
		if slices.Contains(rc, n) || dependencyWords.MatchString(n) {
			bad = append(bad, n)
		}
	}
	ev := fmt.Sprintf("%s?verbose lists %s; %s?verbose lists %s", live, listOrNone(lc), ready, listOrNone(rc))
	if len(bad) > 0 {
		return fail("%s: liveness includes dependency checks %s", ev, strings.Join(bad, ", "))
	}
	return pass("%s", ev)
}

func checkReadinessCovers(a *Audit) Result {
	ready, _ := a.probePath("readiness")
	if ready == "" {
		return notRun("no readiness endpoint (see probes.readiness)")
	}
	rc, err := verboseChecks(a, ready)
	if err != nil {
		return fail("GET %s?verbose: %v", ready, err)
	}
	var deps []string
	for _, n := range rc {
		if !builtinCheck[n] {
			deps = append(deps, n)
		}
	}
	if len(deps) == 0 {
		return fail("%s?verbose lists no dependency check in the Kubernetes format ([+]name ok), only %s", ready, listOrNone(rc))
	}
	return pass("%s?verbose lists %s", ready, strings.Join(rc, ", "))
}

// cutResult is the outcome of cutting the dependency, for two checks.
type cutResult struct{ readiness, liveness Result }

// cutWait bounds how long readiness may take to notice a lost dependency:
// a few check intervals, well inside a readiness probe's failure window.
const cutWait = 10 * time.Second

// dependencyCut cuts the proxied dependency, watches readiness turn 503
// and liveness stay 200, then restores it and waits for readiness.
func dependencyCut(a *Audit) cutResult {
	return once(a, "cut", func() cutResult {
		live, _ := a.probePath("liveness")
		ready, _ := a.probePath("readiness")
		switch {
		case a.dep == nil:
			nr := notRun("no network dependency in the environment to cut (a *_URL or *_ADDR variable with host:port, such as DATABASE_URL=postgres://…); pass one with --env")
			return cutResult{nr, nr}
		case ready == "" || live == "":
			nr := notRun("needs both probes (see probes.liveness and probes.readiness)")
			return cutResult{nr, nr}
		}
		a.dep.setCut(true)
		defer a.waitReady(ready)
		defer a.dep.setCut(false)
		var res cutResult
		start := time.Now()
		liveBad := ""
		until := cutWait
		for time.Since(start) < cutWait {
			if r, err := a.do(http.MethodGet, live, nil, nil); err != nil || r.status != http.StatusOK {
				liveBad = fmt.Sprintf("%s answered %s %v after the cut", live, statusOf(r), time.Since(start).Round(time.Millisecond))
			}
			if res.readiness.Status != "" {
				if time.Since(start) > until {
					break
				}
				time.Sleep(50 * time.Millisecond)
				continue
			}
			r, err := a.do(http.MethodGet, ready, nil, nil)
			if err == nil && r.status == http.StatusServiceUnavailable {
				res.readiness = pass("with %s cut, %s answered 503 after %v", a.dep.name, ready, time.Since(start).Round(time.Millisecond))
				// Liveness gets as long again to show it ignores the cut.
				until = 2*time.Since(start) + time.Second
			}
			time.Sleep(50 * time.Millisecond)
		}
		if res.readiness.Status == "" {
			res.readiness = fail("with %s cut, %s still did not answer 503 after %v", a.dep.name, ready, cutWait)
		}
		if liveBad != "" {
			res.liveness = fail("%s", liveBad)
		} else {
			res.liveness = pass("%s kept answering 200 while %s was cut", live, a.dep.name)
		}
		return res
	})
}

// waitReady waits up to cutWait for readiness to answer 200 again.
func (a *Audit) waitReady(path string) {
	deadline := time.Now().Add(cutWait)
	for time.Now().Before(deadline) {
		if r, err := a.do(http.MethodGet, path, nil, nil); err == nil && r.status == http.StatusOK {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func statusOf(r *response) string {
	if r == nil {
		return "nothing (request failed)"
	}
	return fmt.Sprint(r.status)
}
