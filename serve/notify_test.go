package serve_test

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/serve"
)

// notifyListener opens a real unixgram socket like systemd's and returns
// its NOTIFY_SOCKET value and a channel of received datagrams.
func notifyListener(t *testing.T, name string) (string, <-chan string) {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatalf("notify socket %q: %v", name, err)
	}
	t.Cleanup(func() { conn.Close() })
	out := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				close(out)
				return
			}
			out <- string(buf[:n])
		}
	}()
	return name, out
}

func receive(t *testing.T, c <-chan string) string {
	t.Helper()
	select {
	case s := <-c:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no sd_notify datagram within 5s")
		return ""
	}
}

func TestNotifySendsToPathAndAbstractSockets(t *testing.T) {
	sockets := map[string]string{
		"path":     filepath.Join(t.TempDir(), "notify"),
		"abstract": fmt.Sprintf("@golocal-serve-test-%d", time.Now().UnixNano()),
	}
	for kind, name := range sockets {
		t.Run(kind, func(t *testing.T) {
			value, got := notifyListener(t, name)
			getenv := func(k string) string {
				if k == serve.NotifySocketEnv {
					return value
				}
				return ""
			}
			sent, err := serve.Notify(getenv, "READY=1\nSTATUS=hello")
			if err != nil || !sent {
				t.Fatalf("Notify = %v, %v; want true, nil", sent, err)
			}
			if s := receive(t, got); s != "READY=1\nSTATUS=hello" {
				t.Errorf("received %q, want %q", s, "READY=1\nSTATUS=hello")
			}
		})
	}
}

func TestNotifyWithoutSocketIsANoOp(t *testing.T) {
	sent, err := serve.Notify(func(string) string { return "" }, "READY=1")
	if sent || err != nil {
		t.Fatalf("Notify without NOTIFY_SOCKET = %v, %v; want false, nil", sent, err)
	}
}

func TestNotifyErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nobody-listens")
	tests := []struct {
		value string
		want  string
	}{
		{missing, "cannot reach NOTIFY_SOCKET"},
		{"relative/notify", "not an absolute path"},
		{"vsock:2:1234", "VSOCK address, which is not supported"},
		{"@", "empty abstract socket"},
		{"/run/a\x00b", "NUL byte"},
		{"/" + strings.Repeat("a", 200), "limited to 107"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			sent, err := serve.Notify(func(string) string { return tt.value }, "READY=1")
			if sent || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Notify with NOTIFY_SOCKET=%q = %v, %v; want an error containing %q", tt.value, sent, err, tt.want)
			}
		})
	}
}

func FuzzParseNotifySocket(f *testing.F) {
	for _, seed := range []string{"/run/systemd/notify", "@abstract", "", "@", "vsock:1:2", "rel", "/a\x00", "//", "@\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		addr, err := serve.ParseNotifySocket(value)
		if err != nil {
			if addr != nil {
				t.Fatalf("ParseNotifySocket(%q) returned both an address and %v", value, err)
			}
			return
		}
		if addr.Name != value || addr.Net != "unixgram" {
			t.Fatalf("ParseNotifySocket(%q) = %+v; want the value unchanged on unixgram", value, addr)
		}
		if len(value) > 107 || strings.ContainsRune(value, 0) || !(strings.HasPrefix(value, "/") || (strings.HasPrefix(value, "@") && len(value) > 1)) {
			t.Fatalf("ParseNotifySocket accepted %q", value)
		}
	})
}
