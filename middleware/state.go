package middleware

import (
	"context"
	"errors"
	"net/http"

	"github.com/golocal/golocal/internal/route"
	"github.com/golocal/golocal/trace"
)

// requestState is everything golocal's middleware learns about one request,
// in one allocation and one context value.
//
// Why one struct: every r.WithContext copies the *http.Request, and
// ServeMux sets r.Pattern only on the copy it is handed. If each layer added
// its own context value, each would copy the request, allocate, and the
// outer layers (access log, metrics) would never see the route pattern. So
// the outermost golocal layer allocates this state once and copies the
// request once; inner golocal layers fill fields in place and pass the same
// request on; the innermost layer ([CaptureRoute]) records r.Pattern after
// the mux ran. Outer layers read the fields after next returns, on the same
// goroutine, so no locking is needed.
//
// The state is also the route.Exchange of the request: the metrics package
// finds it in the context and reads the route and the final status from it,
// so the access log and the metrics agree and metrics wraps no writer of
// its own.
type requestState struct {
	// Context is the request's original context: requestState is itself
	// the context.Context golocal's layers pass down (see Value), which
	// saves the context.WithValue allocation on every request.
	context.Context

	// request is the copy of the *http.Request that golocal's layers pass
	// down (it must be a copy to carry this context). Keeping it inside the
	// state makes the state and the copy one allocation instead of two.
	request http.Request

	// Span is embedded so that *requestState is a trace.Carrier: the trace
	// package finds the span under its own key, with no second value.
	trace.Span

	// requestID is the client's valid X-Request-Id, or "" when the
	// request id is the trace id (encoded only when asked for).
	requestID string
	nonce     string
	hasSpan   bool

	// writer is the one response-writer wrapper of the request. It also
	// holds the request's route slot, so that a layer that replaced the
	// context can still find the slot by unwrapping the writer.
	writer responseWriter

	// headerValues backs the []string values of the per-request response
	// headers (CSP, X-Request-Id), so setting them costs no allocation
	// beyond this struct. Each header gets a slice of capacity 1, so a
	// handler's Header.Add reallocates instead of overwriting a neighbour.
	headerValues     [2]string
	headerValuesUsed int
}

// setHeader sets h[name] to the single value v without allocating, using
// the state's value slots while they last.
func (st *requestState) setHeader(h http.Header, name, v string) {
	if st.headerValuesUsed == len(st.headerValues) {
		h[name] = []string{v}
		return
	}
	i := st.headerValuesUsed
	st.headerValues[i] = v
	st.headerValuesUsed++
	h[name] = st.headerValues[i : i+1 : i+1]
}

// Value answers trace.ContextKey and route.ContextKey with the state itself
// (a trace.Carrier and a route.Exchange) and delegates every other key, so
// cancellation, deadlines and values of the original context are untouched.
func (st *requestState) Value(key any) any {
	switch key.(type) {
	case trace.ContextKey, route.ContextKey:
		return st
	}
	return st.Context.Value(key)
}

// RouteSlot returns the request's route slot (route.Holder).
func (st *requestState) RouteSlot() *route.Slot { return &st.writer.route }

// ResponseStatus is the status the access log records and the metrics
// count (route.Exchange): the status sent; else 500 when the handler
// panicked (Recover, outside, sends it), 101 after a hijack, 499 when the
// client went away, and 200 (what net/http sends for a handler that wrote
// nothing).
func (st *requestState) ResponseStatus(panicked bool) int {
	ww := &st.writer
	switch {
	case ww.wroteHeader:
		return ww.status
	case panicked:
		return http.StatusInternalServerError
	case ww.hijacked:
		return http.StatusSwitchingProtocols
	case errors.Is(st.Context.Err(), context.Canceled):
		return StatusClientClosedRequest
	}
	return http.StatusOK
}

// ResponseBytes is the number of body bytes written so far (what the
// access log records as bytes); tracing reads it for the span's size.
func (st *requestState) ResponseBytes() int64 { return st.writer.bytes }

// traceID returns the request's trace id in hex, or "" without TraceID.
func (st *requestState) traceID() string {
	if !st.hasSpan {
		return ""
	}
	return st.TraceIDString()
}

// stateFrom returns the request's state, or nil outside golocal middleware.
func stateFrom(ctx context.Context) *requestState {
	// Inside the stack the request's context is the state itself: a type
	// assertion, where the Value lookup below walks the context chain
	// (every layer calls this, so it counts).
	if st, ok := ctx.(*requestState); ok {
		return st
	}
	st, _ := trace.CarrierFromContext(ctx).(*requestState)
	return st
}

// begin returns the request's state, creating it (with the response
// wrapper and one copy of the request) when this is the outermost golocal
// layer. The returned writer and request are the ones to pass to next.
func begin(w http.ResponseWriter, r *http.Request) (*requestState, http.ResponseWriter, *http.Request) {
	if st := stateFrom(r.Context()); st != nil {
		return st, w, r
	}
	st := &requestState{Context: r.Context()}
	st.writer.ResponseWriter = w
	// WithContext is inlined and its result does not escape, so its
	// temporary copy lives on the stack; the copy that escapes is st.request.
	st.request = *r.WithContext(st)
	return st, &st.writer, &st.request
}

// CaptureRoute wraps a ServeMux (or any handler that sets r.Pattern) so
// that the pattern it matched reaches every golocal layer outside it — the
// access log's route, the metrics' route label, [RoutePattern] — even when
// layers in between hand the mux a copy of the request (r.WithContext in
// sessions, CSRF, authentication) or a new context altogether.
//
// [Stack] already puts it around the handler you give it, so you need it
// only when such a layer sits between the stack and the mux; then wrap the
// mux, innermost, and nothing else:
//
//	srv.Handler = stack(sessions(csrf(middleware.CaptureRoute(mux))))
//
// It is the same mechanism as metrics' Route (either may be used): with
// nested muxes each wrapped in it, the innermost one's pattern wins. The
// pattern is recorded also when the handler panics. Outside golocal's
// middleware (no shared state in the context, no golocal writer to
// unwrap to) it only calls mux.
func CaptureRoute(mux http.Handler) http.Handler { return route.Capture(mux) }

// RoutePattern returns the ServeMux pattern that matched r exactly as
// ServeMux wrote it (such as "GET /orders/{id}"), or "" when none did (404,
// 405, redirects). Call it after the handler has run. It works in any layer
// of the golocal stack, including outer ones whose *http.Request never had
// Pattern set; outside the stack it falls back to r.Pattern.
//
// The access log and the metrics show it without the method and with
// "unmatched" for "" (see [AccessLog]).
func RoutePattern(r *http.Request) string {
	if st := stateFrom(r.Context()); st != nil {
		if p, ok := st.writer.route.Pattern(); ok {
			return p
		}
	}
	return r.Pattern
}

// RequestID returns the request id chosen by [TraceID] (the client's valid
// X-Request-Id, or else the trace id), or "" outside that middleware.
func RequestID(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		if st.requestID != "" {
			return st.requestID
		}
		return st.traceID()
	}
	return ""
}

// Nonce returns the CSP nonce [Secure] chose for this request, or "" when
// Secure is not in the chain. Put it on every inline <script> and <style>:
//
//	<script nonce="{{ nonce }}">…</script>
//
// with a template FuncMap entry "nonce" returning Nonce(r.Context()).
func Nonce(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.nonce
	}
	return ""
}

// ProfileRoutes labels every request served through [Stack] or
// [CaptureRoute] around a *http.ServeMux with the pprof label "route"
// (the matched pattern, such as "GET /orders/{id}") until stop is
// called, so that a CPU profile taken meanwhile splits by route:
//
//	go tool pprof -tagfocus='route=GET /orders/{id}' profile.pb.gz
//
// The admin listener's /debug/pprof/profile does this for the length of
// the profile; call it yourself when you profile by other means. Off, it
// costs one atomic load per request.
func ProfileRoutes() (stop func()) { return route.StartProfiling() }
