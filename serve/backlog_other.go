//go:build !linux

package serve

import "net"

// acceptBacklog is implemented on Linux only; elsewhere the listener is
// closed as it is (see backlog_linux.go).
func acceptBacklog(net.Listener) ([]net.Conn, bool, error) { return nil, false, nil }
