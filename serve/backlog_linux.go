//go:build linux

package serve

import (
	"errors"
	"net"
	"os"
	"syscall"
	"time"
)

// maxBacklogDrain bounds the connections taken from the accept queue at
// the close: the kernel's default somaxconn.
const maxBacklogDrain = 4096

// acceptBacklog takes every connection already waiting in ln's kernel
// accept queue, without blocking, and closes ln right after. Closing a
// listening socket makes the kernel reset the connections still queued:
// their clients completed the handshake and may have sent a request, see
// "connection reset by peer" and cannot know whether it was processed. Taken
// here, they are served like any other accepted connection.
//
// It applies only to *net.TCPListener and *net.UnixListener themselves: a
// wrapper (TLS, PROXY protocol, an accept recorder) does its own work in
// Accept that a raw accept would bypass, so a wrapped listener is simply
// closed, as before. ok is false when the listener was not drained (and
// is still open); the caller then closes it.
//
// The window left is the time between the last accept(2) finding the
// queue empty and close(2), a few microseconds, instead of however long
// the accept goroutine takes to be scheduled. Linux offers no way to stop
// a listening socket from completing handshakes without resetting its
// queue, so it cannot be closed entirely.
func acceptBacklog(ln net.Listener) (conns []net.Conn, ok bool) {
	var sc syscall.Conn
	switch l := ln.(type) {
	case *net.TCPListener:
		sc = l
	case *net.UnixListener:
		sc = l
	default:
		return nil, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, false
	}
	var fds []int
	cerr := rc.Control(func(fd uintptr) {
		for len(fds) < maxBacklogDrain {
			nfd, _, err := syscall.Accept4(int(fd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
			switch {
			case err == nil:
				fds = append(fds, nfd)
			case errors.Is(err, syscall.EINTR), errors.Is(err, syscall.ECONNABORTED):
			default: // EAGAIN: the queue is empty
				return
			}
		}
	})
	ln.Close() // at once: every microsecond from here admits a connection the kernel would reset
	if cerr != nil {
		return nil, true
	}
	for _, nfd := range fds {
		f := os.NewFile(uintptr(nfd), "backlog")
		c, err := net.FileConn(f)
		f.Close() // FileConn holds its own duplicate
		if err != nil {
			continue // the client is reset, as it would have been
		}
		if tc, ok := c.(*net.TCPConn); ok {
			// What net.ListenConfig's default gives accepted connections.
			_ = tc.SetKeepAlive(true)
			_ = tc.SetKeepAlivePeriod(15 * time.Second)
		}
		conns = append(conns, c)
	}
	return conns, true
}
