// Package metrics instruments HTTP handlers with Prometheus RED metrics
// (rate, errors, duration) using github.com/prometheus/client_golang, on a
// registry of its own (never the global one).
//
// Wrap the mux directly, serve the metrics on the admin listener:
//
//	m, err := metrics.New(metrics.Options{Namespace: "shop"})
//	handler := m.Middleware(mux)      // innermost: it reads r.Pattern
//	adminMux.Handle("GET /metrics", m.Handler())
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
