package devloop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golocal/golocal/internal/procnet"
	"github.com/golocal/golocal/internal/tail"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/serve"
)

// readyMode says how a child serves, which decides how the next one is
// swapped in.
type readyMode int

const (
	// modePort: the child listens on the fresh loopback PORT it was given;
	// the next child gets another port and both overlap.
	modePort readyMode = iota + 1
	// modeNotify: the child said READY=1 and accepts on its socket (fd 3).
	modeNotify
	// modeShared: the child answers on its socket (fd 3) without sd_notify.
	modeShared
	// modeFixed: the child ignores PORT and LISTEN_FDS and listens on a port
	// of its own (found in /proc); the old one must release it first.
	modeFixed
)

func (m readyMode) String() string {
	switch m {
	case modePort:
		return "PORT"
	case modeNotify:
		return "LISTEN_FDS + READY=1"
	case modeShared:
		return "LISTEN_FDS"
	case modeFixed:
		return "fixed port"
	}
	return "unknown"
}

// overlaps reports whether a new child may start while this mode's old one
// still serves: every version gets its own PORT and its own socket, so only
// a port the app chose itself must be released first.
func (m readyMode) overlaps() bool { return m != modeFixed }

// child is one running version of the app.
type child struct {
	cmd     *exec.Cmd
	pid     int
	group   *procGroup
	binary  string
	port    int
	started time.Time
	output  *tail.Buffer
	notify  *serve.NotifyReceiver
	// expectReady: see childSpec.expectReady.
	expectReady bool
	notified    <-chan struct{} // closed on READY=1
	exited      chan struct{}   // closed when the process has been reaped
	exitErr     error
	stopOnce    sync.Once
	sockAddr    net.Addr // the socket passed as fd 3; nil without socket passing
	mode        readyMode
	upstream    *url.URL
	root        string // module root, for locations in a panic's trace
}

// childSpec is what startChild needs.
type childSpec struct {
	binary string
	args   []string
	env    []string
	// noSocket: pass no listening socket (LISTEN_FDS), only PORT; see
	// Options.NoSocketPassing.
	noSocket bool
	// noNotify: no NOTIFY_SOCKET (Windows); see Options.noNotify.
	noNotify bool
	stdout   io.Writer
	stderr   io.Writer
	tempDir  string // for the NOTIFY_SOCKET
	sequence int
	root     string
	// expectReady: the program links a package that sends READY=1, so a
	// connection accepted on PORT or an answer on fd 3 waits for it (the
	// datagram carries the admin address, and is sent as serving starts).
	expectReady bool
}

// startChild starts the app in its own process group with a fresh loopback
// PORT, a listening socket of its own on fd 3 (LISTEN_FDS=1) and a
// NOTIFY_SOCKET.
//
// Each version gets its own socket, not one shared by all: connections to
// it can only reach this version, so once the front switches to the new
// one, no request reaches the old one, even while it keeps accepting during
// a lame duck; and an HTTP answer on it says this version is ready.
func startChild(spec childSpec) (*child, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	c := &child{
		binary: spec.binary,
		root:   spec.root,
		port:   port,
		output: tail.New(16<<10, nil),
		exited: make(chan struct{}),

		expectReady: spec.expectReady && !spec.noNotify,
	}
	cmd := exec.Command(spec.binary, spec.args...)
	cmd.Env = append(append([]string(nil), spec.env...), "PORT="+strconv.Itoa(port))
	if !spec.noNotify {
		notifyPath := filepath.Join(spec.tempDir, "notify-"+strconv.Itoa(spec.sequence))
		nc, err := serve.ListenNotify(notifyPath)
		if err != nil {
			return nil, fmt.Errorf("cannot create the readiness socket: %w", err)
		}
		c.notify = nc
		c.notified = nc.Await("READY=1")
		cmd.Env = append(cmd.Env, nc.Env())
	}
	var sock *os.File
	if !spec.noSocket {
		sock, c.sockAddr, err = passSocket(cmd)
		if err != nil {
			c.closeNotify()
			return nil, fmt.Errorf("cannot pass a socket to %s: %w", spec.binary, err)
		}
		// The app holds the socket from its start; the runner's copy must
		// not keep it open after the app is gone.
		defer sock.Close()
	}
	cmd.Stdout = io.MultiWriter(orDiscard(spec.stdout), c.output)
	cmd.Stderr = io.MultiWriter(orDiscard(spec.stderr), c.output)
	// A grandchild that escaped the process group may keep the output pipes
	// open; do not wait for it forever.
	cmd.WaitDelay = 500 * time.Millisecond
	c.started = time.Now()
	group, err := startGroup(cmd)
	if err != nil {
		c.closeNotify()
		return nil, fmt.Errorf("cannot start %s: %w", spec.binary, err)
	}
	c.group = group
	c.cmd = cmd
	c.pid = cmd.Process.Pid
	go func() {
		c.exitErr = cmd.Wait()
		close(c.exited)
		c.closeNotify()
	}()
	return c, nil
}

// closeNotify closes the child's readiness socket, if it has one.
func (c *child) closeNotify() {
	if c.notify != nil {
		c.notify.Close()
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// passSocket opens a loopback listening socket and makes it the command's
// fd 3 with LISTEN_FDS=1, LISTEN_FDNAMES=http and LISTEN_PID set to the
// app's own pid (through an exec'ing shell, since Go cannot set a variable
// between fork and exec). The caller closes the returned file once the
// command started.
func passSocket(cmd *exec.Cmd) (*os.File, net.Addr, error) {
	// Plain TCP, as listen.Listen opens it: serve's close holds new
	// handshakes off with a socket filter, which a Multipath TCP socket
	// (net.Listen's default) cannot take.
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close() // the dup below keeps the socket
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, nil, err
	}
	if err := listen.PassSockets(cmd, []string{"http"}, f); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, ln.Addr(), nil
}

// exitDescription says how the child ended, for messages.
func (c *child) exitDescription() string {
	var ee *exec.ExitError
	if errors.As(c.exitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "was killed by " + ws.Signal().String()
		}
		return "exited with code " + strconv.Itoa(ee.ExitCode())
	}
	if c.exitErr != nil {
		return "ended: " + c.exitErr.Error()
	}
	return "exited with code 0"
}

// errNotReady is returned by waitReady when the deadline passed.
var errNotReady = errors.New("not ready")

// errExitedAtStart is returned by waitReady when the child exited first.
var errExitedAtStart = errors.New("exited at start")

// waitReady waits until the child serves and decides its mode: READY=1 on
// NOTIFY_SOCKET, a connection accepted on PORT, an HTTP answer on its
// socket (fd 3), or a listening socket of its own in /proc (a hard-coded
// port). None of these costs a fixed wait, except a port of its own in
// the kernel's ephemeral range (see fixedPortSettle).
func (c *child) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	answered := c.probeSocket(timeout)
	defer answered.stop()
	portAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port))
	var fixedSeen time.Time // when a listener of the app's own was first seen
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.exited:
			return errExitedAtStart
		case <-deadline.C:
			return errNotReady
		case <-c.notified:
			c.readyNotified(portAddr)
			return nil
		case <-answered.ok:
			// serve sends READY=1 (with its admin address) from another
			// goroutine as it starts accepting: the answer may come first.
			mode := modeShared
			if c.awaitReady(ctx, c.readyWait()) {
				mode = modeNotify
			}
			c.setUpstream(mode, c.sockAddr.String())
			return nil
		case <-tick.C:
		}
		if dialOK(portAddr, 20*time.Millisecond) {
			// Connected to the backlog of a listener that may not serve
			// yet: an app that will say READY=1 (and its admin address)
			// says it as it starts serving.
			c.awaitReady(ctx, c.readyWait())
			c.setUpstream(modePort, portAddr)
			return nil
		}
		// /proc costs more than a connect: look every ~30 ms.
		if i%15 != 14 {
			continue
		}
		if mode, addr, ok := c.ownListener(); ok {
			if fixedSeen.IsZero() {
				fixedSeen = time.Now()
			}
			if mode == modePort || c.fixedSettled(addr, fixedSeen, answered) {
				// On PORT but not on 127.0.0.1 (say [::1]): still a fresh
				// port per version, so versions overlap.
				c.setUpstream(mode, addr)
				return nil
			}
		}
	}
}

// readyAfterServing bounds how long a child expected to send READY=1
// (childSpec.expectReady) is given to send it once it accepts on PORT or
// answers on fd 3. serve sends it within microseconds of its first
// accept; apps not expected to send it are not waited for.
const readyAfterServing = time.Second

func (c *child) readyWait() time.Duration {
	if c.expectReady {
		return readyAfterServing
	}
	return 0
}

// awaitReady reports whether the child sends READY=1 within d (at once
// when it already has; false without a notify socket, when it exits or
// when ctx ends).
func (c *child) awaitReady(ctx context.Context, d time.Duration) bool {
	if c.notified == nil {
		return false
	}
	if d <= 0 {
		return c.saidReady()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.notified:
		return true
	case <-c.exited:
		return false
	case <-ctx.Done():
		return false
	case <-t.C:
		return false
	}
}

// saidReady reports whether the child sent READY=1.
func (c *child) saidReady() bool {
	select {
	case <-c.notified:
		return true
	default:
		return false
	}
}

// readyNotified sets the mode of a child that said READY=1.
func (c *child) readyNotified(portAddr string) {
	switch {
	case dialOK(portAddr, 50*time.Millisecond):
		c.setUpstream(modePort, portAddr)
	case c.sockAddr != nil:
		c.setUpstream(modeNotify, c.sockAddr.String())
	default:
		// READY=1 without a socket to serve on and not on PORT: its own
		// port, if it has one, is found in /proc.
		if mode, addr, ok := c.ownListener(); ok {
			c.setUpstream(mode, addr)
		}
	}
}

// fixedSettled decides whether a listening port of the app's own (not PORT,
// not fd 3) is where it serves. It may be a second listener instead (an
// admin or metrics port) opened just before the app serves on fd 3 and
// says READY=1. A port outside the kernel's ephemeral range was chosen by
// the app — its hard-coded port — and is taken after a short look at fd 3;
// one inside it was probably bound as ":0" (an admin listener), and is
// taken only after fixedPortSettle without READY=1 or an answer on fd 3.
func (c *child) fixedSettled(addr string, seen time.Time, answered *socketProbe) bool {
	wait := fixedPortSettle
	if ap, err := netip.ParseAddrPort(addr); err == nil && !inEphemeralRange(ap.Port()) {
		wait = fixedPortGlance
	}
	if time.Since(seen) < wait {
		return false
	}
	select {
	case <-answered.ok:
		return false // serves on fd 3: the next loop turn takes it
	case <-c.notified:
		return false
	default:
		return true
	}
}

// fixedPortSettle is how long a listening port of the app's own in the
// ephemeral range must stand without READY=1 or an answer on fd 3 before
// the runner treats it as the app's hard-coded port.
const fixedPortSettle = 300 * time.Millisecond

// fixedPortGlance is the same for a port outside the ephemeral range: long
// enough for an app that opened an admin port first to serve on fd 3.
const fixedPortGlance = 20 * time.Millisecond

// inEphemeralRange reports whether port is in the range the kernel hands
// out for ":0" binds (/proc/sys/net/ipv4/ip_local_port_range, default
// 32768-60999).
func inEphemeralRange(port uint16) bool {
	lo, hi := 32768, 60999
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if l, err := strconv.Atoi(f[0]); err == nil {
				lo = l
			}
			if h, err := strconv.Atoi(f[1]); err == nil {
				hi = h
			}
		}
	}
	return int(port) >= lo && int(port) <= hi
}

// socketProbe is one HTTP request waiting on a child's socket: it is
// answered once the app accepts on fd 3 and serves, without polling.
type socketProbe struct {
	ok   chan struct{} // closed when an answer came
	done chan struct{}
}

func (p *socketProbe) stop() { close(p.done) }

// probeSocket sends HEAD / on the child's socket. The connection waits in
// the socket's backlog until the app accepts; the first byte of an answer
// closes ok. Without a socket, ok never closes.
func (c *child) probeSocket(timeout time.Duration) *socketProbe {
	p := &socketProbe{ok: make(chan struct{}), done: make(chan struct{})}
	if c.sockAddr == nil {
		return p
	}
	conn, err := net.DialTimeout("tcp", c.sockAddr.String(), time.Second)
	if err != nil {
		return p
	}
	go func() {
		<-p.done
		conn.Close()
	}()
	go func() {
		_ = conn.SetDeadline(time.Now().Add(timeout))
		if _, err := io.WriteString(conn, "HEAD / HTTP/1.0\r\nHost: localhost\r\nUser-Agent: golocal-dev-readiness\r\n\r\n"); err != nil {
			return
		}
		var b [1]byte
		if n, _ := conn.Read(b[:]); n == 1 {
			close(p.ok)
		}
	}()
	return p
}

// ownListener looks in /proc for a listening socket of the child (or its
// descendants) other than its fd 3 that answers a connect, and says whether
// it is on PORT (modePort) or elsewhere (modeFixed).
func (c *child) ownListener() (readyMode, string, bool) {
	pids := append([]int{c.pid}, procnet.Descendants(c.pid)...)
	held, _ := procnet.ListeningPortsOf(pids...) // best effort: no /proc, no fixed-port discovery
	for _, ap := range held {
		if c.sockAddr != nil && sameAddrPort(ap, c.sockAddr) {
			continue // the socket passed as fd 3
		}
		ip := ap.Addr().Unmap()
		if ip.IsUnspecified() {
			if ip.Is4() {
				ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
			} else {
				ip = netip.IPv6Loopback()
			}
		}
		addr := netip.AddrPortFrom(ip, ap.Port()).String()
		if dialOK(addr, 20*time.Millisecond) {
			if int(ap.Port()) == c.port {
				return modePort, addr, true
			}
			return modeFixed, addr, true
		}
	}
	return 0, "", false
}

// sameAddrPort reports whether ap, read from /proc, is the address a.
func sameAddrPort(ap netip.AddrPort, a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	return ta.AddrPort().Addr().Unmap() == ap.Addr().Unmap() && ta.AddrPort().Port() == ap.Port()
}

func (c *child) setUpstream(m readyMode, addr string) {
	c.mode = m
	c.upstream = &url.URL{Scheme: "http", Host: addr}
}

func dialOK(addr string, timeout time.Duration) bool {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// stop ends the child and everything it started (see procGroup): a polite
// stop to the whole tree (SIGTERM, CTRL_BREAK on Windows), up to grace for
// the child to exit, then a kill of all of it. It returns when the child has
// been reaped.
func (c *child) stop(grace time.Duration) {
	c.stopOnce.Do(func() {
		c.group.terminate()
		t := time.NewTimer(grace)
		select {
		case <-c.exited:
		case <-t.C:
		}
		t.Stop()
		c.group.kill()
		c.group.release()
		<-c.exited
	})
	<-c.exited
}

// freeLoopbackPort asks the kernel for a free port on 127.0.0.1.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cannot find a free loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// findWildcard returns the address when the app's listener on its own
// port (PORT or a fixed one) is bound to all interfaces (0.0.0.0 or [::]),
// as gin's r.Run() and many tutorials do with ":"+port; "" otherwise.
func (c *child) findWildcard() string {
	if c.upstream == nil || (c.mode != modePort && c.mode != modeFixed) {
		return ""
	}
	_, portStr, err := net.SplitHostPort(c.upstream.Host)
	if err != nil {
		return ""
	}
	pids := append([]int{c.pid}, procnet.Descendants(c.pid)...)
	held, _ := procnet.ListeningPortsOf(pids...)
	for _, ap := range held {
		if ap.Addr().IsUnspecified() && strconv.Itoa(int(ap.Port())) == portStr {
			return ap.String()
		}
	}
	return ""
}
