//go:build linux

package procnet

import "net/netip"

// On Linux the kernel's own /proc is the source of everything.

func systemListeners() ([]Socket, error) { return Reader{}.Listeners() }

func systemPortsOf(pids []int) ([]netip.AddrPort, error) { return Reader{}.ListeningPortsOf(pids...) }

func systemDescendants(pid int) []int { return Reader{}.Descendants(pid) }
