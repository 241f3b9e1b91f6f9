//go:build linux

package serve

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxBacklogDrain bounds the connections taken from the accept queue at
// the close: the kernel's default somaxconn.
const maxBacklogDrain = 4096

// handshakeSettle is how long the close waits, once new handshakes are
// refused entry (see dropNewHandshakes), for the handshakes already under
// way to complete and join the accept queue: the final ACK is one round
// trip after the SYN, microseconds on loopback and a LAN.
const handshakeSettle = 5 * time.Millisecond

// backlogOptions are for tests.
type backlogOptions struct {
	// noFilter leaves new handshakes unfiltered until shutdown(2), as
	// before the filter existed.
	noFilter bool
	// beforeStop runs between the last accept(2) and shutdown(2): it
	// stands for the thread being descheduled there on a loaded machine.
	beforeStop func()
}

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
// is still open); the caller then closes it. filterErr says why new
// handshakes could not be held off during the close (a Multipath TCP
// socket takes no filter): a connection arriving in the microseconds
// between the last accept(2) and shutdown(2) may then be reset.
func acceptBacklog(ln net.Listener) (conns []net.Conn, ok bool, filterErr error) {
	return takeBacklog(ln, backlogOptions{})
}

// takeBacklog is acceptBacklog in three phases:
//
//  1. A TCP socket gets a filter that drops new SYNs (see
//     dropNewHandshakes), so that from then on no handshake starts; the
//     queue is taken, and after handshakeSettle taken again, collecting
//     the handshakes that were under way.
//  2. The socket stops listening with shutdown(2), which is what makes
//     the kernel refuse new connections at once. Linux has no way to stop
//     a listening socket without resetting what its queue holds, so the
//     queue must be empty then; without the filter, a handshake completed
//     between the last accept(2) and shutdown(2) — a few microseconds, or
//     however long a loaded machine deschedules the thread there — was
//     reset (the drain test saw it under CI load). A client whose SYN the
//     filter dropped sent nothing: it retransmits after about a second and
//     is then refused, like any client arriving after the close. A Unix
//     socket keeps its queue through shutdown(2), so it is taken once
//     more.
//  3. The descriptors become net.Conns; ln is closed.
func takeBacklog(ln net.Listener, o backlogOptions) (conns []net.Conn, ok bool, filterErr error) {
	var sc syscall.Conn
	isTCP := false
	switch l := ln.(type) {
	case *net.TCPListener:
		sc, isTCP = l, true
	case *net.UnixListener:
		sc = l
	default:
		return nil, false, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, false, nil
	}
	var fds []int
	filtered := false
	cerr := rc.Control(func(fd uintptr) {
		if isTCP && !o.noFilter {
			filterErr = dropNewHandshakes(int(fd))
			filtered = filterErr == nil
		}
		fds = acceptQueued(int(fd), fds)
	})
	if cerr == nil && filtered {
		time.Sleep(handshakeSettle)
	}
	if cerr == nil {
		cerr = rc.Control(func(fd uintptr) {
			fds = acceptQueued(int(fd), fds)
			if o.beforeStop != nil {
				o.beforeStop()
			}
			if syscall.Shutdown(int(fd), syscall.SHUT_RD) == nil {
				fds = acceptQueued(int(fd), fds)
			}
		})
	}
	ln.Close()
	if cerr != nil {
		closeFDs(fds)
		return nil, true, filterErr
	}
	return fileConns(fds), true, filterErr
}

// synFilter is a classic BPF socket filter over the TCP header (a TCP
// socket's filter sees the segment from its TCP header on): it drops a
// segment with SYN set and ACK clear — a new connection's first packet —
// and keeps the rest, so a handshake already answered with SYN-ACK still
// completes with its final ACK.
var synFilter = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS, K: 13},            // 0: A = TCP flags
	{Code: unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K, Jt: 1, K: 0x10}, // 1: ACK set: keep (3)
	{Code: unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K, Jt: 1, K: 0x02}, // 2: SYN set: drop (4)
	{Code: unix.BPF_RET | unix.BPF_K, K: 0xffffffff},                  // 3: keep
	{Code: unix.BPF_RET | unix.BPF_K, K: 0},                           // 4: drop
}

// dropNewHandshakes attaches synFilter to the listening socket fd.
func dropNewHandshakes(fd int) error {
	prog := unix.SockFprog{Len: uint16(len(synFilter)), Filter: unsafe.SliceData(synFilter)}
	err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog)
	if errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("the socket takes no filter (%w); a Multipath TCP listener, as net.Listen opens by default, cannot (listen.Listen opens plain TCP)", err)
	}
	return err
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

// fileConns turns accepted descriptors into net.Conns (closing each
// descriptor: FileConn holds its own duplicate).
func fileConns(fds []int) []net.Conn {
	var conns []net.Conn
	for _, nfd := range fds {
		f := os.NewFile(uintptr(nfd), "backlog")
		c, err := net.FileConn(f)
		f.Close()
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
	return conns
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		syscall.Close(fd)
	}
}
