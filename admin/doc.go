// Package admin builds the handler for the private admin listener:
// net/http/pprof profiles and execution traces, Prometheus /metrics, health
// checks with their reasons, the redacted configuration and the build
// information — on an explicit mux, answering loopback clients only,
// refusing any request that came through a proxy (it carries Forwarded,
// RFC 7239, X-Forwarded-For, Via or a CDN's client-IP header), following
// tailscale's tsweb, and any Host that is not a loopback address,
// localhost or *.localhost (a DNS-rebinding page reaches a loopback port
// but sends its own name; Options.AllowHosts adds names).
// /debug/pprof/cmdline shows the command line with the values of secret
// flags redacted, as /debug/config shows the configuration.
//
// Give the handler to serve's admin listener, which binds loopback only:
//
//	m, _ := metrics.New(metrics.Options{})
//	adminHandler := admin.New(admin.Options{
//		Metrics: m.Handler(),
//		Health:  h.DetailedHandler(),
//		Config:  func() any { return config.Dump(cfg) },
//	})
//	serve.Run(ctx, ln, public, serve.Options{
//		Admin: &serve.Admin{Addr: "127.0.0.1:9090", Handler: adminHandler},
//	})
//
// Then `go tool pprof http://127.0.0.1:9090/debug/pprof/heap` or
// `curl 127.0.0.1:9090/debug/config` on the host; from elsewhere, tunnel
// (ssh -L, kubectl port-forward) rather than exposing the port.
package admin
