//go:build linux

package serve

import "net"

// TakeBacklog runs the close's backlog drain on ln; filter false leaves
// new handshakes unfiltered (the old behaviour) and beforeStop runs
// between the last accept(2) and shutdown(2).
func TakeBacklog(ln net.Listener, filter bool, beforeStop func()) ([]net.Conn, bool, error) {
	return takeBacklog(ln, backlogOptions{noFilter: !filter, beforeStop: beforeStop})
}
