package procnet

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
)

// Windows' TCP tables, as GetExtendedTcpTable fills them with the
// TCP_TABLE_OWNER_PID_* classes: a DWORD row count, then the rows. Every
// field is a DWORD in the machine's order (little-endian on every Windows
// Go supports) except addresses and ports, which are in network order: a
// port is the first two bytes of its DWORD, big-endian.
//
// The decoding lives apart from the system call so it is tested on any OS
// with recorded tables.
//
//   - MIB_TCPROW_OWNER_PID (24 bytes): state, local address, local port,
//     remote address, remote port, owning pid.
//     https://learn.microsoft.com/en-us/windows/win32/api/tcpmib/ns-tcpmib-mib_tcprow_owner_pid
//   - MIB_TCP6ROW_OWNER_PID (56 bytes): local address (16 bytes), local
//     scope id, local port, remote address (16 bytes), remote scope id,
//     remote port, state, owning pid.
//     https://learn.microsoft.com/en-us/windows/win32/api/tcpmib/ns-tcpmib-mib_tcp6row_owner_pid
const (
	tcpRowSize  = 24
	tcp6RowSize = 56
	// mibTCPStateListen is MIB_TCP_STATE_LISTEN; states run from
	// MIB_TCP_STATE_CLOSED (1) to MIB_TCP_STATE_DELETE_TCB (12).
	mibTCPStateListen = 2
	mibTCPStateMax    = 12
)

// TCPRow is one row of a Windows TCP table.
type TCPRow struct {
	Local, Remote netip.AddrPort
	// State is the MIB_TCP_STATE value (2 is LISTEN).
	State int
	// PID owns the socket (4 is the System process, e.g. http.sys).
	PID int
}

// Listening reports whether the row is a socket in the LISTEN state.
func (r TCPRow) Listening() bool { return r.State == mibTCPStateListen }

// DecodeTCPTable decodes a MIB_TCPTABLE_OWNER_PID (IPv4).
func DecodeTCPTable(b []byte) ([]TCPRow, error) {
	return decodeTable(b, tcpRowSize, func(row []byte) TCPRow {
		le := binary.LittleEndian
		return TCPRow{
			State:  int(le.Uint32(row[0:])),
			Local:  netip.AddrPortFrom(netip.AddrFrom4([4]byte(row[4:8])), binary.BigEndian.Uint16(row[8:])),
			Remote: netip.AddrPortFrom(netip.AddrFrom4([4]byte(row[12:16])), binary.BigEndian.Uint16(row[16:])),
			PID:    int(le.Uint32(row[20:])),
		}
	})
}

// DecodeTCP6Table decodes a MIB_TCP6TABLE_OWNER_PID (IPv6). A link-local
// address carries its scope id as its zone.
func DecodeTCP6Table(b []byte) ([]TCPRow, error) {
	return decodeTable(b, tcp6RowSize, func(row []byte) TCPRow {
		le := binary.LittleEndian
		return TCPRow{
			Local:  netip.AddrPortFrom(addr6(row[0:16], le.Uint32(row[16:])), binary.BigEndian.Uint16(row[20:])),
			Remote: netip.AddrPortFrom(addr6(row[24:40], le.Uint32(row[40:])), binary.BigEndian.Uint16(row[44:])),
			State:  int(le.Uint32(row[48:])),
			PID:    int(le.Uint32(row[52:])),
		}
	})
}

func addr6(b []byte, scope uint32) netip.Addr {
	a := netip.AddrFrom16([16]byte(b))
	if scope != 0 && (a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast()) {
		a = a.WithZone(strconv.FormatUint(uint64(scope), 10))
	}
	return a
}

// decodeTable checks the row count against the buffer, then decodes each
// row. The buffer may be longer than the rows (GetExtendedTcpTable's
// buffer is sized before the call), never shorter.
func decodeTable(b []byte, size int, row func([]byte) TCPRow) ([]TCPRow, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("TCP table of %d bytes has no row count (want at least 4 bytes)", len(b))
	}
	n := uint64(binary.LittleEndian.Uint32(b))
	if have := uint64(len(b)-4) / uint64(size); n > have {
		return nil, fmt.Errorf("TCP table says %d rows but its %d bytes hold %d rows of %d bytes", n, len(b), have, size)
	}
	out := make([]TCPRow, 0, n)
	for i := range int(n) {
		r := row(b[4+i*size : 4+(i+1)*size])
		if r.State < 1 || r.State > mibTCPStateMax {
			return nil, fmt.Errorf("TCP table row %d: state %d is not a MIB_TCP_STATE (1-%d)", i, r.State, mibTCPStateMax)
		}
		out = append(out, r)
	}
	return out, nil
}
