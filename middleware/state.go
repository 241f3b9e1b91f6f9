package middleware

import (
	"context"
	"net/http"

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
// request on; the innermost layer (see [captureRoute]) records r.Pattern
// after the mux ran. Outer layers read the fields after next returns, on the
// same goroutine, so no locking is needed.
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

	requestID string
	nonce     string
	pattern   string
	hasSpan   bool

	// writer is the one response-writer wrapper of the request.
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

// Value answers trace.ContextKey with the state itself (a trace.Carrier)
// and delegates every other key, so cancellation, deadlines and values of
// the original context are untouched.
func (st *requestState) Value(key any) any {
	if _, ok := key.(trace.ContextKey); ok {
		return st
	}
	return st.Context.Value(key)
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

// captureRoute sits directly around the mux: after (or while unwinding a
// panic from) the handler it copies r.Pattern — set by ServeMux on exactly
// this *http.Request — into the shared state, where outer layers read it.
func captureRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if r.Pattern != "" {
				if st := stateFrom(r.Context()); st != nil {
					st.pattern = r.Pattern
				}
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// CaptureRoute is the layer to put directly around a ServeMux when you
// assemble golocal's middleware yourself instead of using [Stack]: it makes
// the matched route pattern visible to [RoutePattern] in outer layers, even
// when layers in between pass r.WithContext copies. [Stack] adds it for
// you.
func CaptureRoute(mux http.Handler) http.Handler { return captureRoute(mux) }

// RoutePattern returns the ServeMux pattern that matched r (such as
// "GET /orders/{id}"), or "" when none did (404, 405, redirects). Call it
// after the handler has run. It works in any layer of the golocal stack,
// including outer ones whose *http.Request never had Pattern set; outside
// the stack it falls back to r.Pattern.
func RoutePattern(r *http.Request) string {
	if st := stateFrom(r.Context()); st != nil && st.pattern != "" {
		return st.pattern
	}
	return r.Pattern
}

// RequestID returns the request id chosen by [TraceID] (the client's valid
// X-Request-Id, or else the trace id), or "" outside that middleware.
func RequestID(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.requestID
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
