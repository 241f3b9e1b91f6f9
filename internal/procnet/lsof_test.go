package procnet

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func sock(addr string, dev uint64, uid, pid int, cmd string) Socket {
	return Socket{Addr: netip.MustParseAddrPort(addr), Inode: dev, UID: uid, PID: pid, Command: cmd}
}

// TestParseLsofRecorded reads lsof's field output as lsof prints it:
// testdata/lsof-linux.txt was recorded with lsof 4.95 on Linux (a process
// listening on 127.0.0.1, [::] dual-stack, [::1] and 0.0.0.0, and a forked
// child sharing the [::] socket); testdata/lsof-darwin.txt is macOS's form
// of the same output (hexadecimal devices, truncated command names,
// ControlCenter holding AirPlay's ports 5000 and 7000, the usual surprise
// on a Mac).
func TestParseLsofRecorded(t *testing.T) {
	tests := []struct {
		file string
		want []Socket
	}{
		{"testdata/lsof-linux.txt", []Socket{
			sock("127.0.0.1:44341", 672968, 0, 26087, "python3"),
			sock("[::]:47313", 672969, 0, 26087, "python3"),
			sock("[::1]:33053", 672970, 0, 26087, "python3"),
			sock("0.0.0.0:37579", 672971, 0, 26087, "python3"),
			sock("[::]:47313", 672969, 0, 26559, "python3"),
		}},
		{"testdata/lsof-darwin.txt", []Socket{
			sock("0.0.0.0:7000", 0x4a9f1c2d3e5b6a01, 501, 402, "ControlCe"),
			sock("[::]:7000", 0x4a9f1c2d3e5b6a02, 501, 402, "ControlCe"),
			sock("0.0.0.0:5000", 0x4a9f1c2d3e5b6a03, 501, 402, "ControlCe"),
			sock("[::]:5000", 0x4a9f1c2d3e5b6a04, 501, 402, "ControlCe"),
			sock("127.0.0.1:8080", 0x4a9f1c2d3e5b7b10, 501, 8123, "orders"),
			sock("[::1]:9090", 0x4a9f1c2d3e5b7b11, 501, 8123, "orders"),
			sock("[fe80:4::1]:9091", 0x4a9f1c2d3e5b7b12, 501, 8123, "orders"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseLsof(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseLsof:\n got %+v\nwant %+v", got, tt.want)
			}
			// Windows line endings (a file copied around) read the same.
			crlf, err := ParseLsof(bytes.NewReader(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))))
			if err != nil || !slices.Equal(crlf, tt.want) {
				t.Errorf("with CRLF: %+v, %v", crlf, err)
			}
		})
	}
}

func TestParseLsofSelectsListeningTCP(t *testing.T) {
	const proc = "p10\ncapp\nu1000\n"
	tests := []struct {
		name    string
		in      string
		want    []Socket
		wantErr string
	}{
		{"empty", "", nil, ""},
		{"process without files", proc, nil, ""},
		{"no state field", proc + "f3\ntIPv4\nPTCP\nn127.0.0.1:80\n", []Socket{sock("127.0.0.1:80", 0, 1000, 10, "app")}, ""},
		{"established skipped", proc + "f3\ntIPv4\nPTCP\nn127.0.0.1:80->127.0.0.1:5000\nTST=ESTABLISHED\n", nil, ""},
		{"arrow without state skipped", proc + "f3\ntIPv4\nn127.0.0.1:80->127.0.0.1:5000\n", nil, ""},
		{"UDP skipped", proc + "f3\ntIPv4\nPUDP\nn*:53\n", nil, ""},
		{"unix socket skipped", proc + "f3\ntunix\nn/tmp/sock\n", nil, ""},
		{"zone", proc + "f3\ntIPv6\nn[fe80::1%en0]:80\n", []Socket{sock("[fe80::1%en0]:80", 0, 1000, 10, "app")}, ""},
		{"v4-mapped unmapped", proc + "f3\ntIPv6\nn[::ffff:127.0.0.1]:80\n", []Socket{sock("127.0.0.1:80", 0, 1000, 10, "app")}, ""},
		{"unknown fields ignored", "zfuture\np10\nXnew\nf3\nQq\ntIPv4\nn*:80\n", []Socket{sock("0.0.0.0:80", 0, -1, 10, "")}, ""},
		{"uid reset per process", proc + "p11\nf3\ntIPv4\nn*:80\n", []Socket{sock("0.0.0.0:80", 0, -1, 11, "")}, ""},
		{"file before process", "f3\ntIPv4\nn*:80\n", nil, "line 1: file \"3\" comes before any process"},
		{"bad pid", "pabc\n", nil, "line 1: process id \"abc\""},
		{"zero pid", "p0\n", nil, "not a pid"},
		{"bad uid", "p1\nu-5\n", nil, "line 2: user id"},
		{"service name port", proc + "f3\ntIPv4\nn*:http\n", nil, "without -P"},
		{"host name", proc + "f3\ntIPv4\nnlocalhost:80\n", nil, "without -n"},
		{"no port", proc + "f3\ntIPv4\nn127.0.0.1\n", nil, "no ':port'"},
		{"port too large", proc + "f3\ntIPv4\nn*:65536\n", nil, "not a number"},
		{"bad name at the end", proc + "f3\ntIPv4\nn*:x", nil, "at the end: file 3 of pid 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLsof(strings.NewReader(tt.in))
			if !checkErr(t, err, tt.wantErr) {
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseLsof(f *testing.F) {
	for _, name := range []string{"testdata/lsof-linux.txt", "testdata/lsof-darwin.txt"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("p1\nf3\ntIPv6\nn[::1]:80->[::1]:9\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		socks, err := ParseLsof(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, s := range socks {
			if s.PID <= 0 || !s.Addr.IsValid() {
				t.Fatalf("parsed an impossible socket %+v", s)
			}
		}
	})
}

// requireLsof returns lsof's path, skipping without it unless
// GOLOCAL_REQUIRE_LSOF=1 (CI) makes that a failure.
func requireLsof(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("lsof")
	if err != nil {
		if os.Getenv("GOLOCAL_REQUIRE_LSOF") == "1" {
			t.Fatal("lsof is required (GOLOCAL_REQUIRE_LSOF=1) but not installed")
		}
		t.Skip("lsof is not installed")
	}
	return p
}

// TestLsofAgreesWithProc runs the real lsof, macOS's source, here on Linux
// and checks it against /proc: the same listener of this process, the same
// socket (lsof's device is the /proc inode on Linux).
func TestLsofAgreesWithProc(t *testing.T) {
	requireProc(t)
	l := Lsof{Path: requireLsof(t)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	want := netip.MustParseAddrPort(ln.Addr().String())
	ports, err := l.ListeningPortsOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ports, want) {
		t.Fatalf("Lsof.ListeningPortsOf(self) = %v, want %v", ports, want)
	}
	all, err := l.Listeners()
	if err != nil {
		t.Fatal(err)
	}
	procAll, err := Reader{}.Listeners()
	if err != nil {
		t.Fatal(err)
	}
	var fromLsof, fromProc Socket
	for _, s := range onPort(all, int(want.Port())) {
		if s.PID == os.Getpid() {
			fromLsof = s
		}
	}
	for _, s := range onPort(procAll, int(want.Port())) {
		if s.PID == os.Getpid() {
			fromProc = s
		}
	}
	if fromLsof.Addr != want || fromLsof.Inode == 0 || fromLsof.Inode != fromProc.Inode || fromLsof.UID != fromProc.UID {
		t.Errorf("lsof says %+v, /proc says %+v", fromLsof, fromProc)
	}
	if none, err := l.ListeningPortsOf(); err != nil || none != nil {
		t.Errorf("no pids: %v, %v", none, err)
	}
}

func TestLsofMissing(t *testing.T) {
	_, err := Lsof{Path: "/nonexistent/lsof"}.Listeners()
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/lsof") {
		t.Errorf("err = %v, want it to name the program", err)
	}
}
