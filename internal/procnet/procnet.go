package procnet

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
)

// ErrUnsupported is wrapped by errors returned when the system's source of
// sockets cannot be read at all: /proc not mounted on Linux, lsof missing
// on macOS.
var ErrUnsupported = errors.New("procnet: this system's list of sockets is not available")

// Socket is one listening TCP socket and, when it could be seen, the process
// holding it. A socket shared by several processes (a parent and the child it
// passed the socket to) appears once per process.
type Socket struct {
	// Addr is the local address the socket is bound to.
	Addr netip.AddrPort `json:"address"`
	// Inode identifies the socket: the inode that links /proc/net/tcp to
	// /proc/PID/fd on Linux, lsof's device (the socket's kernel address) on
	// macOS, 0 on Windows.
	Inode uint64 `json:"inode"`
	// UID owns the socket (the holding process's uid with lsof); -1 on
	// Windows, which has no uids.
	UID int `json:"uid"`
	// PID of a process holding the socket, 0 when no visible process holds it
	// (another user's process, seen without privileges).
	PID int `json:"pid,omitempty"`
	// Command is the holder's command line on Linux (from /proc/PID/cmdline,
	// else /proc/PID/comm), its command name on macOS (lsof, up to 16
	// characters) and its executable's name on Windows; "" when PID is 0.
	Command string `json:"command,omitempty"`
}

// String describes the socket for people: "pid 1234 (python3 -m http.server) on 127.0.0.1:8080".
func (s Socket) String() string {
	if s.PID == 0 {
		return fmt.Sprintf("a process of uid %d that cannot be seen from here (%s) on %s", s.UID, InvisibleHint(), s.Addr)
	}
	return fmt.Sprintf("pid %d (%s) on %s", s.PID, s.Command, s.Addr)
}

// InvisibleHint says why a socket's holder may not be visible: another
// user's process for a non-root caller, else a process outside this PID
// namespace (a container, a sandbox).
func InvisibleHint() string {
	if os.Geteuid() != 0 {
		return "another user's process; run as root to name it"
	}
	return "outside this PID namespace, e.g. in another container"
}

// Listeners returns every listening TCP socket (IPv4 and IPv6) of the
// machine (the network namespace on Linux), with the processes holding them
// where visible. Sources: /proc on Linux, lsof on macOS and the BSDs, the
// TCP table (GetExtendedTcpTable) on Windows.
func Listeners() ([]Socket, error) { return systemListeners() }

// HoldersOf returns the listening sockets bound to port, with their holders.
// An empty result means nothing listens on the port.
func HoldersOf(port int) ([]Socket, error) {
	all, err := Listeners()
	if err != nil {
		return nil, err
	}
	return onPort(all, port), nil
}

// ListeningPortsOf returns the addresses on which the given processes hold
// listening sockets, sorted and without duplicates.
func ListeningPortsOf(pids ...int) ([]netip.AddrPort, error) {
	if len(pids) == 0 {
		return nil, nil
	}
	return systemPortsOf(pids)
}

// Descendants returns the pids of every process below pid (children,
// grandchildren, …), sorted; nil when the process table cannot be read.
// Sources: the ppid field of /proc/*/stat on Linux, the kern.proc.all sysctl
// on macOS, a Toolhelp32 snapshot on Windows.
func Descendants(pid int) []int { return systemDescendants(pid) }

// onPort keeps the sockets bound to port.
func onPort(all []Socket, port int) []Socket {
	var out []Socket
	for _, s := range all {
		if int(s.Addr.Port()) == port {
			out = append(out, s)
		}
	}
	return out
}

// addrsHeldBy returns the sorted, distinct addresses of the sockets held by
// one of pids.
func addrsHeldBy(all []Socket, pids []int) []netip.AddrPort {
	var out []netip.AddrPort
	for _, s := range all {
		if s.PID != 0 && slices.Contains(pids, s.PID) && !slices.Contains(out, s.Addr) {
			out = append(out, s.Addr)
		}
	}
	slices.SortFunc(out, func(a, b netip.AddrPort) int { return a.Compare(b) })
	return out
}

// descendantsIn walks a parent table (pid → ppid) down from pid,
// breadth-first, and returns every pid below it, sorted. A table with a
// cycle (pid reuse between two reads) cannot loop.
func descendantsIn(parent map[int]int, pid int) []int {
	children := map[int][]int{}
	for p, pp := range parent {
		if p != pp {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	seen := map[int]bool{pid: true}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
				queue = append(queue, c)
			}
		}
	}
	slices.Sort(out)
	return out
}
