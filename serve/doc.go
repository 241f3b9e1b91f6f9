// Package serve runs an http.Handler until the program is told to stop,
// then stops it without failing a request.
//
// Call [Run] with a listener (from package listen, or net.Listen) and your
// handler; it returns when the context ends or the process gets SIGINT or
// SIGTERM:
//
//	ln, err := net.Listen("tcp", "127.0.0.1:8080")
//	if err != nil { ... }
//	if err := serve.Run(ctx, ln, mux, serve.Options{}); err != nil {
//		log.Fatal(err) // nil after a clean stop
//	}
//
// What the zero [Options] gives you:
//
//   - Timeouts that stop slow or idle clients from pinning connections
//     (ReadHeaderTimeout 10 s, ReadTimeout 30 s, IdleTimeout 120 s,
//     MaxHeaderBytes 64 KiB) and no WriteTimeout, because net/http's
//     WriteTimeout cuts off streaming responses such as server-sent events;
//     set per-request deadlines with [http.ResponseController] instead.
//     Each default and its reason is documented on its constant.
//   - A graceful stop: OnStopping hooks run first (flip readiness to 503),
//     an optional lame duck keeps serving while load balancers notice, the
//     listener closes so new connections are refused at once, in-flight
//     requests get a grace period (10 s), and only then are stragglers
//     closed. A second Ctrl-C skips the wait.
//   - sd_notify: READY=1 once the server accepts connections and
//     STOPPING=1 when it begins to stop, when NOTIFY_SOCKET is set (systemd
//     Type=notify services, and the golocal dev runner, which swaps
//     versions as soon as the new one is ready).
//   - HTTP/2 over TLS when [Options.TLSConfig] is set; HTTP/2 over
//     cleartext (h2c) only if [Options.H2C] opts in.
//   - An optional loopback-only admin server ([Options.Admin]) for metrics
//     and debug endpoints, started and stopped with the main one.
//
// Beyond net/http's own Shutdown, the stop waits for requests already
// read from freshly accepted connections to reach their handler before
// shutting down, because net/http drops such requests without an answer
// (golang/go#75591); on Linux it takes the connections still queued in
// the kernel's accept backlog before closing the listener, because the
// close would reset them after their clients had sent a request — with
// new handshakes held off by a socket filter meanwhile, so none completes
// between the last accept and the close (a client whose SYN was dropped
// then is refused after its retransmit, having sent nothing; a Multipath
// TCP listener takes no filter, so listen.Listen opens plain TCP); and it
// asks HTTP/1.1 clients to close
// ("Connection: close") instead of closing idle connections under them.
// The drain test and `go run ./bench/drain` check the result: a child
// process gets SIGTERM under load from 32 clients, and in the production
// profile from 16 clients reconnecting for every request through a 2 s
// lame duck; no request is reset or fails.
//
// [NotifyReceiver] is the other end of [Notify], for supervisors and
// tests that start a server and wait for READY=1.
package serve
