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
// fresh loopback port, a listening socket of its own as fd 3 (LISTEN_FDS=1,
// LISTEN_PID via a /bin/sh exec wrapper, the systemd socket activation
// protocol: https://www.freedesktop.org/software/systemd/man/sd_listen_fds.html;
// not with Options.NoSocketPassing, the only mode on Windows) and a
// NOTIFY_SOCKET (https://www.freedesktop.org/software/systemd/man/sd_notify.html).
// Readiness is READY=1, a connection accepted on PORT, an answer to a
// request queued on its socket, or a listening socket of its own found in
// /proc (an app with a hard-coded port). Every version has its own
// addresses, so versions overlap during a swap and none gets a request
// after the front switched away from it; only a hard-coded port makes the
// old one stop first, while the front holds requests. Stopping is SIGTERM
// to the group and to any descendant that left it, a grace period, SIGKILL.
// Run is a state machine (see machine.go) that a test drives event by event.
//
// Where the speed comes from: a 10 ms quiet period folds an editor's save
// burst (its events come within a millisecond or two); builds link with
// -ldflags=-s -w (about a quarter less link time) and, when nothing outside
// the standard library uses cgo, with CGO_ENABLED=0 as golocal release
// builds (a static binary: a shorter link and no dynamic loader at each
// start; see cgo.go); the swap does not wait for the all-interfaces check;
// and the Builder keeps one model of the program (Program: the package
// graph from go list -json -deps, reloaded in the background after each go
// build) to decide, for each change, whether the last go build's plan
// still holds. When it does, it compiles the edited packages of the main
// module with the toolchain directly, recompiles importers only when the
// export data changed, and reruns the link: no go command on the critical
// path. Anything it cannot trust (go.mod, a new file or import, cgo, build
// flags) goes through go build, and every build says which path it took
// and why (BuildResult.How, Event.How). --no-fast-build or
// GOLOCAL_NO_FAST_BUILD=1 turns the fast path off. A save that changes no
// byte (content hash) builds nothing; a Go file no package of the program
// lives in builds nothing either (Program.Outside).
package devloop
