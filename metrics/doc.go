// Package metrics instruments HTTP handlers with Prometheus RED metrics
// (rate, errors, duration) using github.com/prometheus/client_golang, on a
// registry of its own (never the global one).
//
// Wrap the mux, serve the metrics on the admin listener:
//
//	m, err := metrics.New(metrics.Options{Namespace: "shop"})
//	handler := m.Middleware(mux)      // directly around the mux: it reads r.Pattern
//	adminMux.Handle("GET /metrics", m.Handler())
//
// Inside golocal's middleware stack, pass m.Middleware as
// StackOptions.Metrics: it then reads the route and the final status from
// the stack's per-request state, adds no writer wrapper and no allocation,
// and counts every request under exactly the route and status the access
// log records for it:
//
//	stack, err := middleware.Stack(middleware.StackOptions{Metrics: m.Middleware})
//	srv.Handler = stack(mux)
//
// The route label comes from the pattern the ServeMux matched, which the
// mux stores in r.Pattern of the request it receives. If a layer between
// the stack (or Middleware) and the mux copies the request (r.WithContext:
// sessions, CSRF, auth), wrap the mux itself, innermost, with
// middleware.CaptureRoute or [Metrics.Route] — one layer, the same one
// under two names — and the pattern reaches both the metrics and the
// access log (otherwise both show every route as "unmatched"):
//
//	srv.Handler = stack(sessions(middleware.CaptureRoute(mux)))
//	handler := m.Middleware(sessions(m.Route(mux))) // without the stack
//
// The route label is the pattern without its method ("GET /items/{id}" is
// counted as route="/items/{id}", the method being a label of its own) or
// "unmatched"; the access log's route attribute is the same string.
//
// It exports <ns>_http_requests_total and
// <ns>_http_request_duration_seconds by method, route pattern and status
// class, <ns>_http_requests_in_flight, <ns>_build_info{version, revision,
// goversion}, and the Go runtime and process collectors. Labels are
// bounded: the route is the ServeMux pattern or "unmatched", methods
// outside RFC 9110 become "other", statuses become "2xx"-style classes, so
// no client can grow the number of series. The exposition format is
// described at https://prometheus.io/docs/instrumenting/exposition_formats/.
package metrics
