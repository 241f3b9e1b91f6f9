//go:build linux

package listen_test

import (
	"context"
	"net"
	"testing"

	"github.com/golocal/golocal/listen"
	"golang.org/x/sys/unix"
)

// TestListenOpensPlainTCP: Go's net.ListenConfig opens Multipath TCP
// listeners by default on Linux; listen.Listen opens plain TCP, because
// serve's close attaches a socket filter that MPTCP sockets refuse.
func TestListenOpensPlainTCP(t *testing.T) {
	res, err := listen.Listen(context.Background(), listen.Options{
		Addr: "127.0.0.1:0", IgnoreInherited: true, Getenv: func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Listener.Close()
	rc, err := res.Listener.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var proto int
	var perr error
	if err := rc.Control(func(fd uintptr) { proto, perr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PROTOCOL) }); err != nil {
		t.Fatal(err)
	}
	if perr != nil {
		t.Fatal(perr)
	}
	if proto != unix.IPPROTO_TCP {
		t.Errorf("socket protocol %d, want IPPROTO_TCP (%d); MPTCP is %d", proto, unix.IPPROTO_TCP, unix.IPPROTO_MPTCP)
	}
}
