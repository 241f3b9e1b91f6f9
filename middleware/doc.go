// Package middleware is golocal's net/http middleware: each piece is a type
// with a Handler(http.Handler) http.Handler method, usable alone, and
// [Stack] assembles them in the recommended production order in one call:
//
//	stack, err := middleware.Stack(middleware.StackOptions{Logger: logger})
//	if err != nil {
//		return err // an invalid option, explained
//	}
//	srv.Handler = stack(mux)
//
// The pieces, one file each:
//
//   - [Recover]: a panic becomes a logged stack trace and a 500
//     application/problem+json (RFC 9457) that leaks nothing.
//   - [TraceID]: W3C Trace Context traceparent continued or started, and a
//     sanitised X-Request-Id; read them with trace.IDFromContext and
//     [RequestID].
//   - [AccessLog]: one slog record per request with the route pattern,
//     status (499 when the client left), bytes and duration.
//   - [Secure]: CSP with a per-request nonce ([Nonce]), HSTS, nosniff,
//     framing, referrer, COOP/CORP and Permissions-Policy headers.
//   - [CORS]: a validated configuration around github.com/rs/cors.
//   - [Limit]: a request body cap answered with 413 problem+json.
//   - [Fault]: development-only fault injection driven by a request header.
//   - [JSONHandler]: a slog.Handler writing exactly slog.JSONHandler's
//     lines at a fraction of the cost; the default of Recover, AccessLog and
//     Stack when they are given no logger, and the reason the whole stack
//     costs less per request than gin's Logger and Recovery (see
//     bench/stack). Pass your own *slog.Logger to log elsewhere; one built
//     on JSONHandler keeps the access log's fast path.
//
// The route of a request — the access log's route attribute, and the route
// label of package metrics when its Middleware is StackOptions.Metrics — is
// the ServeMux pattern that matched, without its method ("GET /orders/{id}"
// is logged as "/orders/{id}" next to "method":"GET"), or "unmatched". Both
// read it from one per-request slot, so a log line and a metric series
// always name a request's route alike.
//
// One thing to know when mixing in your own middleware: ServeMux records the
// matched pattern in r.Pattern of the request it receives, and a layer that
// calls r.WithContext (sessions, CSRF, authentication) passes on a copy, so
// layers outside it never see the pattern on their own request. [Stack]
// records the pattern around the handler you give it; when such a layer
// sits between the stack and the mux, add one wrapper, [CaptureRoute],
// directly around the mux, and the log and the metrics both get the route:
//
//	srv.Handler = stack(sessions(csrf(middleware.CaptureRoute(mux))))
//
// Read the raw pattern anywhere in the stack with [RoutePattern].
package middleware
