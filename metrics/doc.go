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
// The route label comes from the pattern the ServeMux matched, which the
// mux stores in r.Pattern of the request it receives. If a layer between
// Middleware and the mux copies the request (r.WithContext: sessions,
// CSRF, auth), wrap the mux itself with Route, innermost, so the pattern
// still reaches Middleware (otherwise every route counts as "unmatched"):
//
//	handler := m.Middleware(sessions(m.Route(mux)))
//
// The same holds inside middleware.Stack with StackOptions.Metrics set to
// m.Middleware: pass stack(sessions(m.Route(mux))).
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
