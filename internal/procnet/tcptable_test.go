package procnet

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
)

// readHex reads a hex dump whose '#' starts a comment.
func readHex(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var digits strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func row(local string, pid int) TCPRow {
	any4 := netip.MustParseAddrPort("0.0.0.0:0")
	r := TCPRow{Local: netip.MustParseAddrPort(local), Remote: any4, State: mibTCPStateListen, PID: pid}
	if r.Local.Addr().Is6() {
		r.Remote = netip.MustParseAddrPort("[::]:0")
	}
	return r
}

func TestDecodeTCPTables(t *testing.T) {
	got4, err := DecodeTCPTable(readHex(t, "testdata/tcptable4.hex"))
	if err != nil {
		t.Fatal(err)
	}
	want4 := []TCPRow{row("0.0.0.0:135", 1052), row("0.0.0.0:445", 4), row("127.0.0.1:8080", 7312)}
	if !slices.Equal(got4, want4) {
		t.Errorf("IPv4 table:\n got %+v\nwant %+v", got4, want4)
	}
	got6, err := DecodeTCP6Table(readHex(t, "testdata/tcptable6.hex"))
	if err != nil {
		t.Fatal(err)
	}
	want6 := []TCPRow{row("[::]:445", 4), row("[fe80::1%12]:8080", 7312)}
	if !slices.Equal(got6, want6) {
		t.Errorf("IPv6 table:\n got %+v\nwant %+v", got6, want6)
	}
	for _, r := range append(got4, got6...) {
		if !r.Listening() {
			t.Errorf("%+v not listening", r)
		}
	}
}

func TestDecodeTCPTableRejectsBrokenTables(t *testing.T) {
	good := readHex(t, "testdata/tcptable4.hex")
	badState := slices.Clone(good)
	binary.LittleEndian.PutUint32(badState[4+tcpRowSize:], 99)
	tests := []struct {
		name    string
		b       []byte
		wantErr string
	}{
		{"nil", nil, "no row count"},
		{"three bytes", []byte{1, 0, 0}, "no row count"},
		{"count beyond the buffer", good[:4+2*tcpRowSize+5], "says 3 rows but its 57 bytes hold 2 rows"},
		{"huge count", []byte{0xff, 0xff, 0xff, 0xff}, "says 4294967295 rows"},
		{"state out of range", badState, "row 1: state 99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeTCPTable(tt.b)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	if rows, err := DecodeTCP6Table([]byte{0, 0, 0, 0}); err != nil || len(rows) != 0 {
		t.Errorf("empty IPv6 table: %v, %v", rows, err)
	}
}

func FuzzDecodeTCPTable(f *testing.F) {
	f.Add(readHex(f, "testdata/tcptable4.hex"), false)
	f.Add(readHex(f, "testdata/tcptable6.hex"), true)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		decode := DecodeTCPTable
		if v6 {
			decode = DecodeTCP6Table
		}
		rows, err := decode(b)
		if err != nil {
			return
		}
		if len(rows) > len(b)/tcpRowSize {
			t.Fatalf("%d rows from %d bytes", len(rows), len(b))
		}
	})
}
