//go:build !linux && !darwin && !windows

package procnet

import "net/netip"

// Elsewhere (the BSDs, illumos) lsof is the best common source of sockets;
// the process table is not read.

func systemListeners() ([]Socket, error) { return Lsof{}.Listeners() }

func systemPortsOf(pids []int) ([]netip.AddrPort, error) { return Lsof{}.ListeningPortsOf(pids...) }

func systemDescendants(int) []int { return nil }
