// Package draintest checks that a server process stops without failing a
// request: it starts the server as a child process on a loopback socket,
// keeps it busy with concurrent clients, sends SIGTERM in the middle, and
// accounts for every request.
//
// It runs on Unix systems (socket inheritance and SIGTERM). It is the
// harness behind serve's drain test and the bench/drain program.
// A program under test re-executes itself: at the top of main (or TestMain)
//
//	if draintest.IsChild(os.Getenv) {
//		os.Exit(draintest.ChildMain(os.Getenv, os.Stderr))
//	}
//
// and the parent calls [Run] with a [Config] whose Command starts that same
// program. The child receives its listening socket as fd 3 (LISTEN_FDS=1,
// as systemd and the golocal dev runner pass it) and reports readiness with
// sd_notify READY=1, so the parent knows the address before the child
// starts and never races it for a port.
//
// Each request ends up in exactly one bucket: completed (200 with the full
// body), refused (the listener had closed: ECONNREFUSED, or a connection
// still queued in the kernel backlog that the server never accepted and
// the kernel reset when the listener closed — proved with the child's own
// list of accepted connections), or failed (anything else). A clean drain
// has failed == 0 and the child's count of requests that reached a handler
// equal to the clients' count of completed ones: see [Report.Problems].
package draintest
