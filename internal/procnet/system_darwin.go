//go:build darwin

package procnet

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// On macOS sockets come from lsof (always installed, in /usr/sbin) and the
// process table from the kern.proc.all sysctl. Without root, lsof shows
// only the caller's own processes: a port held by another user's process
// has no holder to report.

func systemListeners() ([]Socket, error) { return Lsof{}.Listeners() }

func systemPortsOf(pids []int) ([]netip.AddrPort, error) { return Lsof{}.ListeningPortsOf(pids...) }

func systemDescendants(pid int) []int {
	procs, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return nil
	}
	parent := make(map[int]int, len(procs))
	for _, p := range procs {
		parent[int(p.Proc.P_pid)] = int(p.Eproc.Ppid)
	}
	return descendantsIn(parent, pid)
}
