package middleware

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/golocal/golocal/internal/route"
)

// StackOptions configures [Stack]. The zero value is a complete production
// stack (no CORS, no metrics) logging JSON to standard error.
type StackOptions struct {
	// Logger receives panics and access-log records; nil means JSON on
	// standard error through [JSONHandler]. A logger on a JSONHandler
	// (middleware.NewJSONHandler) keeps the access log's allocation-free
	// fast path; any other slog.Handler works too, at its own cost.
	Logger *slog.Logger
	// TraceID configures trace and request ids.
	TraceID TraceID
	// Secure configures the security headers; the zero value is strict
	// production.
	Secure SecureOptions
	// CORS, when set, adds the CORS layer; nil means no cross-origin
	// access (browsers' same-origin default).
	CORS *CORSOptions
	// MaxBodyBytes caps request bodies (see [Limit]); 0 means 1 MiB,
	// negative means no cap.
	MaxBodyBytes int64
	// MaxInFlightBytes caps the body bytes of all requests being handled
	// at once (see [Limit]); 0 means 64 MiB, negative means no cap.
	MaxInFlightBytes int64
	// Fault, when set, adds fault injection (refused in production). It
	// sits inside Metrics, so injected failures and latency show in the
	// request metrics, under the route the request would have matched.
	Fault *FaultOptions
	// Metrics is placed inside Limit and outside Fault, so it counts the
	// final status of everything that passed the body cap, injected
	// faults included; pass
	// (*metrics.Metrics).Middleware, which then reads the route and the
	// status from the stack's per-request state (no wrapper of its own),
	// the same values the access log records.
	Metrics func(http.Handler) http.Handler
	// NoAccessLog leaves the access log out (when a proxy logs requests).
	NoAccessLog bool
	// Profile is where the service runs (local, dev, development, test,
	// staging, prod; see package config); it picks defaults: Server-Timing
	// is on under local, dev, development and test.
	Profile string
	// ServerTiming is "on" or "off" to send the Server-Timing header
	// (see [ServerTiming]) whatever the profile, or "" for the profile's
	// default.
	ServerTiming string
	// Tracing, when set, is placed right inside TraceID, so its spans
	// continue the request's trace ids and cover everything the access log
	// times; pass (*otel.Tracing).Handler from golocal's otel package,
	// whose server span then has exactly the ids the logs carry. Kept as a
	// function so that services without OpenTelemetry never link it.
	Tracing func(http.Handler) http.Handler
}

// Stack returns golocal's recommended production middleware in its order,
// outermost first:
//
//	Recover → TraceID → (ServerTiming) → (Tracing) → AccessLog → Secure → CORS → Limit → Metrics → Fault → (route capture) → your mux
//
// Why this order: Recover is outermost so a panic anywhere becomes a 500;
// TraceID comes next so the panic log, the access log and every problem
// response carry the trace id; AccessLog then times and records everything
// inside it, including CORS preflights and 413s; Secure sets headers before
// CORS or the handler can answer; Limit and Fault act only on requests that
// passed CORS; Metrics sits inside Limit but outside Fault, because
// injecting a 503 or 2 s of latency is how a developer checks that the
// dashboards and alerts fed by the RED metrics notice, so injected
// failures must be counted like real ones (Fault outside Metrics made
// them invisible). An injected fault that answers before the mux is
// counted under the route the mux would have matched (when the handler
// you pass is a *http.ServeMux), not as "unmatched". The route capture (see
// [CaptureRoute]) wraps the handler you pass, so when it is a ServeMux the
// access log and the metrics both get the matched pattern with nothing more
// to do; when layers of yours that copy the request sit in front of the
// mux, wrap the mux with CaptureRoute (one wrapper, innermost):
//
//	srv.Handler = stack(sessions(middleware.CaptureRoute(mux)))
//
// The whole stack makes one allocation for its per-request state and one
// copy of the request (plus the CSP header's value when Secure sets a
// nonce).
//
// It returns an error when an option is invalid (see [NewSecure],
// [NewCORS], [NewFault]).
func Stack(opts StackOptions) (func(http.Handler) http.Handler, error) {
	logger := opts.Logger
	if logger == nil {
		logger = defaultLogger()
	}
	secure, err := NewSecure(opts.Secure)
	if err != nil {
		return nil, fmt.Errorf("middleware stack: %w", err)
	}
	var corsMW *CORS
	if opts.CORS != nil {
		if corsMW, err = NewCORS(*opts.CORS); err != nil {
			return nil, fmt.Errorf("middleware stack: %w", err)
		}
	}
	var fault *Fault
	if opts.Fault != nil {
		if fault, err = NewFault(*opts.Fault); err != nil {
			return nil, fmt.Errorf("middleware stack: %w", err)
		}
	}
	timing, err := serverTimingOn(opts.Profile, opts.ServerTiming)
	if err != nil {
		return nil, fmt.Errorf("middleware stack: %w", err)
	}
	return func(mux http.Handler) http.Handler {
		h := route.Capture(mux)
		if fault != nil {
			sm, _ := mux.(*http.ServeMux)
			h = fault.handler(h, sm)
		}
		if opts.Metrics != nil {
			h = opts.Metrics(h)
		}
		h = Limit{MaxBytes: opts.MaxBodyBytes, MaxInFlightBytes: opts.MaxInFlightBytes}.Handler(h)
		if corsMW != nil {
			h = corsMW.Handler(h)
		}
		h = secure.Handler(h)
		if !opts.NoAccessLog {
			h = AccessLog{Logger: logger}.Handler(h)
		}
		if opts.Tracing != nil {
			h = opts.Tracing(h)
		}
		if timing {
			h = ServerTiming{}.Handler(h)
		}
		h = opts.TraceID.Handler(h)
		return Recover{Logger: logger}.Handler(h)
	}, nil
}

// serverTimingOn decides whether Stack adds [ServerTiming].
func serverTimingOn(profile, mode string) (bool, error) {
	switch strings.ToLower(mode) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	case "":
		switch strings.ToLower(profile) {
		case "local", "dev", "development", "test":
			return true, nil
		}
		return false, nil
	}
	return false, fmt.Errorf("StackOptions.ServerTiming %q: use \"on\", \"off\" or \"\" (on under the local, dev and test profiles)", mode)
}
