package procnet

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

func TestParseTCP(t *testing.T) {
	// The sample lines are the kernel's format on a little-endian machine;
	// the expected addresses are computed for the native order so the test
	// also holds on big-endian hosts.
	v4 := "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 0000000000000000 100 0 0 10 0\n"
	v6 := "   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0\n"
	est := "   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 999 1 0000000000000000 100 0 0 10 0\n"
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{"header only", header, 0, ""},
		{"empty", "", 0, ""},
		{"v4 listener", header + v4, 1, ""},
		{"v6 listener and established", header + v6 + est, 2, ""},
		{"blank lines", header + "\n\n" + v4, 1, ""},
		{"too few fields", header + "   0: 0100007F:1F90 00000000:0000 0A\n", 0, "line 2: want at least 10 fields"},
		{"slot without colon", header + strings.Replace(v4, "0:", "0", 1), 0, "slot"},
		{"address without colon", header + strings.Replace(v4, "0100007F:1F90", "0100007F1F90", 1), 0, "no ':'"},
		{"short port", header + strings.Replace(v4, ":1F90", ":F90", 1), 0, "4 hex digits"},
		{"bad port hex", header + strings.Replace(v4, ":1F90", ":ZZZZ", 1), 0, "port"},
		{"odd address length", header + strings.Replace(v4, "0100007F:1F90", "0100007:1F90", 1), 0, "neither 8 nor 32"},
		{"non-hex address", header + strings.Replace(v4, "0100007F:1F90", "0100007G:1F90", 1), 0, "not hex"},
		{"bad state", header + strings.Replace(v4, " 0A ", " XYZ ", 1), 0, "state"},
		{"bad uid", header + strings.Replace(v4, "  1000  ", "  -1  ", 1), 0, "uid"},
		{"bad inode", header + strings.Replace(v4, " 12345 ", " 12x45 ", 1), 0, "inode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTCP(strings.NewReader(tt.in))
			if !checkErr(t, err, tt.wantErr) {
				return
			}
			if len(got) != tt.want {
				t.Fatalf("got %d entries, want %d: %+v", len(got), tt.want, got)
			}
		})
	}
}

func TestParseHexAddrPortNativeOrder(t *testing.T) {
	// Build the kernel's rendering of 127.0.0.1:8080 and ::1:80 for this
	// machine's byte order, then parse it back.
	got, err := parseHexAddrPort(kernelHex(netip.MustParseAddr("127.0.0.1")) + ":1F90")
	if err != nil || got != netip.MustParseAddrPort("127.0.0.1:8080") {
		t.Fatalf("v4: got %v, %v", got, err)
	}
	got, err = parseHexAddrPort(kernelHex(netip.MustParseAddr("::1")) + ":0050")
	if err != nil || got != netip.MustParseAddrPort("[::1]:80") {
		t.Fatalf("v6: got %v, %v", got, err)
	}
	// A v4-mapped v6 listener is reported as the v4 address.
	got, err = parseHexAddrPort(kernelHex(netip.MustParseAddr("::ffff:127.0.0.1")) + ":0050")
	if err != nil || got != netip.MustParseAddrPort("127.0.0.1:80") {
		t.Fatalf("mapped: got %v, %v", got, err)
	}
}

func TestParseStatPPID(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"1234 (sleep) S 99 1234 1234 0 -1", 99, false},
		{"1234 (my (odd) name) R 7 1 1", 7, false},
		{"1234 (a) b) S 42 1", 42, false},
		{"1234 sleep S 99", 0, true},
		{"1234 (sleep) S", 0, true},
		{"1234 (sleep) S x", 0, true},
		{"1234 (sleep) S -5", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseStatPPID(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseStatPPID(%q) = %d, %v; want %d, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseSocketLink(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"socket:[12345]", 12345, true},
		{"socket:[]", 0, false},
		{"socket:[12a]", 0, false},
		{"socket:[12", 0, false},
		{"pipe:[12]", 0, false},
		{"/dev/null", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseSocketLink(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseSocketLink(%q) = %d, %v", tt.in, got, ok)
		}
	}
}

func TestFormatCmdline(t *testing.T) {
	if got := FormatCmdline([]byte("python3\x00-m\x00http.server\x00")); got != "python3 -m http.server" {
		t.Errorf("got %q", got)
	}
	if got := FormatCmdline(nil); got != "" {
		t.Errorf("got %q", got)
	}
}

func FuzzParseTCP(f *testing.F) {
	f.Add(header + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1\n")
	f.Add(header + "   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 777\n")
	f.Add("garbage\n\x00:::\n")
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := ParseTCP(strings.NewReader(s))
		if err != nil && entries != nil {
			t.Fatalf("entries returned with error %v", err)
		}
		for _, e := range entries {
			if !e.Local.IsValid() {
				t.Fatalf("invalid local address from %q", s)
			}
		}
	})
}

func FuzzParseStatPPID(f *testing.F) {
	f.Add("1 (init) S 0 1 1")
	f.Add("1 ()) S 5")
	f.Fuzz(func(t *testing.T, s string) {
		if ppid, err := ParseStatPPID(s); err == nil && ppid < 0 {
			t.Fatalf("negative ppid from %q", s)
		}
	})
}

func requireProc(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp on this system")
	}
}

func TestHoldersOfFindsThisProcess(t *testing.T) {
	requireProc(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	holders, err := HoldersOf(port)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, h := range holders {
		if h.PID == os.Getpid() && h.Addr == netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)) {
			found = true
			if h.Command == "" {
				t.Errorf("holder %v has no command", h)
			}
		}
	}
	if !found {
		t.Fatalf("HoldersOf(%d) = %v, want pid %d", port, holders, os.Getpid())
	}
	ports, err := ListeningPortsOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ports, netip.MustParseAddrPort(ln.Addr().String())) {
		t.Fatalf("ListeningPortsOf(self) = %v, want %v", ports, ln.Addr())
	}
	ln.Close()
	holders, err = HoldersOf(port)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range holders {
		if h.PID == os.Getpid() {
			t.Fatalf("closed listener still reported: %v", h)
		}
	}
}

func TestDescendantsFindsChild(t *testing.T) {
	requireProc(t)
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if d := Descendants(os.Getpid()); !slices.Contains(d, cmd.Process.Pid) {
		t.Fatalf("Descendants(%d) = %v, want %d", os.Getpid(), d, cmd.Process.Pid)
	}
	if d := Descendants(cmd.Process.Pid); len(d) != 0 {
		t.Fatalf("sleep has descendants %v", d)
	}
}

// TestFakeProcTree builds a fake /proc where one process has
// an fd directory that cannot be read: its socket is still listed, with no
// pid, and the readable process is named.
func TestFakeProcTree(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "net"), 0o755))
	line := func(slot int, a string, inode string) string {
		ap := netip.MustParseAddrPort(a)
		return "   " + string(rune('0'+slot)) + ": " + kernelHex(ap.Addr()) + ":" + strings.ToUpper(hex4(ap.Port())) +
			" 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 " + inode + " 1\n"
	}
	must(os.WriteFile(filepath.Join(root, "net", "tcp"), []byte(header+line(0, "127.0.0.1:8080", "111")+line(1, "127.0.0.1:9090", "222")), 0o644))
	// pid 10: holds socket 111, child of 1; pid 11: child of 10, no fd dir.
	must(os.MkdirAll(filepath.Join(root, "10", "fd"), 0o755))
	must(os.Symlink("socket:[111]", filepath.Join(root, "10", "fd", "3")))
	must(os.Symlink("/dev/null", filepath.Join(root, "10", "fd", "0")))
	must(os.WriteFile(filepath.Join(root, "10", "cmdline"), []byte("app\x00-port\x008080\x00"), 0o644))
	must(os.WriteFile(filepath.Join(root, "10", "stat"), []byte("10 (app) S 1 10 10"), 0o644))
	must(os.MkdirAll(filepath.Join(root, "11"), 0o755))
	must(os.WriteFile(filepath.Join(root, "11", "comm"), []byte("worker\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "11", "stat"), []byte("11 (worker) S 10 10 10"), 0o644))
	must(os.MkdirAll(filepath.Join(root, "self"), 0o755)) // not a pid: ignored

	r := Reader{Root: root}
	got, err := r.Listeners()
	must(err)
	want := []Socket{
		{Addr: netip.MustParseAddrPort("127.0.0.1:8080"), Inode: 111, UID: 1000, PID: 10, Command: "app -port 8080"},
		{Addr: netip.MustParseAddrPort("127.0.0.1:9090"), Inode: 222, UID: 1000},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Listeners() = %+v\nwant %+v", got, want)
	}
	if !strings.Contains(got[1].String(), "cannot be seen from here") {
		t.Errorf("String() of an unowned socket = %q", got[1].String())
	}
	if d := r.Descendants(1); !slices.Equal(d, []int{10, 11}) {
		t.Errorf("Descendants(1) = %v", d)
	}
	ports, err := r.ListeningPortsOf(r.Descendants(1)...)
	must(err)
	if !slices.Equal(ports, []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080")}) {
		t.Errorf("ListeningPortsOf = %v", ports)
	}
	if c := r.Command(11); c != "worker" {
		t.Errorf("Command(11) = %q, want comm fallback", c)
	}
	if _, err := (Reader{Root: t.TempDir()}).Listeners(); err == nil || !strings.Contains(err.Error(), "not available") {
		t.Errorf("empty root: err = %v", err)
	}
}

func hex4(p uint16) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[p>>12&0xF], digits[p>>8&0xF], digits[p>>4&0xF], digits[p&0xF]})
}

// checkErr checks err against a table case: wantErr "" means success is
// expected (an error fails the test), else the error must contain wantErr.
// It reports whether the case goes on to check a result.
func checkErr(t *testing.T, err error, wantErr string) bool {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want it to contain %q", err, wantErr)
		}
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}
