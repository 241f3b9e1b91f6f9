package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golocal/golocal/internal/procnet"
)

// Facts are what verify learned about the service, for people and for
// `golocal deploy` (probe paths, ports, the measured drain).
type Facts struct {
	Profile         string   `json:"profile"`
	URL             string   `json:"url"`
	Port            int      `json:"port,omitempty"`
	ListenAddrs     []string `json:"listen_addrs,omitempty"`
	AdminURL        string   `json:"admin_url,omitempty"`
	LivenessPath    string   `json:"liveness_path,omitempty"`
	ReadinessPath   string   `json:"readiness_path,omitempty"`
	MetricsPath     string   `json:"metrics_path,omitempty"`
	RequiredSecrets []string `json:"required_secrets,omitempty"`
	Routes          []string `json:"routes,omitempty"`
	// MetricNames are the metric families the admin /metrics exposes
	// (sorted), so generated alert rules use the service's real names.
	MetricNames []string `json:"metric_names,omitempty"`
	// DrainSeconds is SIGTERM→exit under steady load; nil when not measured.
	DrainSeconds *float64 `json:"drain_seconds"`
	// ReadinessLeadSeconds is how long readiness answered 503 before the
	// listener refused connections (the lame duck as seen from outside).
	ReadinessLeadSeconds *float64 `json:"readiness_lead_seconds"`
	GoVersion            string   `json:"go_version,omitempty"`
}

// Audit is one run of the checklist against one service. Checks read it
// through its methods; it owns the process in process mode.
type Audit struct {
	ctx    context.Context
	opts   Options
	base   *url.URL
	admin  *url.URL
	proc   *process
	svc    *service
	client *http.Client
	facts  Facts
	// secrets are values planted or given that must never show.
	secrets []string
	// withheld are the secret names left out of the configuration run,
	// required those it turned out to need.
	withheld, required []string
	configRun          *configRun
	// dep proxies the service's network dependency (DATABASE_URL…).
	dep       *depProxy
	buildInfo *debug.BuildInfo
	// crashedIn is the id of the check during which the service died.
	crashedIn string
	// stopping is set while a lifecycle check stops the service on purpose.
	stopping bool
	memo     map[string]any
}

// once returns the memoised value of key, computing it with f the first
// time: measurements several checks read (the stop under load, the
// metrics scrape) are made once.
func once[T any](a *Audit, key string, f func() T) T {
	if v, ok := a.memo[key]; ok {
		return v.(T)
	}
	v := f()
	a.memo[key] = v
	return v
}

// Run audits the service opts describe and returns the report. An error is
// a *StartError (the service could not be built, started or reached: exit
// 3) or a bad selection. The service verify started is always stopped
// before Run returns.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts.defaults()
	if err := opts.Selection.Validate(); err != nil {
		return nil, err
	}
	started := time.Now()
	a := &Audit{ctx: ctx, opts: opts, memo: map[string]any{}, client: newClient()}
	a.facts.Profile = opts.Profile
	defer a.client.CloseIdleConnections()
	if opts.URL != "" {
		if err := a.attach(); err != nil {
			return nil, err
		}
	} else {
		tmp, err := os.MkdirTemp("", "golocal-verify-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		defer a.close()
		if err := a.launch(tmp); err != nil {
			return nil, err
		}
	}
	rep := a.runChecks()
	rep.Seconds = time.Since(started).Seconds()
	return rep, nil
}

// stop kills the service if it still runs.
func (a *Audit) stop() {
	if a.proc != nil && !a.proc.exited() {
		a.proc.kill()
	}
}

// close releases what the audit holds: the process and the dependency proxy.
func (a *Audit) close() {
	a.stop()
	if a.dep != nil {
		a.dep.close()
	}
}

// attach checks that --url answers and --admin is an admin listener.
func (a *Audit) attach() error {
	u, err := parseTarget(a.opts.URL, "--url")
	if err != nil {
		return err
	}
	a.base = u
	a.facts.URL = u.String()
	if _, err := a.do(http.MethodGet, "/", nil, nil); err != nil {
		return &StartError{Phase: "url", Err: fmt.Errorf("--url %s does not answer: %v; is the service running there?", u, err)}
	}
	if a.opts.AdminURL == "" {
		return nil
	}
	admin, err := parseTarget(a.opts.AdminURL, "--admin")
	if err != nil {
		return err
	}
	if why := isAdminListener(a, admin); why != "" {
		return &StartError{Phase: "url", Err: fmt.Errorf("--admin %s is not an admin listener: %s; give the address of the admin server (the admin attribute of serve's \"serving\" log line)", admin, why)}
	}
	a.admin = admin
	a.facts.AdminURL = admin.String()
	return nil
}

func parseTarget(raw, flag string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &StartError{Phase: "url", Err: fmt.Errorf("%s %q is not an http(s) URL with a host, e.g. http://127.0.0.1:8080", flag, raw)}
	}
	u.Path, u.RawQuery, u.Fragment = "", "", ""
	return u, nil
}

// isAdminListener returns why u is not an admin listener, or "".
func isAdminListener(a *Audit, u *url.URL) string {
	var seen []string
	for _, p := range []string{"/metrics", "/debug/pprof/", "/debug/buildinfo"} {
		resp, err := a.doURL(http.MethodGet, u.String()+p, nil, nil)
		if err != nil {
			return err.Error()
		}
		if resp.status == http.StatusOK {
			return ""
		}
		seen = append(seen, fmt.Sprintf("%s answered %d", p, resp.status))
	}
	return strings.Join(seen, ", ")
}

// launch builds the package, runs the configuration probe (which also
// learns the secrets the profile requires) and starts the service.
func (a *Audit) launch(tmp string) error {
	binary := a.opts.Binary
	if binary == "" {
		var err error
		if binary, err = build(a.ctx, &a.opts, tmp); err != nil {
			return err
		}
	} else if abs, err := filepath.Abs(binary); err == nil {
		binary = abs // the service runs in its own working directory
	}
	if bi, err := readBuildInfo(binary); err == nil {
		a.buildInfo = bi
		a.facts.GoVersion = bi.GoVersion
	}
	work := tmp + "/run"
	if err := os.Mkdir(work, 0o700); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	env := append(baseEnv(tmp), a.opts.Env...)
	env = append(env, "GOLOCAL_PROFILE="+a.opts.Profile, "PORT="+strconv.Itoa(port))
	plants := canaries()
	a.withheld, _ = secretsOf(a.opts.Env)
	_, a.secrets = secretsOf(append(append([]string(nil), a.opts.Env...), plants...))
	a.svc = &service{binary: binary, dir: work, env: append(env, plants...), port: port}
	a.dep, a.svc.env = interposeDependency(a.svc.env)
	if a.selectedArea(Config) {
		a.configRun = a.probeConfig()
	}
	a.plantRequired(0)
	err = a.startMain()
	// Without the configuration run, a refusal naming a missing secret
	// is learnt here: plant it and start again.
	var se *StartError
	for tries := 0; tries < 3 && errors.As(err, &se) && se.Phase == "start"; tries++ {
		n := len(a.required)
		have := func(name string) bool {
			return slices.ContainsFunc(a.svc.env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
		}
		if !a.learnSecrets(se.Output, have) {
			break
		}
		a.plantRequired(n)
		err = a.startMain()
	}
	a.facts.RequiredSecrets = a.required
	return err
}

// plantRequired gives the required secrets from index from on a random value.
func (a *Audit) plantRequired(from int) {
	for _, name := range a.required[from:] {
		v := randomSecret()
		a.svc.env = append(a.svc.env, name+"="+v)
		a.secrets = append(a.secrets, v)
	}
}

// selectedArea reports whether any check of area is selected.
func (a *Audit) selectedArea(area Area) bool {
	for _, c := range catalog {
		if c.Area == area && a.opts.Selection.Selected(c) {
			return true
		}
	}
	return false
}

// startMain starts the service for the audit and learns its addresses.
func (a *Audit) startMain() error {
	p, err := startProcess(a.svc.binary, a.svc.dir, a.svc.env)
	if err != nil {
		return &StartError{Phase: "start", Err: err}
	}
	a.proc = p
	if err := waitListening(a.ctx, p, a.svc.port, a.opts.StartTimeout); err != nil {
		p.kill()
		return err
	}
	a.base = &url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(a.svc.port)}
	a.facts.URL = a.base.String()
	a.facts.Port = a.svc.port
	a.discoverAdmin()
	return nil
}

// discoverAdmin finds the admin listener: serve's "serving" log line names
// it; otherwise any other loopback port of the process that serves
// /metrics or pprof.
func (a *Audit) discoverAdmin() {
	var candidates []string
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && len(candidates) == 0 {
		for _, l := range a.proc.out.Lines() {
			var rec map[string]any
			if json.Unmarshal([]byte(l.Text), &rec) != nil {
				continue
			}
			if s, ok := rec["admin"].(string); ok && s != "" {
				candidates = append(candidates, s)
			}
		}
		if len(candidates) == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	ports, _ := procnet.ListeningPortsOf(append([]int{a.proc.pid()}, procnet.Descendants(a.proc.pid())...)...)
	for _, ap := range ports {
		a.facts.ListenAddrs = append(a.facts.ListenAddrs, ap.String())
		if int(ap.Port()) != a.svc.port {
			candidates = append(candidates, connectable(ap))
		}
	}
	for _, c := range candidates {
		u, err := parseTarget(c, "admin")
		if err == nil && isAdminListener(a, u) == "" {
			a.admin = u
			a.facts.AdminURL = u.String()
			return
		}
	}
}

// connectable turns a listening address into one to dial (0.0.0.0 → 127.0.0.1).
func connectable(ap netip.AddrPort) string {
	if ap.Addr().IsUnspecified() {
		if ap.Addr().Is4() {
			return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ap.Port()).String()
		}
		return netip.AddrPortFrom(netip.IPv6Loopback(), ap.Port()).String()
	}
	return ap.String()
}

// runChecks is the run loop: each selected check in registry order, each
// timed, a crash ending the audit with the rest not run.
func (a *Audit) runChecks() *Report {
	rep := &Report{SchemaVersion: SchemaVersion, AreaSeconds: map[Area]float64{}}
	for _, c := range Checks() {
		if c.ID == "limits.slowloris" && a.opts.Selection.Selected(c) {
			a.startSlowloris() // its wait overlaps the other checks
		}
	}
	for _, c := range Checks() {
		if !a.opts.Selection.Selected(c) {
			continue
		}
		if a.opts.Progress != nil {
			a.opts.Progress(c)
		}
		start := time.Now()
		r := a.runOne(c)
		r.Seconds = time.Since(start).Seconds()
		rep.AreaSeconds[c.Area] += r.Seconds
		r.ID, r.Area, r.Required = c.ID, c.Area, c.Required
		if r.Status == Fail && !c.Required {
			r.Status = Warn
			if r.Reason == "" {
				r.Reason = "recommended, not required"
			}
		}
		if r.Status != Pass {
			r.Fix, r.Reference = c.Fix, c.Reference
		}
		rep.Results = append(rep.Results, r)
	}
	rep.Facts = a.facts
	rep.summarise()
	return rep
}

// runOne runs c unless what it needs is missing or the service died.
func (a *Audit) runOne(c Check) (r Result) {
	switch {
	case a.crashedIn != "":
		return notRun("the service exited during %s", a.crashedIn)
	case c.needs&needProcess != 0 && a.proc == nil:
		return notRun("needs to start or signal the process: run golocal verify PKG instead of --url")
	case c.needs&needAdmin != 0 && a.admin == nil:
		return notRun("no admin listener found (give it with --admin); see admin.present")
	case a.ctx.Err() != nil:
		return notRun("interrupted: %v", a.ctx.Err())
	}
	defer func() {
		if p := recover(); p != nil {
			r = fail("verify's check panicked (a bug in golocal, please report it): %v", p)
		}
		if a.proc != nil && a.proc.exited() && !a.stopping && a.crashedIn == "" {
			a.crashedIn = c.ID
			a.proc.out.waitClosed(time.Second)
			r = fail("the service exited (%s) while this check ran; its last output:\n%s", a.proc.exitDescription(), a.proc.out.tail(15))
		}
	}()
	return c.run(a)
}
