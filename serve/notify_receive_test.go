package serve_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/serve"
)

func TestParseNotify(t *testing.T) {
	tests := []struct {
		name     string
		datagram string
		want     []string
	}{
		{"ready", "READY=1", []string{"READY=1"}},
		{"several lines", "READY=1\nSTATUS=serving on 127.0.0.1:80\n", []string{"READY=1", "STATUS=serving on 127.0.0.1:80"}},
		{"crlf and spaces", " STOPPING=1\r\n", []string{"STOPPING=1"}},
		{"empty", "", nil},
		{"no equals", "READY\nhello", nil},
		{"empty key", "=1\n =2", nil},
		{"nul byte", "READY=1\x00", nil},
		{"invalid utf-8 kept as bytes", "STATUS=\xff", []string{"STATUS=\xff"}},
		{"value with equals", "STATUS=a=b", []string{"STATUS=a=b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := serve.ParseNotify([]byte(tt.datagram)); !slices.Equal(got, tt.want) {
				t.Errorf("ParseNotify(%q) = %q, want %q", tt.datagram, got, tt.want)
			}
		})
	}
}

func FuzzParseNotify(f *testing.F) {
	f.Add([]byte("READY=1\nSTATUS=x"))
	f.Add([]byte("\x00=\n=\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := serve.ParseNotify(b)
		if len(got) > len(b)/2 {
			t.Fatalf("%d assignments from %d bytes", len(got), len(b))
		}
		for _, a := range got {
			if !strings.Contains(a, "=") || strings.ContainsAny(a, "\n\x00") {
				t.Fatalf("bad assignment %q", a)
			}
		}
	})
}

// TestNotifyReceiverGetsWhatNotifySends pairs the receiver with serve's
// own sender over a real socket, on a path and an abstract name.
func TestNotifyReceiverGetsWhatNotifySends(t *testing.T) {
	sockets := []struct{ name, path string }{
		{"path", filepath.Join(t.TempDir(), "notify")},
		{"abstract", fmt.Sprintf("@golocal-receiver-test-%d", time.Now().UnixNano())},
	}
	for _, s := range sockets {
		t.Run(s.name, func(t *testing.T) {
			rcv, err := serve.ListenNotify(s.path)
			if err != nil {
				t.Fatal(err)
			}
			defer rcv.Close()
			if rcv.Env() != "NOTIFY_SOCKET="+s.path {
				t.Errorf("Env() = %q", rcv.Env())
			}
			getenv := func(k string) string {
				if k == serve.NotifySocketEnv {
					return rcv.Socket()
				}
				return ""
			}
			ready := rcv.Await("READY=1")
			if rcv.Received("READY=1") {
				t.Fatal("READY=1 received before it was sent")
			}
			if _, err := serve.Notify(getenv, "STATUS=starting\nREADY=1"); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ready:
			case <-time.After(5 * time.Second):
				t.Fatal("READY=1 not received within 5s")
			}
			if _, err := serve.Notify(getenv, "STOPPING=1"); err != nil {
				t.Fatal(err)
			}
			select {
			case <-rcv.Await("STOPPING=1"):
			case <-time.After(5 * time.Second):
				t.Fatal("STOPPING=1 not received within 5s")
			}
			if _, err := serve.Notify(getenv, "STATUS=serving\nX_EMPTY=\nWATCHDOG=1"); err != nil {
				t.Fatal(err)
			}
			<-rcv.Await("WATCHDOG=1")
			for key, want := range map[string]string{"STATUS": "serving", "STOPPING": "1", "X_EMPTY": ""} {
				if got, ok := rcv.Value(key); !ok || got != want {
					t.Errorf("Value(%q) = %q, %v; want %q, true (the last one sent)", key, got, ok, want)
				}
			}
			if got, ok := rcv.Value("MAINPID"); ok {
				t.Errorf("Value(MAINPID) = %q, true; never sent", got)
			}
			for _, a := range []string{"READY=1", "STATUS=starting", "STOPPING=1"} {
				if !rcv.Received(a) {
					t.Errorf("%s not recorded", a)
				}
			}
			if err := rcv.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			<-rcv.Done()
			if rcv.Err() != nil {
				t.Errorf("Err after Close = %v, want nil", rcv.Err())
			}
		})
	}
}

func TestListenNotifyRefusesBadNames(t *testing.T) {
	for _, path := range []string{"", "relative/notify", "@", "vsock:2:1", "/tmp/a\x00b", "/" + strings.Repeat("a", 200)} {
		t.Run(fmt.Sprintf("%q", path), func(t *testing.T) {
			rcv, err := serve.ListenNotify(path)
			if err == nil {
				rcv.Close()
				t.Fatalf("ListenNotify(%q) succeeded", path)
			}
			if !strings.Contains(err.Error(), "sd_notify") {
				t.Errorf("error %q does not say what was wrong", err)
			}
		})
	}
}
