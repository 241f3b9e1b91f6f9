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
// The socket stops listening with shutdown(2) right after the last
// accept(2) finds the queue empty, inside the same callback: ln.Close
// alone only closes the descriptor once the goroutine blocked in Accept
// has woken up, and every connection completed meanwhile would be reset.
// The window left is the few microseconds between that last accept(2) and
// shutdown(2). Linux offers no way to stop a listening socket from
// completing handshakes without resetting its queue, so it cannot be
// closed entirely. (A Unix socket keeps its queue through shutdown(2),
// so it is taken once more.)
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
		fds = acceptQueued(int(fd), fds)
		if syscall.Shutdown(int(fd), syscall.SHUT_RD) == nil {
			fds = acceptQueued(int(fd), fds)
		}
	})
	ln.Close()
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

// acceptQueued accepts without blocking until the queue is empty (EAGAIN),
// the socket no longer listens (EINVAL) or maxBacklogDrain is reached.
func acceptQueued(fd int, fds []int) []int {
	for len(fds) < maxBacklogDrain {
		nfd, _, err := syscall.Accept4(fd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		switch {
		case err == nil:
			fds = append(fds, nfd)
		case errors.Is(err, syscall.EINTR), errors.Is(err, syscall.ECONNABORTED):
		default:
			return fds
		}
	}
	return fds
}
