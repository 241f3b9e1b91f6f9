package metrics

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
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
)

// Unmatched is the route label of requests no mux pattern matched (404s,
// 405s, redirects to a trailing slash). Using one value for all of them
// keeps the number of series bounded whatever paths clients send.
const Unmatched = "unmatched"

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
	inFlight prometheus.Gauge

	// routeWrapped is set once Route has been called: from then on
	// Middleware gives each request a context value for Route to fill.
	routeWrapped atomic.Bool

	mu     sync.RWMutex
	series map[seriesKey]*series
}

type seriesKey struct{ method, route, class string }

// series holds the curried metrics of one label combination, so the hot
// path is one map lookup under a read lock instead of hashing label
// values on every request.
type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
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
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being handled right now.",
		}),
		series: map[seriesKey]*series{},
	}
	version, revision := buildVersion(opts.Version, opts.Revision)
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: ns, Name: "build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)
	cs := []prometheus.Collector{m.requests, m.duration, m.inFlight, buildInfo}
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
// and in-flight, labelled by method, route pattern and status class.
//
// The route is the [http.ServeMux] pattern that matched, which the mux
// writes into r.Pattern of the *http.Request it is handed. When Middleware
// wraps the mux directly it is that same request and nothing more is
// needed. When a layer between them copies the request (r.WithContext in
// session, CSRF, authentication or tracing middleware), the mux sets the
// pattern on the copy and Middleware would see every request as
// "unmatched": then wrap the mux itself with [Metrics.Route] as the
// innermost layer, and the pattern reaches Middleware whatever sits in
// between:
//
//	h := m.Middleware(sessions(csrf(m.Route(mux))))
//
// The route label is the pattern without its method ("GET /items/{id}"
// gives "/items/{id}"), or "unmatched"; the status label is the class
// ("2xx" … "5xx"); the method label is the method or "other". All three
// are bounded, so arbitrary client input cannot create new series.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Inc()
		sw := &statusWriter{ResponseWriter: w, metrics: m}
		if m.routeWrapped.Load() {
			// A Route wrapper exists somewhere inside: give it a place
			// to leave the pattern that survives request copies. Only
			// then, so that Middleware directly around a mux costs no
			// request copy.
			r = r.WithContext(context.WithValue(r.Context(), routeKey{m}, sw))
		}
		defer func() {
			m.inFlight.Dec()
			status := sw.status
			if status == 0 {
				// Nothing written: net/http sends 200. A panic that
				// escapes is recorded as a 500, then re-raised.
				status = http.StatusOK
				if p := recover(); p != nil {
					m.observe(r, sw, http.StatusInternalServerError, start)
					panic(p)
				}
			}
			m.observe(r, sw, status, start)
		}()
		next.ServeHTTP(sw, r)
	})
}

// Route wraps the mux (or any handler that sets r.Pattern, such as a
// handler from [http.ServeMux.Handler]) so that an enclosing
// [Metrics.Middleware] of the same Metrics learns the matched pattern even
// when layers in between hand the mux a copy of the request. Put it
// directly around the mux, innermost:
//
//	handler := m.Middleware(sessionMiddleware(m.Route(mux)))
//
// It finds the enclosing Middleware through the request context and, when
// a layer replaced the context altogether, through the chain of
// ResponseWriter wrappers (their Unwrap methods, the convention of
// [http.ResponseController]). Without an enclosing Middleware it only
// calls mux. The pattern is recorded even when the handler panics.
func (m *Metrics) Route(mux http.Handler) http.Handler {
	m.routeWrapped.Store(true)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			// The innermost Route runs its defer first and has the last
			// word: with nested muxes each wrapped in Route, the most
			// specific pattern wins, and a 404 of the inner mux stays
			// "unmatched" (as when nested muxes share one request).
			if sw := m.holder(w, r); sw != nil && !sw.routed {
				sw.routed, sw.pattern = true, r.Pattern
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

// routeKey is the context key under which Middleware leaves its
// statusWriter for Route; keyed by the Metrics so that two instances in one
// chain do not fill each other's.
type routeKey struct{ m *Metrics }

// holder finds the statusWriter of this Metrics' Middleware for the
// request: from the context, else by unwrapping w.
func (m *Metrics) holder(w http.ResponseWriter, r *http.Request) *statusWriter {
	if sw, ok := r.Context().Value(routeKey{m}).(*statusWriter); ok {
		return sw
	}
	for range 32 { // bounded: a cyclic Unwrap must not hang the request
		if sw, ok := w.(*statusWriter); ok && sw.metrics == m {
			return sw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// observe records one request. The route comes from Route (through sw)
// when one ran, else from r.Pattern.
func (m *Metrics) observe(r *http.Request, sw *statusWriter, status int, start time.Time) {
	pattern := r.Pattern
	if sw.routed {
		pattern = sw.pattern
	}
	s := m.seriesFor(methodLabel(r.Method), routeLabel(pattern), classLabel(status))
	s.requests.Inc()
	s.duration.Observe(time.Since(start).Seconds())
}

func (m *Metrics) seriesFor(method, route, class string) *series {
	k := seriesKey{method, route, class}
	m.mu.RLock()
	s := m.series[k]
	m.mu.RUnlock()
	if s != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s = m.series[k]; s == nil {
		s = &series{
			requests: m.requests.WithLabelValues(method, route, class),
			duration: m.duration.WithLabelValues(method, route, class),
		}
		m.series[k] = s
	}
	return s
}

// routeLabel strips the method (and keeps the host) of a ServeMux pattern.
func routeLabel(pattern string) string {
	if pattern == "" {
		return Unmatched
	}
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		return strings.TrimLeft(pattern[i:], " \t")
	}
	return pattern
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return OtherMethod
}

var classes = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

func classLabel(status int) string {
	if status >= 100 && status < 600 {
		return classes[status/100-1]
	}
	return "other"
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

// statusWriter records the status code. It keeps Flush, Hijack and
// ReadFrom reachable (directly and through Unwrap for
// http.ResponseController), so streaming, WebSockets and sendfile keep
// working behind the middleware.
//
// It is also where [Metrics.Route] leaves the matched pattern.
type statusWriter struct {
	http.ResponseWriter
	status int
	// pattern is what Route saw in r.Pattern, valid when routed.
	pattern string
	routed  bool
	metrics *Metrics
}

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
