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
// One thing to know when mixing in your own middleware: ServeMux records the
// matched pattern in r.Pattern of the request it receives, and a layer that
// calls r.WithContext passes on a copy, so layers outside it never see the
// pattern on their own request. golocal solves this once: its layers share a
// per-request state in the context and the innermost layer ([CaptureRoute],
// added by Stack) records the pattern there; read it anywhere with
// [RoutePattern].
package middleware
