package metrics

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/golocal/golocal/internal/route"
	"github.com/golocal/golocal/trace"
)

// Unmatched is the route label of requests no mux pattern matched (404s,
// 405s, redirects to a trailing slash). Using one value for all of them
// keeps the number of series bounded whatever paths clients send.
//
// The middleware package's access log uses the same value.
const Unmatched = route.Unmatched

// OtherMethod is the method label of requests whose method is not one of
// RFC 9110's (§9) plus PATCH (RFC 5789); method names are client-chosen,
// so they are bounded the same way.
const OtherMethod = "other"

// DefaultBuckets are the duration histogram buckets in seconds: from 5 ms
// to 10 s, denser where web latency objectives usually sit (100–500 ms).
var DefaultBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Options configures [New].
type Options struct {
	// Namespace prefixes every metric name ("shop" gives
	// shop_http_requests_total and shop_build_info). Empty means no
	// prefix. It must be a valid Prometheus name (letters, digits, '_').
	Namespace string
	// Version and Revision label the build_info gauge. Empty fields are
	// read from the binary ([debug.ReadBuildInfo]: the main module's
	// version and the vcs.revision setting), so `go build` in a git
	// checkout fills them without ldflags.
	Version, Revision string
	// Buckets for the duration histogram, in seconds; nil means
	// DefaultBuckets.
	Buckets []float64
	// NoRuntimeCollectors leaves out the Go runtime and process
	// collectors (for tests that compare exact output).
	NoRuntimeCollectors bool
}

// Metrics collects RED metrics (rate, errors, duration) for HTTP requests
// into its own [prometheus.Registry], never the global one, so two
// servers in one process (or two tests) do not collide. Create it with
// [New].
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// inFlight backs the in-flight gauge (a GaugeFunc reading it): an
	// atomic add per request where a prometheus.Gauge takes a
	// compare-and-swap loop on a float.
	inFlight atomic.Int64

	// epoch anchors durations: time.Since(epoch) reads only the monotonic
	// clock, where time.Now reads the wall clock too.
	epoch time.Time

	// routes maps a route label to its series, copied on write: reads (every
	// request) take no lock and hash one string; writes (the first request
	// of each route) are rare, since routes are bounded.
	routes  atomic.Pointer[map[string]*routeSeries]
	routeMu sync.Mutex
}

// routeSeries holds the curried metrics of one route for each method and
// status class, filled on first use.
type routeSeries struct {
	route  string
	series [len(methods) + 1][len(classes) + 1]atomic.Pointer[series]
}

// series holds the curried metrics of one label combination, so the hot
// path is a lookup instead of hashing label values on every request.
type series struct {
	requests prometheus.Counter
	duration prometheus.Observer // an ExemplarObserver too (a histogram)
}

// New creates the collectors and registers them, with the Go runtime and
// process collectors and build_info, on a new registry. It returns an
// error if Namespace is not a valid metric name prefix.
func New(opts Options) (*Metrics, error) {
	ns := opts.Namespace
	if ns != "" && !validNamespace(ns) {
		return nil, fmt.Errorf("metrics: Namespace %q is not a valid Prometheus name prefix; use letters, digits and '_', not starting with a digit (for example %q)", ns, suggestNamespace(ns))
	}
	buckets := opts.Buckets
	if buckets == nil {
		buckets = DefaultBuckets
	}
	for i := 1; i < len(buckets); i++ {
		if buckets[i] <= buckets[i-1] {
			return nil, fmt.Errorf("metrics: Buckets must be strictly increasing; %v follows %v at index %d", buckets[i], buckets[i-1], i)
		}
	}
	labels := []string{"method", "route", "status"}
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests handled, by method, route pattern and status class.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time from the request reaching the handler to the handler returning, by method, route pattern and status class.",
			Buckets: buckets,
		}, labels),
		epoch: time.Now(),
	}
	m.routes.Store(&map[string]*routeSeries{})
	inFlight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: ns, Subsystem: "http", Name: "requests_in_flight",
		Help: "HTTP requests being handled right now.",
	}, func() float64 { return float64(m.inFlight.Load()) })
	version, revision := buildVersion(opts.Version, opts.Revision)
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: ns, Name: "build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)
	cs := []prometheus.Collector{m.requests, m.duration, inFlight, buildInfo}
	if !opts.NoRuntimeCollectors {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cs {
		if err := m.registry.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: registering collector: %w", err)
		}
	}
	return m, nil
}

// Registry returns the registry, to register the application's own
// collectors next to the HTTP ones.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus exposition format (text
// or OpenMetrics, negotiated by promhttp). Serve it on the admin
// listener, not the public one.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		Registry:          m.registry, // promhttp_metric_handler_errors_total
		EnableOpenMetrics: true,
	})
}

// Middleware records every request passing through it: count, duration
// and in-flight, labelled by method, route and status class.
//
// The route label is the [http.ServeMux] pattern that matched, without its
// method ("GET /items/{id}" gives "/items/{id}"), or "unmatched" when none
// did — the same value, read from the same place, as the route of the
// middleware package's access log. The status label is the class ("2xx" …
// "5xx"); the method label is the method or "other". All three are
// bounded, so arbitrary client input cannot create new series.
//
// Inside middleware.Stack (StackOptions.Metrics) it reads the route and
// the final status from the stack's per-request state, so the metrics and
// the access log agree on both (a client that went away is a 499, a panic
// a 500) and Middleware adds no writer wrapper and no allocation.
//
// Where the pattern comes from: ServeMux writes it into r.Pattern of the
// *http.Request it is handed. Directly around the mux, that is
// Middleware's own request and nothing more is needed. When a layer in
// between copies the request (r.WithContext in session, CSRF or
// authentication middleware), wrap the mux itself, innermost, with
// [Metrics.Route] or middleware.CaptureRoute (they are the same): the
// pattern then reaches Middleware, and the access log, whatever sits in
// between:
//
//	h := m.Middleware(sessions(csrf(m.Route(mux))))
//	h := stack(sessions(csrf(middleware.CaptureRoute(mux)))) // with middleware.Stack
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ex, ok := route.FromContext(r.Context()).(route.Exchange); ok {
			m.serveShared(ex, next, w, r)
			return
		}
		m.serveOwn(next, w, r)
	})
}

// serveShared serves a request inside middleware.Stack: the route and the
// status come from the stack's state.
func (m *Metrics) serveShared(ex route.Exchange, next http.Handler, w http.ResponseWriter, r *http.Request) {
	start := time.Since(m.epoch)
	m.inFlight.Add(1)
	finished := false
	defer func() {
		m.inFlight.Add(-1)
		// A panic (finished still false) is counted as a 500, as the
		// access log records it; the panic goes on to Recover.
		m.observe(r, ex.RouteSlot(), ex.ResponseStatus(!finished), start)
	}()
	next.ServeHTTP(w, r)
	finished = true
}

// serveOwn serves a request outside middleware.Stack, with a writer of its
// own that records the status and holds the route slot.
func (m *Metrics) serveOwn(next http.Handler, w http.ResponseWriter, r *http.Request) {
	start := time.Since(m.epoch)
	m.inFlight.Add(1)
	sw := &statusWriter{ResponseWriter: w}
	sw.slot = &sw.own
	if outer := route.Find(w, r); outer != nil {
		// Another Middleware outside (of another Metrics) already holds a
		// slot: share it, so that one Route inside fills both.
		sw.slot = outer
	}
	finished := false
	defer func() {
		m.inFlight.Add(-1)
		status := sw.status
		if status == 0 {
			switch {
			case !finished:
				status = http.StatusInternalServerError // then re-raised, untouched
			case errors.Is(r.Context().Err(), context.Canceled):
				status = statusClientClosedRequest
			default:
				status = http.StatusOK // what net/http sends when nothing was written
			}
		}
		m.observe(r, sw.slot, status, start)
	}()
	next.ServeHTTP(sw, r)
	finished = true
}

// statusClientClosedRequest is nginx's 499, which the access log records
// for a client that went away before a status was written.
const statusClientClosedRequest = 499

// Route wraps the mux (or any handler that sets r.Pattern, such as a
// handler from [http.ServeMux.Handler]) so that an enclosing
// [Metrics.Middleware] — of this Metrics or any other — and the
// middleware package's access log learn the matched pattern even when
// layers in between hand the mux a copy of the request. Put it directly
// around the mux, innermost:
//
//	handler := m.Middleware(sessionMiddleware(m.Route(mux)))
//
// It is the same layer as middleware.CaptureRoute: both record into one
// per-request slot, found through the request context (middleware.Stack
// puts it there) or, when a layer replaced the context altogether, through
// the chain of ResponseWriter wrappers (their Unwrap methods, the
// convention of [http.ResponseController]). With nested muxes each
// wrapped in Route, the innermost pattern wins, and a 404 of the inner mux
// stays "unmatched". The pattern is recorded even when the handler panics.
// Without an enclosing Middleware or Stack it only calls mux.
func (m *Metrics) Route(mux http.Handler) http.Handler { return route.Capture(mux) }

// observe records one request. The route comes from the slot when a
// Route or CaptureRoute recorded one, else from r.Pattern.
func (m *Metrics) observe(r *http.Request, slot *route.Slot, status int, start time.Duration) {
	pattern, ok := slot.Pattern()
	if !ok {
		pattern = r.Pattern
	}
	s := m.seriesFor(r.Method, pattern, status)
	s.requests.Inc()
	d := (time.Since(m.epoch) - start).Seconds()
	if sp := trace.FromContext(r.Context()); sp != nil && sp.Flags&trace.FlagSampled != 0 && !sp.TraceID.IsZero() {
		// An exemplar links this bucket to a trace that was recorded (the
		// sampled flag: set by the caller, or by golocal's otel package
		// when it sampled the request). OpenMetrics carries it; the
		// Prometheus text format drops it.
		if eo, ok := s.duration.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(d, prometheus.Labels{"trace_id": sp.TraceID.String(), "span_id": sp.ID.String()})
			return
		}
	}
	s.duration.Observe(d)
}

// seriesFor returns the series of one request, creating it on first use.
func (m *Metrics) seriesFor(method, pattern string, status int) *series {
	label := route.Label(pattern)
	rs := (*m.routes.Load())[label]
	if rs == nil {
		rs = m.newRoute(label)
	}
	mi, ci := methodIndex(method), classIndex(status)
	p := &rs.series[mi][ci]
	if s := p.Load(); s != nil {
		return s
	}
	m.routeMu.Lock()
	defer m.routeMu.Unlock()
	if s := p.Load(); s != nil {
		return s
	}
	methodLabel, classLabel := OtherMethod, "other"
	if mi < len(methods) {
		methodLabel = methods[mi]
	}
	if ci < len(classes) {
		classLabel = classes[ci]
	}
	s := &series{
		requests: m.requests.WithLabelValues(methodLabel, rs.route, classLabel),
		duration: m.duration.WithLabelValues(methodLabel, rs.route, classLabel),
	}
	p.Store(s)
	return s
}

// newRoute adds a route to the copy-on-write map.
func (m *Metrics) newRoute(label string) *routeSeries {
	m.routeMu.Lock()
	defer m.routeMu.Unlock()
	old := *m.routes.Load()
	if rs := old[label]; rs != nil {
		return rs
	}
	next := make(map[string]*routeSeries, len(old)+1)
	maps.Copy(next, old)
	// The label may be a substring of a request's pattern; keeping a copy
	// lets that request's memory go.
	rs := &routeSeries{route: strings.Clone(label)}
	next[rs.route] = rs
	m.routes.Store(&next)
	return rs
}

// methods are the method label values other than OtherMethod: RFC 9110's
// (§9) plus PATCH (RFC 5789).
var methods = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace,
}

// methodIndex returns the index of m in methods, or len(methods) for
// OtherMethod.
func methodIndex(m string) int {
	for i, v := range methods {
		if m == v {
			return i
		}
	}
	return len(methods)
}

var classes = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// classIndex returns the index of status's class in classes, or
// len(classes) for a status outside 100–599 (labelled "other").
func classIndex(status int) int {
	if status >= 100 && status < 600 {
		return status/100 - 1
	}
	return len(classes)
}

func validNamespace(s string) bool {
	for i, c := range s {
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func suggestNamespace(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] >= '0' && b[0] <= '9' {
		b = append([]byte("app_"), b...)
	}
	return string(b)
}

// buildVersion fills empty version/revision from the binary's build info.
func buildVersion(version, revision string) (string, string) {
	if version != "" && revision != "" {
		return version, revision
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return orUnknown(version), orUnknown(revision)
	}
	if version == "" {
		version = bi.Main.Version
	}
	if revision == "" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	return orUnknown(version), orUnknown(revision)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// statusWriter records the status code when Middleware is used outside
// middleware.Stack. It keeps Flush, Hijack and ReadFrom reachable
// (directly and through Unwrap for http.ResponseController), so streaming,
// WebSockets and sendfile keep working behind the middleware.
//
// It also holds the request's route slot, where [Metrics.Route] (found by
// unwrapping the writers of the layers in between) records the pattern.
type statusWriter struct {
	http.ResponseWriter
	status int
	slot   *route.Slot // &own, or the slot of a Middleware further out
	own    route.Slot
}

// RouteSlot returns the request's route slot (route.Holder).
func (w *statusWriter) RouteSlot() *route.Slot { return w.slot }
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	if errors.Is(err, http.ErrNotSupported) {
		return nil, nil, fmt.Errorf("metrics: underlying ResponseWriter does not support hijacking: %w", err)
	}
	return c, rw, err
}

// Unwrap lets http.ResponseController reach the original writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
