package procnet

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// tcpListen is the kernel's TCP_LISTEN state, as printed in the "st" column.
const tcpListen = 0x0A

// Entry is one parsed line of /proc/net/tcp or /proc/net/tcp6.
type Entry struct {
	Local  netip.AddrPort
	Remote netip.AddrPort
	State  int
	UID    int
	Inode  uint64
}

// Listening reports whether the entry is a socket in the LISTEN state.
func (e Entry) Listening() bool { return e.State == tcpListen }

// ParseTCP parses the content of /proc/net/tcp or /proc/net/tcp6. The first
// line is the header and is skipped. A malformed line is an error naming its
// line number: the format is the kernel's, so a mismatch means we are reading
// something else and should say so rather than guess.
func ParseTCP(r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // header
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		e, err := parseTCPLine(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func parseTCPLine(text string) (Entry, error) {
	f := strings.Fields(text)
	if len(f) < 10 {
		return Entry{}, fmt.Errorf("want at least 10 fields, got %d in %q", len(f), text)
	}
	if !strings.HasSuffix(f[0], ":") {
		return Entry{}, fmt.Errorf("slot %q does not end in ':'", f[0])
	}
	local, err := parseHexAddrPort(f[1])
	if err != nil {
		return Entry{}, fmt.Errorf("local address: %w", err)
	}
	remote, err := parseHexAddrPort(f[2])
	if err != nil {
		return Entry{}, fmt.Errorf("remote address: %w", err)
	}
	st, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil {
		return Entry{}, fmt.Errorf("state %q: not a hex byte", f[3])
	}
	uid, err := strconv.ParseUint(f[7], 10, 32)
	if err != nil {
		return Entry{}, fmt.Errorf("uid %q: not a number", f[7])
	}
	inode, err := strconv.ParseUint(f[9], 10, 64)
	if err != nil {
		return Entry{}, fmt.Errorf("inode %q: not a number", f[9])
	}
	return Entry{Local: local, Remote: remote, State: int(st), UID: int(uid), Inode: inode}, nil
}

// parseHexAddrPort decodes "0100007F:1F90". The kernel prints the address as
// 32-bit words in host byte order (%08X each), so each word is read as a
// number and stored back in native order to recover the network bytes.
func parseHexAddrPort(s string) (netip.AddrPort, error) {
	hexAddr, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("%q has no ':'", s)
	}
	if len(hexPort) != 4 {
		return netip.AddrPort{}, fmt.Errorf("port %q is not 4 hex digits", hexPort)
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q is not hex", hexPort)
	}
	if len(hexAddr) != 8 && len(hexAddr) != 32 {
		return netip.AddrPort{}, fmt.Errorf("address %q is neither 8 nor 32 hex digits", hexAddr)
	}
	raw, err := hex.DecodeString(hexAddr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q is not hex", hexAddr)
	}
	b := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(b[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(b) // length is 4 or 16: cannot fail
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}

// Reader reads a Linux /proc tree. The zero value reads /proc; tests point
// Root at a directory shaped like /proc. It is the source of the package
// functions on Linux.
type Reader struct {
	// Root is the proc mount, "/proc" when empty.
	Root string
}

func (r Reader) root() string {
	if r.Root == "" {
		return "/proc"
	}
	return r.Root
}

// Listeners is [Listeners] for this proc tree.
func (r Reader) Listeners() ([]Socket, error) {
	entries, err := r.listeningEntries()
	if err != nil {
		return nil, err
	}
	owners := r.socketOwners(nil)
	var out []Socket
	for _, e := range entries {
		s := Socket{Addr: e.Local, Inode: e.Inode, UID: e.UID}
		pids := owners[e.Inode]
		if len(pids) == 0 {
			out = append(out, s)
			continue
		}
		for _, pid := range pids {
			s.PID = pid
			s.Command = r.Command(pid)
			out = append(out, s)
		}
	}
	return out, nil
}

// HoldersOf is [HoldersOf] for this proc tree.
func (r Reader) HoldersOf(port int) ([]Socket, error) {
	all, err := r.Listeners()
	if err != nil {
		return nil, err
	}
	return onPort(all, port), nil
}

// ListeningPortsOf is [ListeningPortsOf] for this proc tree.
func (r Reader) ListeningPortsOf(pids ...int) ([]netip.AddrPort, error) {
	entries, err := r.listeningEntries()
	if err != nil {
		return nil, err
	}
	owners := r.socketOwners(pids)
	var out []netip.AddrPort
	for _, e := range entries {
		if len(owners[e.Inode]) > 0 && !slices.Contains(out, e.Local) {
			out = append(out, e.Local)
		}
	}
	slices.SortFunc(out, func(a, b netip.AddrPort) int { return a.Compare(b) })
	return out, nil
}

// Descendants is [Descendants] for this proc tree.
func (r Reader) Descendants(pid int) []int {
	parent := map[int]int{}
	for _, p := range r.pids() {
		b, err := os.ReadFile(filepath.Join(r.root(), strconv.Itoa(p), "stat"))
		if err != nil {
			continue // exited or not ours to read
		}
		if ppid, err := ParseStatPPID(string(b)); err == nil {
			parent[p] = ppid
		}
	}
	return descendantsIn(parent, pid)
}

// ParseStatPPID returns the parent pid from the content of /proc/PID/stat.
// The command name (field 2) is in parentheses and may itself contain spaces
// and parentheses, so parsing starts after the last ')'.
func ParseStatPPID(stat string) (int, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat %.40q has no ')' closing the command name", stat)
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, fmt.Errorf("stat %.40q ends before the ppid field", stat)
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil || ppid < 0 {
		return 0, fmt.Errorf("stat ppid %q is not a pid", f[1])
	}
	return ppid, nil
}

// Command returns the command line of pid: /proc/PID/cmdline with its NUL
// separators turned into spaces, or /proc/PID/comm for kernel threads and
// processes that blanked their arguments. "" when neither can be read.
func (r Reader) Command(pid int) string {
	dir := filepath.Join(r.root(), strconv.Itoa(pid))
	if b, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		if s := FormatCmdline(b); s != "" {
			return s
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
		return strings.TrimSpace(string(b))
	}
	return ""
}

// FormatCmdline turns the NUL-separated /proc/PID/cmdline into one line.
func FormatCmdline(b []byte) string {
	parts := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	return strings.TrimSpace(strings.Join(parts, " "))
}

func (r Reader) listeningEntries() ([]Entry, error) {
	var out []Entry
	found := false
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(filepath.Join(r.root(), "net", name))
		if err != nil {
			continue // tcp6 is absent when IPv6 is disabled
		}
		entries, err := ParseTCP(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f.Name(), err)
		}
		found = true
		for _, e := range entries {
			if e.Listening() {
				out = append(out, e)
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: no tcp or tcp6 in %s/net", ErrUnsupported, r.root())
	}
	return out, nil
}

// socketOwners maps socket inodes to the pids holding them, looking only at
// onlyPIDs when it is non-nil. Processes whose fd directory cannot be read
// (other users, exited meanwhile) are skipped.
func (r Reader) socketOwners(onlyPIDs []int) map[uint64][]int {
	pids := onlyPIDs
	if pids == nil {
		pids = r.pids()
	}
	owners := map[uint64][]int{}
	for _, pid := range pids {
		dir := filepath.Join(r.root(), strconv.Itoa(pid), "fd")
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		seen := map[uint64]bool{}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err != nil {
				continue
			}
			inode, ok := ParseSocketLink(target)
			if ok && !seen[inode] {
				seen[inode] = true
				owners[inode] = append(owners[inode], pid)
			}
		}
	}
	return owners
}

// ParseSocketLink returns the inode of a /proc/PID/fd symlink target of the
// form "socket:[12345]".
func ParseSocketLink(target string) (uint64, bool) {
	s, ok := strings.CutPrefix(target, "socket:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func (r Reader) pids() []int {
	ents, err := os.ReadDir(r.root())
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		if !e.IsDir() && e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			out = append(out, pid)
		}
	}
	slices.Sort(out)
	return out
}
