// Package health runs health checks and serves them the way Kubernetes and
// load balancers expect: /livez and /readyz with the Kubernetes API
// server's conventions (?verbose, ?exclude=name, /readyz/<name>, status
// code 200 or 503), JSON for clients that ask for it, and Spring Boot
// Actuator-style groups at /health/<group>.
//
// A newcomer wires it like this:
//
//	h := health.New(health.Options{})
//	h.Add(health.Check{Name: "db", Func: health.DB(db, health.DBOptions{})})
//	h.Start(ctx)           // run checks in the background, every Interval
//	h.Register(mux)        // /livez, /readyz, /health, ... on the public mux
//	serve.Run(ctx, ln, handler, serve.Options{OnStopping: []func(){h.MarkStopping}})
//
// Liveness checks ([Liveness]) answer "is this process wedged?" and must
// not depend on anything outside the process; readiness checks
// ([Readiness], the default) answer "should this instance get traffic?".
// Probes never wait on a slow check: results are cached for the check's
// Interval and refreshed in the background; a check that panics is a
// failure carrying the panic message, and one that never returns is a
// failure after its Timeout and is not started again until it does.
// [Health.MarkStopping] fails readiness at once through the built-in
// "shutdown" check, so a graceful stop drains traffic before the listener
// closes.
//
// The public [Health.Handler] withholds failure reasons, as Kubernetes does
// on unauthenticated endpoints; [Health.DetailedHandler] shows them and the
// checks' details (for the admin listener). The Kubernetes format is
// described at https://kubernetes.io/docs/reference/using-api/health-checks/.
package health
