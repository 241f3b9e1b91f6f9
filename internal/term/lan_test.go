package term

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

func TestFirstLANIPv4(t *testing.T) {
	ipnet := func(s string) net.Addr {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	tests := []struct {
		name  string
		addrs []net.Addr
		want  string
	}{
		{"none", nil, ""},
		{"IPv6 only", []net.Addr{ipnet("fe80::1/64"), ipnet("2001:db8::1/64")}, ""},
		{"link-local skipped", []net.Addr{ipnet("169.254.10.1/16"), ipnet("192.168.1.20/24")}, "192.168.1.20"},
		{"loopback skipped", []net.Addr{ipnet("127.0.0.2/8"), ipnet("10.0.0.5/8")}, "10.0.0.5"},
		{"first wins", []net.Addr{ipnet("10.0.0.5/8"), ipnet("192.168.1.20/24")}, "10.0.0.5"},
		{"not an IPNet", []net.Addr{&net.TCPAddr{IP: net.IPv4(10, 0, 0, 9)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstLANIPv4(tt.addrs); got != tt.want {
				t.Errorf("firstLANIPv4 = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestQRIsDrawnInHalfBlocks(t *testing.T) {
	var b bytes.Buffer
	QR(&b, "http://192.168.1.20:8080/")
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	// Version 2 at level L (25 modules) plus a quiet zone of one on each
	// side: 27 columns, 14 rows of half blocks.
	if len(lines) < 10 || !strings.ContainsAny(b.String(), "▀▄█") {
		t.Fatalf("QR code not drawn in half blocks:\n%s", b.String())
	}
	for i, l := range lines {
		if n := len([]rune(l)); n != len([]rune(lines[0])) {
			t.Fatalf("line %d is %d wide, line 0 %d: not a square code", i, n, len([]rune(lines[0])))
		}
	}
}
