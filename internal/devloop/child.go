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
	// modeNotify: the child said READY=1 and accepts on the shared socket
	// (fd 3); the next child overlaps on the same socket.
	modeNotify
	// modeShared: the child answers on the shared socket without sd_notify;
	// readiness is only observable when it is alone, so the old one stops
	// first while connections wait in the socket's backlog.
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
// still serves.
func (m readyMode) overlaps() bool { return m == modePort || m == modeNotify || m == 0 }

// child is one running version of the app.
type child struct {
	cmd      *exec.Cmd
	pid      int
	binary   string
	port     int
	started  time.Time
	output   *tail.Buffer
	notify   *serve.NotifyReceiver
	notified <-chan struct{} // closed on READY=1
	exited   chan struct{}   // closed when the process has been reaped
	exitErr  error
	stopOnce sync.Once
	mode     readyMode
	upstream *url.URL
	root     string // module root, for locations in a panic's trace
	// wildcard is the all-interfaces address the app listens on PORT with
	// ("0.0.0.0:41234"), "" when it listens on loopback only.
	wildcard string
}

// childSpec is what startChild needs.
type childSpec struct {
	binary   string
	args     []string
	env      []string
	shared   *os.File // the runner's listening socket, passed as fd 3
	stdout   io.Writer
	stderr   io.Writer
	tempDir  string // for the NOTIFY_SOCKET
	sequence int
	root     string
}

// startChild starts the app in its own process group with the shared socket
// on fd 3 (LISTEN_FDS=1), a fresh loopback PORT and a NOTIFY_SOCKET.
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
	}
	notifyPath := filepath.Join(spec.tempDir, "notify-"+strconv.Itoa(spec.sequence))
	nc, err := serve.ListenNotify(notifyPath)
	if err != nil {
		return nil, fmt.Errorf("cannot create the readiness socket: %w", err)
	}
	c.notify = nc
	c.notified = nc.Await("READY=1")

	cmd := exec.Command(spec.binary, spec.args...)
	cmd.Env = append(append([]string(nil), spec.env...),
		"PORT="+strconv.Itoa(port),
		nc.Env(),
	)
	// The shared socket becomes fd 3 with LISTEN_FDS=1, LISTEN_FDNAMES=http
	// and LISTEN_PID set to the app's own pid (through an exec'ing shell,
	// since Go cannot set a variable between fork and exec).
	if err := listen.PassSockets(cmd, []string{"http"}, spec.shared); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cannot pass the app socket to %s: %w", spec.binary, err)
	}
	cmd.Stdout = io.MultiWriter(orDiscard(spec.stdout), c.output)
	cmd.Stderr = io.MultiWriter(orDiscard(spec.stderr), c.output)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A grandchild that escaped the process group may keep the output pipes
	// open; do not wait for it forever.
	cmd.WaitDelay = 500 * time.Millisecond
	c.started = time.Now()
	if err := cmd.Start(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cannot start %s: %w", spec.binary, err)
	}
	c.cmd = cmd
	c.pid = cmd.Process.Pid
	go func() {
		c.exitErr = cmd.Wait()
		close(c.exited)
		nc.Close()
	}()
	return c, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
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
// NOTIFY_SOCKET, a connection accepted on PORT, a listening socket of its
// own in /proc, or (when sharedAlone: no other child accepts on the shared
// socket) an HTTP answer on the shared socket.
func (c *child) waitReady(ctx context.Context, timeout time.Duration, shared net.Addr, sharedAlone bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	portAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port))
	var fixedSeen time.Time // when a listener of the app's own was first seen
	notified := func() {
		if dialOK(portAddr, 50*time.Millisecond) {
			c.setUpstream(modePort, portAddr)
		} else {
			c.setUpstream(modeNotify, shared.String())
		}
	}
	// answersShared: the shared socket answers HTTP. An app that will say
	// READY=1 may answer a moment before it does (serve sends it once
	// accepting), so READY=1 is given a short while to arrive: with it the
	// next version may overlap this one, without it the old one must stop
	// first.
	answersShared := func() {
		t := time.NewTimer(sharedNotifyWait)
		defer t.Stop()
		select {
		case <-c.notified:
			notified()
		case <-t.C:
			c.setUpstream(modeShared, shared.String())
		}
	}
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.exited:
			return errExitedAtStart
		case <-deadline.C:
			return errNotReady
		case <-c.notified:
			notified()
			return nil
		case <-tick.C:
		}
		if dialOK(portAddr, 20*time.Millisecond) {
			c.setUpstream(modePort, portAddr)
			return nil
		}
		// /proc costs more than a connect: look every ~30 ms.
		if i%15 == 14 {
			if mode, addr, ok := c.ownListener(shared); ok {
				if mode == modePort {
					// On PORT but not on 127.0.0.1 (say [::1]): still a
					// fresh port per version, so versions overlap.
					c.setUpstream(mode, addr)
					return nil
				}
				// A port of its own may be the app's only one (a hard-coded
				// port) or a second listener (an admin or metrics port)
				// opened before the app serves on the shared socket and
				// says READY=1. Give READY=1 a moment before deciding.
				if fixedSeen.IsZero() {
					fixedSeen = time.Now()
				} else if time.Since(fixedSeen) >= fixedPortSettle {
					if sharedAlone && httpAnswers(shared.String(), 100*time.Millisecond) {
						answersShared()
					} else {
						c.setUpstream(mode, addr)
					}
					return nil
				}
			}
		}
		if sharedAlone && i%50 == 49 && httpAnswers(shared.String(), 100*time.Millisecond) {
			answersShared()
			return nil
		}
	}
}

// fixedPortSettle is how long a listening port of the app's own must stand
// without READY=1 before the runner treats it as the app's hard-coded port.
const fixedPortSettle = 300 * time.Millisecond

// sharedNotifyWait is how long an app that answers on the shared socket is
// given to say READY=1 before it is taken for one that never will.
const sharedNotifyWait = 150 * time.Millisecond

// ownListener looks in /proc for a listening socket of the child (or its
// descendants) other than the shared one that answers a connect, and says
// whether it is on PORT (modePort) or elsewhere (modeFixed).
func (c *child) ownListener(shared net.Addr) (readyMode, string, bool) {
	pids := append([]int{c.pid}, procnet.Descendants(c.pid)...)
	held, _ := procnet.ListeningPortsOf(pids...) // best effort: no /proc, no fixed-port discovery
	for _, ap := range held {
		if sameAddrPort(ap, shared) {
			continue // the inherited shared socket
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

// httpAnswers sends a HEAD request and reports whether any bytes come back.
func httpAnswers(addr string, timeout time.Duration) bool {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(conn, "HEAD / HTTP/1.0\r\nHost: localhost\r\n\r\n"); err != nil {
		return false
	}
	var b [1]byte
	n, _ := conn.Read(b[:])
	return n == 1
}

// stop ends the child and everything it started: SIGTERM to its process
// group and to any descendant that left the group (setsid), up to grace for
// the child to exit, then SIGKILL to all of them. It returns when the child
// has been reaped.
func (c *child) stop(grace time.Duration) {
	c.stopOnce.Do(func() {
		// Snapshot the tree first: once the child is gone its orphans are
		// re-parented and can no longer be traced to it.
		escaped := c.escapedDescendants()
		_ = syscall.Kill(-c.pid, syscall.SIGTERM)
		for _, p := range escaped {
			_ = syscall.Kill(p, syscall.SIGTERM)
		}
		t := time.NewTimer(grace)
		select {
		case <-c.exited:
		case <-t.C:
		}
		t.Stop()
		escaped = append(escaped, c.escapedDescendants()...)
		_ = syscall.Kill(-c.pid, syscall.SIGKILL)
		for _, p := range escaped {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		<-c.exited
	})
	<-c.exited
}

// escapedDescendants lists descendants in another process group.
func (c *child) escapedDescendants() []int {
	var out []int
	for _, p := range procnet.Descendants(c.pid) {
		if pg, err := syscall.Getpgid(p); err == nil && pg != c.pid {
			out = append(out, p)
		}
	}
	return out
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

// findWildcard sets c.wildcard when the app's listener on its own port
// (PORT or a fixed one) is bound to all interfaces (0.0.0.0 or [::]), as
// gin's r.Run() and many tutorials do with ":"+port.
func (c *child) findWildcard() {
	if c.upstream == nil || (c.mode != modePort && c.mode != modeFixed) {
		return
	}
	_, portStr, err := net.SplitHostPort(c.upstream.Host)
	if err != nil {
		return
	}
	pids := append([]int{c.pid}, procnet.Descendants(c.pid)...)
	held, _ := procnet.ListeningPortsOf(pids...)
	for _, ap := range held {
		if ap.Addr().IsUnspecified() && strconv.Itoa(int(ap.Port())) == portStr {
			c.wildcard = ap.String()
			return
		}
	}
}
