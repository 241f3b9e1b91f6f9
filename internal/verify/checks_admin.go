package verify

import (
	"bytes"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// randomPaths is how many distinct unknown paths verify sends to see
// whether metrics grow a series per path.
const randomPaths = 1000

var _ = register(
	Check{
		ID: "admin.present", Area: Admin, Required: true,
		Why:       "metrics and profiles belong on a listener of their own that the public cannot reach",
		Fix:       "serve admin.New on serve.Options.Admin (loopback); print or log its address",
		Reference: "tailscale tsweb (debug handlers on loopback); golocal admin package",
		run:       checkAdminPresent,
	},
	Check{
		ID: "admin.no-pprof-public", Area: Admin, Required: true,
		Why:       "pprof on the public port shows the command line, heap contents and lets anyone burn CPU with profiles",
		Fix:       "never serve http.DefaultServeMux publicly (importing net/http/pprof registers on it); use the admin listener",
		Reference: "net/http/pprof documentation; CWE-215",
		run:       checkNoPprofPublic,
	},
	Check{
		ID: "admin.loopback", Area: Admin, Required: true, needs: needAdmin,
		Why:       "an admin listener on every interface exposes pprof and metrics to the network",
		Fix:       "bind the admin listener to 127.0.0.1 (serve refuses anything else unless AllowNonLoopback)",
		Reference: "golocal serve.Admin; tailscale tsweb",
		run:       checkAdminLoopback,
	},
	Check{
		ID: "admin.metrics-parse", Area: Admin, Required: true, needs: needAdmin,
		Why:       "a /metrics that does not parse is a scrape that fails silently and alerts that never fire",
		Fix:       "serve metrics with promhttp (metrics.(*Metrics).Handler)",
		Reference: "Prometheus exposition formats (text format 0.0.4)",
		run:       checkMetricsParse,
	},
	Check{
		ID: "admin.metrics-per-route", Area: Admin, Required: true, needs: needAdmin,
		Why:       "request rate, errors and duration per route are what SLO alerts and dashboards are built on",
		Fix:       "add metrics.(*Metrics).Middleware (labels method, route, status)",
		Reference: "Google SRE book, ch. 6 (the four golden signals); the RED method",
		run:       checkMetricsPerRoute,
	},
	Check{
		ID: "admin.metrics-cardinality", Area: Admin, Required: true, needs: needAdmin,
		Why:       "a series per raw path lets any client grow Prometheus' memory without bound",
		Fix:       "label requests with the route pattern (r.Pattern), and unmatched requests with one value",
		Reference: "Prometheus: instrumentation best practices, 'Do not overuse labels'",
		run:       checkCardinality,
	},
	Check{
		ID: "admin.no-metrics-public", Area: Admin, Required: false,
		Why:       "metrics on the public port tell the world your traffic, versions and internals",
		Fix:       "serve /metrics on the admin listener only",
		Reference: "golocal admin package",
		run:       checkNoMetricsPublic,
	},
)

func checkAdminPresent(a *Audit) Result {
	if a.admin == nil {
		return fail("no admin listener: serve's \"serving\" log line names none and no other loopback port of the process serves /metrics or /debug/pprof/ (listening on %s)", listOrNone(a.facts.ListenAddrs))
	}
	return pass("admin listener at %s", a.admin)
}

func checkNoPprofPublic(a *Audit) Result {
	// What pprof's index and goroutine profile always print.
	marks := map[string]string{"/debug/pprof/": "Types of profiles available", "/debug/pprof/goroutine?debug=1": "goroutine profile: total"}
	for p, mark := range marks {
		r, err := a.do(http.MethodGet, p, nil, nil)
		if err != nil {
			return fail("GET %s: %v", p, err)
		}
		if r.status == http.StatusOK && bytes.Contains(r.body, []byte(mark)) {
			return fail("GET %s on the public listener → 200 with pprof output (%q)", p, mark)
		}
	}
	return pass("GET /debug/pprof/ and /debug/pprof/goroutine?debug=1 on the public listener serve no profile")
}

func checkAdminLoopback(a *Audit) Result {
	ap, err := netip.ParseAddrPort(a.admin.Host)
	if err != nil || !ap.Addr().IsLoopback() {
		return fail("admin listener %s is not a loopback address", a.admin.Host)
	}
	for _, l := range a.facts.ListenAddrs {
		if la, err := netip.ParseAddrPort(l); err == nil && la.Port() == ap.Port() && !la.Addr().IsLoopback() {
			return fail("the admin port %d is also bound on %s", ap.Port(), la)
		}
	}
	return pass("admin listener bound to %s", a.admin.Host)
}

// scrape fetches and parses the admin /metrics.
func (a *Audit) scrape() (map[string]*dto.MetricFamily, error) {
	r, err := a.adminDo(http.MethodGet, "/metrics", hdr("Accept", "text/plain; version=0.0.4"))
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics on the admin listener → %d", r.status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.body))
	if err == nil {
		a.facts.MetricsPath = "/metrics"
		names := make([]string, 0, len(fams))
		for name := range fams {
			names = append(names, name)
		}
		slices.Sort(names)
		a.facts.MetricNames = names
	}
	return fams, err
}

func seriesCount(fams map[string]*dto.MetricFamily) int {
	n := 0
	for _, f := range fams {
		n += len(f.GetMetric())
	}
	return n
}

func checkMetricsParse(a *Audit) Result {
	fams, err := a.scrape()
	if err != nil {
		return fail("%v", err)
	}
	return pass("/metrics parses: %d families, %d series", len(fams), seriesCount(fams))
}

// labelled reports whether a family of type t has a series whose label
// name holds value.
func labelled(f *dto.MetricFamily, t dto.MetricType, name, value string) bool {
	if f.GetType() != t {
		return false
	}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == name && l.GetValue() == value {
				return true
			}
		}
	}
	return false
}

func checkMetricsPerRoute(a *Audit) Result {
	live, _ := a.probePath("liveness")
	route := "/"
	if r, err := a.do(http.MethodGet, "/", nil, nil); err != nil || r.status == http.StatusNotFound {
		route = live
	}
	fams, err := a.scrape()
	if err != nil {
		return fail("%v", err)
	}
	// The label is the mux pattern that matched: "/" may be "/{$}".
	labels := []string{route, "GET " + route}
	if route == "/" {
		labels = append(labels, "/{$}", "GET /{$}")
	}
	var counter, hist string
	for name, f := range fams {
		for _, v := range labels {
			if counter == "" && labelled(f, dto.MetricType_COUNTER, "route", v) {
				counter = name
			}
			if hist == "" && labelled(f, dto.MetricType_HISTOGRAM, "route", v) {
				hist = name
			}
		}
	}
	switch {
	case counter == "" && hist == "":
		return fail("after GET %s no counter and no histogram has route=%q", route, route)
	case counter == "":
		return fail("no request counter with route=%q (histogram %s has one)", route, hist)
	case hist == "":
		return fail("no duration histogram with route=%q (counter %s has one)", route, counter)
	}
	return pass("%s and %s carry route=%q", counter, hist, route)
}

func checkCardinality(a *Audit) Result {
	before, err := a.scrape()
	if err != nil {
		return fail("%v", err)
	}
	tag := randomHex(4)
	for i := range randomPaths {
		if _, err := a.do(http.MethodGet, "/verify-"+tag+"-"+strconv.Itoa(i), nil, nil); err != nil {
			return fail("GET of random path %d failed: %v", i, err)
		}
	}
	after, err := a.scrape()
	if err != nil {
		return fail("%v", err)
	}
	grew := seriesCount(after) - seriesCount(before)
	for name, f := range after {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "verify-"+tag) {
					return fail("%s has a series per path: %s=%q (series grew by %d after %d random paths)", name, l.GetName(), l.GetValue(), grew, randomPaths)
				}
			}
		}
	}
	if grew > 50 {
		return fail("series grew by %d after %d random paths", grew, randomPaths)
	}
	return pass("%d random paths added %d series (%d → %d)", randomPaths, grew, seriesCount(before), seriesCount(after))
}

func checkNoMetricsPublic(a *Audit) Result {
	r, err := a.do(http.MethodGet, "/metrics", nil, nil)
	if err != nil {
		return fail("GET /metrics: %v", err)
	}
	if r.status == http.StatusOK && bytes.Contains(r.body, []byte("# TYPE")) {
		return fail("GET /metrics on the public listener → 200 with Prometheus metrics")
	}
	return pass("GET /metrics on the public listener → %d", r.status)
}
