package canary

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Version names one of the two versions under comparison.
type Version int

const (
	Baseline Version = iota
	Candidate
)

func (v Version) String() string {
	if v == Candidate {
		return "candidate"
	}
	return "baseline"
}

// maxSamplesPerRoute bounds the latency samples kept per version and route;
// beyond it new samples replace old ones at random positions (reservoir
// sampling), so a long run stays an unbiased sample in bounded memory.
const maxSamplesPerRoute = 50_000

// Outcome is one request's result as the front saw it.
type Outcome struct {
	Version Version
	Route   string
	Status  int           // 0 for a transport error
	Latency time.Duration // until the last byte of the response was copied
	At      time.Time
}

// Failed reports whether the outcome counts as an error: a 5xx or a
// transport error (connection refused or reset, no answer).
func (o Outcome) Failed() bool { return o.Status == 0 || o.Status >= 500 }

// series is one version's record on one route.
type series struct {
	latencies []float64 // milliseconds, successful responses only
	seen      int       // successful responses, including ones not kept
	requests  int
	errors    int
}

// bucket counts one second of traffic.
type bucket struct {
	Requests [2]int `json:"requests"`
	Errors   [2]int `json:"errors"`
}

// Recorder collects outcomes from the front; it is safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	start    time.Time
	routes   map[string]*[2]series
	timeline []bucket // one per second since start
	rand     uint64
}

// NewRecorder starts a recording at now.
func NewRecorder(now time.Time) *Recorder {
	return &Recorder{start: now, routes: map[string]*[2]series{}, rand: uint64(now.UnixNano()) | 1}
}

// Add records one outcome.
func (r *Recorder) Add(o Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.routes[o.Route]
	if s == nil {
		s = new([2]series)
		r.routes[o.Route] = s
	}
	vs := &s[o.Version]
	vs.requests++
	sec := max(0, int(o.At.Sub(r.start)/time.Second))
	for len(r.timeline) <= sec {
		r.timeline = append(r.timeline, bucket{})
	}
	r.timeline[sec].Requests[o.Version]++
	if o.Failed() {
		vs.errors++
		r.timeline[sec].Errors[o.Version]++
		return
	}
	ms := float64(o.Latency) / float64(time.Millisecond)
	vs.seen++
	if len(vs.latencies) < maxSamplesPerRoute {
		vs.latencies = append(vs.latencies, ms)
		return
	}
	if j := int(r.next() % uint64(vs.seen)); j < maxSamplesPerRoute {
		vs.latencies[j] = ms
	}
}

// next is xorshift64: reservoir positions need no cryptographic quality.
func (r *Recorder) next() uint64 {
	r.rand ^= r.rand << 13
	r.rand ^= r.rand >> 7
	r.rand ^= r.rand << 17
	return r.rand
}

// RouteData is a copy of one route's samples.
type RouteData struct {
	Route     string
	Latencies [2][]float64 // sorted, milliseconds
	Requests  [2]int
	Errors    [2]int
}

// Snapshot copies what was recorded, routes sorted by name, and the
// per-second timeline.
func (r *Recorder) Snapshot() ([]RouteData, []bucket) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]RouteData, 0, len(r.routes))
	for name, s := range r.routes {
		d := RouteData{Route: name}
		for v := range s {
			d.Latencies[v] = slices.Sorted(slices.Values(s[v].latencies))
			d.Requests[v], d.Errors[v] = s[v].requests, s[v].errors
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b RouteData) int { return strings.Compare(a.Route, b.Route) })
	return out, slices.Clone(r.timeline)
}

// Router names the route of a request: the app's own route label (the
// ServeMux pattern the kit's metrics label series with) when the app
// exposes it on /metrics, else the path with id-like segments collapsed.
type Router struct {
	mu  sync.RWMutex
	mux *http.ServeMux
	n   int
}

// SetPatterns installs the route labels learnt from a version's metrics
// ("/items/{id}", "/{$}"). Labels that are not valid ServeMux patterns, or
// clash with one already given, are skipped.
func (rt *Router) SetPatterns(patterns []string) {
	mux := http.NewServeMux()
	n := 0
	for _, p := range patterns {
		if !strings.HasPrefix(p, "/") {
			continue // "unmatched", "other": not patterns
		}
		if register(mux, p) {
			n++
		}
	}
	rt.mu.Lock()
	if n >= rt.n {
		rt.mux, rt.n = mux, n
	}
	rt.mu.Unlock()
}

// register adds one pattern, reporting false when ServeMux refuses it
// (it panics on an invalid or conflicting pattern).
func register(mux *http.ServeMux, pattern string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	mux.Handle(pattern, http.NotFoundHandler())
	return true
}

// Route names r's route.
func (rt *Router) Route(r *http.Request) string {
	rt.mu.RLock()
	mux := rt.mux
	rt.mu.RUnlock()
	if mux != nil {
		if _, pattern := mux.Handler(r); pattern != "" {
			return pattern
		}
	}
	return CollapsePath(r.URL.Path)
}

var (
	uuidLike = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)
	hexLike  = regexp.MustCompile(`^[0-9a-fA-F]{8,}$`)
	numLike  = regexp.MustCompile(`^[0-9]+$`)
	// tokenLike: long and mixing letters with digits, as in base62 ids
	// ("x7Kq9LmP2w") or ULIDs.
	tokenLike = regexp.MustCompile(`^[0-9A-Za-z_-]{16,}$`)
	hasDigit  = regexp.MustCompile(`[0-9]`)
)

// CollapsePath replaces id-like path segments (numbers, UUIDs, long hex or
// token strings) with "{id}", so that /orders/17 and /orders/18 are one
// route.
func CollapsePath(p string) string {
	if p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s == "" {
			continue
		}
		if numLike.MatchString(s) || uuidLike.MatchString(s) || hexLike.MatchString(s) && hasDigit.MatchString(s) ||
			tokenLike.MatchString(s) && hasDigit.MatchString(s) {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}
