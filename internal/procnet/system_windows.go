//go:build windows

package procnet

import (
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/windows"
)

// On Windows the sockets come from the TCP tables of the IP Helper API
// (GetExtendedTcpTable, TCP_TABLE_OWNER_PID_LISTENER, for AF_INET and
// AF_INET6) and the process names and parents from a Toolhelp32 snapshot.
// Neither needs administrator rights, so every holder is named.

var getExtendedTCPTable = windows.NewLazySystemDLL("iphlpapi.dll").NewProc("GetExtendedTcpTable")

const tcpTableOwnerPIDListener = 3 // TCP_TABLE_OWNER_PID_LISTENER

func systemListeners() ([]Socket, error) {
	var rows []TCPRow
	for _, t := range []struct {
		family uint32
		decode func([]byte) ([]TCPRow, error)
	}{{windows.AF_INET, DecodeTCPTable}, {windows.AF_INET6, DecodeTCP6Table}} {
		b, err := tcpTable(t.family)
		if err != nil {
			return nil, err
		}
		r, err := t.decode(b)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	_, names := processTable()
	var out []Socket
	for _, r := range rows {
		if r.Listening() {
			out = append(out, Socket{Addr: r.Local, UID: -1, PID: r.PID, Command: names[r.PID]})
		}
	}
	return out, nil
}

// tcpTable calls GetExtendedTcpTable until the buffer is large enough
// (sockets may open between the size query and the read).
func tcpTable(family uint32) ([]byte, error) {
	size := uint32(4096)
	for range 8 {
		b := make([]byte, size)
		r, _, _ := getExtendedTCPTable.Call(uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&size)),
			0, uintptr(family), tcpTableOwnerPIDListener, 0)
		switch windows.Errno(r) {
		case 0:
			return b[:size], nil
		case windows.ERROR_INSUFFICIENT_BUFFER:
			size += 4096
			continue
		default:
			return nil, fmt.Errorf("%w: GetExtendedTcpTable: %v", ErrUnsupported, windows.Errno(r))
		}
	}
	return nil, errors.New("GetExtendedTcpTable: the table kept growing faster than it could be read")
}

func systemPortsOf(pids []int) ([]netip.AddrPort, error) {
	all, err := systemListeners()
	if err != nil {
		return nil, err
	}
	return addrsHeldBy(all, pids), nil
}

func systemDescendants(pid int) []int {
	parent, _ := processTable()
	return descendantsIn(parent, pid)
}

// processTable returns every process's parent and executable name.
func processTable() (parent map[int]int, name map[int]string) {
	parent, name = map[int]int{}, map[int]string{}
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return parent, name
	}
	defer windows.CloseHandle(snap)
	var e windows.ProcessEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		parent[int(e.ProcessID)] = int(e.ParentProcessID)
		name[int(e.ProcessID)] = windows.UTF16ToString(e.ExeFile[:])
	}
	return parent, name
}
