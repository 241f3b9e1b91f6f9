// Package route carries the [http.ServeMux] pattern that matched a request
// from the layer directly around the mux to the layers outside it (the
// access log of package middleware, the RED metrics of package metrics),
// which all read it from the same per-request [Slot].
//
// Why it is needed: ServeMux writes the pattern into r.Pattern of the
// *http.Request it is handed. A layer that calls r.WithContext (sessions,
// CSRF, authentication) hands the mux a copy, so layers outside it never
// see the pattern on their own request. The outermost golocal layer
// therefore puts a [Holder] in the request context (and, for layers that
// replace the context altogether, makes its ResponseWriter a Holder too);
// [Capture], directly around the mux, records r.Pattern into the holder's
// slot; outer layers read the slot after the handler returned.
//
// The public API lives in packages middleware (CaptureRoute, RoutePattern)
// and metrics (Metrics.Route); this package only lets them share one slot.
package route

import (
	"context"
	"net/http"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
)

// Unmatched is the route of a request that no mux pattern matched (404,
// 405, a redirect to the trailing-slash path), in the access log and in
// the metrics alike: one value for all of them keeps the metrics'
// series bounded whatever paths clients send.
const Unmatched = "unmatched"

// Slot is one request's matched pattern. Its zero value is empty.
//
// It is written and read on the request's goroutine (Capture runs inside
// the handler call, the readers after it returned), so it needs no lock.
type Slot struct {
	pattern  string
	recorded bool
}

// Record stores the pattern seen directly around a mux, unless a Capture
// further inside recorded one already: with nested muxes each wrapped in
// Capture, the innermost (most specific) one wins, and a 404 of the inner
// mux stays unmatched.
func (s *Slot) Record(pattern string) {
	if !s.recorded {
		s.pattern, s.recorded = pattern, true
	}
}

// Pattern returns the recorded pattern and whether one was recorded (a
// recorded "" means the mux matched nothing).
func (s *Slot) Pattern() (string, bool) { return s.pattern, s.recorded }

// Reset empties the slot.
func (s *Slot) Reset() { *s = Slot{} }

// Holder is anything that owns a request's Slot: middleware's per-request
// state (found in the context) and its response writer, and the metrics
// package's writer (found by unwrapping the ResponseWriter).
type Holder interface {
	RouteSlot() *Slot
}

// Exchange is a Holder that also knows the status the response ended
// with, as the access log records it. Middleware's per-request state is
// one; the metrics package reads the status from it instead of wrapping
// the writer a second time.
type Exchange interface {
	Holder
	// ResponseStatus is the status the request is logged with: the status
	// sent, else 500 when the handler panicked, 101 after a hijack, 499
	// when the client went away, 200 otherwise.
	ResponseStatus(panicked bool) int
}

// ContextKey is the context key under which a request's Holder is found.
// A context type that holds the state itself (middleware's does, to save
// an allocation) answers Value(ContextKey{}) with it.
type ContextKey struct{}

// FromContext returns the request's Holder, or nil.
func FromContext(ctx context.Context) Holder {
	if h, ok := ctx.(Holder); ok {
		return h // the context is the state: no walk down the chain
	}
	h, _ := ctx.Value(ContextKey{}).(Holder)
	return h
}

// maxUnwrap bounds the walk down ResponseWriter wrappers, so a cyclic
// Unwrap cannot hang a request.
const maxUnwrap = 32

// Find returns the Slot of the request: from the context, else from the
// first ResponseWriter down the Unwrap chain that is a Holder (for layers
// that replaced the context instead of deriving from it). It returns nil
// when there is none (no golocal layer outside).
func Find(w http.ResponseWriter, r *http.Request) *Slot {
	if h := FromContext(r.Context()); h != nil {
		return h.RouteSlot()
	}
	for range maxUnwrap {
		if h, ok := w.(Holder); ok {
			return h.RouteSlot()
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// Capture returns next (a ServeMux, or any handler that sets r.Pattern)
// wrapped so that the pattern it matched is recorded in the request's
// Slot after it returned, also when it panicked. Without a Slot it only
// calls next.
//
// While a CPU profile is being taken (see [StartProfiling]) and next is a
// *http.ServeMux, the handler runs with the pprof label "route" set to
// the pattern it matched, so the profile can be split by route.
func Capture(next http.Handler) http.Handler {
	mux, _ := next.(*http.ServeMux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if s := Find(w, r); s != nil {
				s.Record(r.Pattern)
			}
		}()
		if mux != nil && profiling.Load() > 0 {
			// The mux sets Pattern on the copy it gets; the deferred
			// Record reads this request.
			r.Pattern = serveLabelled(mux, w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// profiling counts the CPU profiles being taken; while it is above zero,
// Capture labels requests with their route.
var profiling atomic.Int32

// StartProfiling makes Capture label requests with their route until the
// returned stop is called. Calls nest. The label costs a second route
// match and a few allocations per request, so it is on only while a
// profile is taken.
func StartProfiling() (stop func()) {
	profiling.Add(1)
	var once sync.Once
	return func() { once.Do(func() { profiling.Add(-1) }) }
}

// serveLabelled serves r through mux with the pprof label route=pattern
// on the goroutine (and in the request context, for goroutines the
// handler starts with it). The mux matches twice: once here to learn the
// pattern before the handler runs, once to serve.
func serveLabelled(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) (pattern string) {
	_, pattern = mux.Handler(r)
	label := pattern
	if label == "" {
		label = Unmatched
	}
	pprof.Do(r.Context(), pprof.Labels("route", label), func(ctx context.Context) {
		mux.ServeHTTP(w, r.WithContext(ctx))
	})
	return pattern
}

// Label is the route as the access log and the metrics show it: the
// pattern without its method ("GET /items/{id}" gives "/items/{id}"; a
// host, as in "example.com/items/", stays), or [Unmatched] for "". The
// method is left out because both already carry it on its own (the
// "method" attribute and label), and it keeps the route one value per
// path template, as OpenTelemetry's http.route is.
func Label(pattern string) string {
	if pattern == "" {
		return Unmatched
	}
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		return strings.TrimLeft(pattern[i:], " \t")
	}
	return pattern
}
