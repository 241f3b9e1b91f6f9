package procnet

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// kernelHex renders addr as the kernel does in /proc/net/tcp: each 32-bit
// word in host byte order, printed %08X.
func kernelHex(addr netip.Addr) string {
	b := addr.AsSlice()
	var sb strings.Builder
	for i := 0; i < len(b); i += 4 {
		fmt.Fprintf(&sb, "%08X", binary.NativeEndian.Uint32(b[i:]))
	}
	return sb.String()
}
