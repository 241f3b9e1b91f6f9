// Package devloop is the engine of "golocal dev": it watches a Go module,
// builds the main package on every change while the previous version keeps
// serving, starts the new version next to the old one, switches to it once
// it serves and only then stops the old one, so that no request fails.
//
// Start with New and Run; the dev front (internal/devproxy) follows the
// Events: EventSwapped carries the upstream to proxy to, EventBuildFailed
// the compiler's Diagnostics.
//
//	r, err := devloop.New(devloop.Options{Dir: ".", OnEvent: func(e devloop.Event) { … }})
//	if err != nil { … } // no go command, no main package, bad watch root: said plainly
//	err = r.Run(ctx)     // until ctx is done; the app is stopped, nothing is left behind
//
// How an app version is run: in its own process group, with PORT set to a
// fresh loopback port, the runner's shared listening socket as fd 3
// (LISTEN_FDS=1, LISTEN_PID via a /bin/sh exec wrapper, the systemd socket
// activation protocol: https://www.freedesktop.org/software/systemd/man/sd_listen_fds.html)
// and a NOTIFY_SOCKET (https://www.freedesktop.org/software/systemd/man/sd_notify.html).
// Readiness is READY=1, a connection accepted on PORT, a listening socket of
// its own found in /proc (an app with a hard-coded port), or an HTTP answer
// on the shared socket. Apps on PORT or sending READY=1 overlap during a
// swap; the others are stopped first while requests wait (in the kernel
// backlog of the shared socket, or held by the front). Stopping is SIGTERM
// to the group and to any descendant that left it, a grace period, SIGKILL.
//
// Where the speed comes from: a 40 ms quiet period folds an editor's save
// burst; builds link with -ldflags=-s -w (about a quarter less link time);
// and an edit confined to the main package's own files reruns the compile
// and link commands of the previous go build directly, skipping the go
// command's quarter-second of package loading and cache checks. A save
// that changes no byte (content hash) builds nothing.
package devloop
