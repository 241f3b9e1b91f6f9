package procnet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// lsofArgs selects listening TCP sockets with numeric hosts and ports (-n,
// -P), no warnings (-w), in lsof's field output (-F), which is meant for
// programs: one field per line, its kind in the first character.
var lsofArgs = []string{"-nP", "-w", "-iTCP", "-sTCP:LISTEN", "-F"}

// Lsof reads listening sockets from lsof, the source on macOS, where there
// is no /proc. See [lsof(8)], section OUTPUT FOR OTHER PROGRAMS, for the
// field output [ParseLsof] reads.
//
// [lsof(8)]: https://man7.org/linux/man-pages/man8/lsof.8.html
type Lsof struct {
	// Path of the lsof program; "lsof" on PATH when empty, else
	// /usr/sbin/lsof (PATH often lacks /usr/sbin).
	Path string
	// Timeout bounds one run; 10 seconds when zero.
	Timeout time.Duration
}

// Listeners is [Listeners] through lsof.
func (l Lsof) Listeners() ([]Socket, error) { return l.run(nil) }

// ListeningPortsOf is [ListeningPortsOf] through lsof, which is asked about
// those processes only (-a -p).
func (l Lsof) ListeningPortsOf(pids ...int) ([]netip.AddrPort, error) {
	if len(pids) == 0 {
		return nil, nil
	}
	list := make([]string, len(pids))
	for i, p := range pids {
		list[i] = strconv.Itoa(p)
	}
	socks, err := l.run([]string{"-a", "-p", strings.Join(list, ",")})
	if err != nil {
		return nil, err
	}
	return addrsHeldBy(socks, pids), nil
}

func (l Lsof) run(extra []string) ([]Socket, error) {
	path, err := l.path()
	if err != nil {
		return nil, err
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, append(extra, lsofArgs...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	// lsof exits 1 when no file matched: no listener is not an error.
	var exit *exec.ExitError
	if runErr != nil && !(errors.As(runErr, &exit) && exit.ExitCode() == 1 && stderr.Len() == 0) {
		return nil, fmt.Errorf("%s %s: %w: %s", path, strings.Join(lsofArgs, " "), runErr, strings.TrimSpace(stderr.String()))
	}
	socks, err := ParseLsof(&stdout)
	if err != nil {
		return nil, fmt.Errorf("reading the output of %s: %w", path, err)
	}
	return socks, nil
}

func (l Lsof) path() (string, error) {
	if l.Path != "" {
		return l.Path, nil
	}
	if p, err := exec.LookPath("lsof"); err == nil {
		return p, nil
	}
	if p, err := exec.LookPath("/usr/sbin/lsof"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: lsof is not installed (looked on PATH and in /usr/sbin); install it to see which process holds a port", ErrUnsupported)
}

// lsofFile is the file set being read: the fields after an 'f' line.
type lsofFile struct {
	fd, kind, proto, name, state string
	device                       uint64
}

// lsofReader is ParseLsof's state: the process set and the file set the
// lines belong to.
type lsofReader struct {
	pid     int
	command string
	uid     int
	file    *lsofFile
	out     []Socket
}

// ParseLsof reads lsof's field output (-F, one field per line, the field's
// kind in its first character): a 'p' line starts a process set (with 'c'
// command and 'u' uid), an 'f' line starts a file set within it (with 't'
// type, 'P' protocol, 'n' name, 'd' device and 'T' TCP state). Every IPv4
// or IPv6 TCP file whose state, when given, is LISTEN becomes a [Socket].
// Fields it does not use are skipped, so newer lsof versions still parse.
// Anything that breaks the format (a file before any process, a pid or
// address that does not parse) is an error naming the line.
func ParseLsof(r io.Reader) ([]Socket, error) {
	st := &lsofReader{uid: -1}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" {
			continue
		}
		if err := st.field(text[0], text[1:]); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := st.endFile(); err != nil {
		return nil, fmt.Errorf("at the end: %w", err)
	}
	return st.out, nil
}

func (st *lsofReader) field(kind byte, v string) error {
	if kind == 'p' || kind == 'f' {
		if err := st.endFile(); err != nil {
			return err
		}
	}
	switch kind {
	case 'p':
		pid, err := strconv.Atoi(v)
		if err != nil || pid <= 0 {
			return fmt.Errorf("process id %q is not a pid", v)
		}
		st.pid, st.command, st.uid = pid, "", -1
	case 'c':
		st.command = v
	case 'u':
		uid, err := strconv.Atoi(v)
		if err != nil || uid < 0 {
			return fmt.Errorf("user id %q is not a number", v)
		}
		st.uid = uid
	case 'f':
		if st.pid == 0 {
			return fmt.Errorf("file %q comes before any process ('p' line)", v)
		}
		st.file = &lsofFile{fd: v}
	default:
		st.fileField(kind, v)
	}
	return nil
}

// fileField records the fields of the current file set that matter.
func (st *lsofReader) fileField(kind byte, v string) {
	if st.file == nil {
		return // a process-level field this parser does not use (g, R, L)
	}
	switch kind {
	case 't':
		st.file.kind = v
	case 'P':
		st.file.proto = v
	case 'n':
		st.file.name = v
	case 'd':
		st.file.device = parseLsofDevice(v)
	case 'T':
		if s, ok := strings.CutPrefix(v, "ST="); ok {
			st.file.state = s
		}
	}
}

// endFile turns the file set just read into a Socket when it is a
// listening TCP socket.
func (st *lsofReader) endFile() error {
	f := st.file
	st.file = nil
	if f == nil || (f.kind != "IPv4" && f.kind != "IPv6") {
		return nil
	}
	if (f.proto != "" && f.proto != "TCP") || (f.state != "" && f.state != "LISTEN") || strings.Contains(f.name, "->") {
		return nil
	}
	addr, err := parseLsofName(f.name, f.kind)
	if err != nil {
		return fmt.Errorf("file %s of pid %d: %w", f.fd, st.pid, err)
	}
	st.out = append(st.out, Socket{Addr: addr, Inode: f.device, UID: st.uid, PID: st.pid, Command: st.command})
	return nil
}

// parseLsofName reads a socket name as lsof prints it with -n -P:
// "127.0.0.1:8080", "[::1]:8080", "[fe80::1%en0]:8080", or "*:8080" for
// any address (0.0.0.0 or :: by the file's type).
func parseLsofName(name, kind string) (netip.AddrPort, error) {
	i := strings.LastIndexByte(name, ':')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("name %q has no ':port'", name)
	}
	host, portText := name[:i], name[i+1:]
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q in %q is not a number (was lsof run without -P?)", portText, name)
	}
	var addr netip.Addr
	switch {
	case host == "*" && kind == "IPv6":
		addr = netip.IPv6Unspecified()
	case host == "*":
		addr = netip.IPv4Unspecified()
	default:
		addr, err = netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("host %q in %q is not an IP address (was lsof run without -n?)", host, name)
		}
	}
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}

// parseLsofDevice reads the 'd' field: a decimal number on Linux (the
// socket's inode), a hexadecimal kernel address on macOS ("0x…"); 0 when it
// is neither.
func parseLsofDevice(v string) uint64 {
	if h, ok := strings.CutPrefix(v, "0x"); ok {
		n, _ := strconv.ParseUint(h, 16, 64)
		return n
	}
	n, _ := strconv.ParseUint(v, 10, 64)
	return n
}
