// Package listen opens the listener a service should use, and explains
// clearly when it cannot.
//
// Call [Listen] once at startup and pass the listener to your server:
//
//	res, err := listen.Listen(ctx, listen.Options{Fallback: "8081-8089"})
//	if err != nil {
//		log.Fatal(err) // e.g. "127.0.0.1:8080 (PORT) is already in use by pid 4242 (python3 -m http.server) …"
//	}
//	log.Printf("listening on http://%s (from %s)", res.Addr, res.Source)
//	err = serve.Run(ctx, res.Listener, handler, serve.Options{}) // timeouts, graceful stop
//
// The address comes from, in order: a socket passed by the parent (systemd
// socket activation, LISTEN_FDS — this is how "golocal dev" restarts an app
// without refusing a connection), Options.Addr, the PORT environment variable,
// Options.Default, and finally 127.0.0.1:8080. When that port is taken or
// privileged, the ports of Options.Fallback are tried in order and
// [Result.Attempts] says why each earlier one failed.
//
// IMPORTANT: an address without a host (":8080", "8080", PORT=8080) means
// LOOPBACK here, not all interfaces as with net.Listen. Reaching the service
// from another machine is a decision: set Options.AllInterfaces or write
// "0.0.0.0:8080" / "[::]:8080".
//
// Errors name the value, where it came from and what to do: a *ValueError
// for PORT=70000 or LISTEN_FDS=abc, a *PortInUseError naming the pid and
// command holding the port (read from /proc on Linux), a *PrivilegedPortError
// for port 80 without root or CAP_NET_BIND_SERVICE. A port inside the
// ephemeral range (where the kernel picks ports for outgoing connections)
// works but adds a warning to [Result.Warnings].
//
// A parent that wants to hand sockets to a child uses [PassSockets].
package listen
