package serve

import (
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestResolveDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Options
		want resolved
	}{
		{
			name: "zero value gets the documented defaults",
			in:   Options{},
			want: resolved{Options: Options{
				ReadHeaderTimeout: DefaultReadHeaderTimeout,
				ReadTimeout:       DefaultReadTimeout,
				WriteTimeout:      0,
				IdleTimeout:       DefaultIdleTimeout,
				MaxHeaderBytes:    DefaultMaxHeaderBytes,
			}, grace: DefaultGrace},
		},
		{
			name: "negative means no limit",
			in:   Options{ReadHeaderTimeout: -1, ReadTimeout: -1, WriteTimeout: -1, IdleTimeout: -1, MaxHeaderBytes: -1, Grace: -1},
			want: resolved{},
		},
		{
			name: "positive values are kept",
			in:   Options{ReadHeaderTimeout: 1, ReadTimeout: 2, WriteTimeout: 3, IdleTimeout: 4, MaxHeaderBytes: 5, Grace: 6, LameDuck: 7},
			want: resolved{Options: Options{ReadHeaderTimeout: 1, ReadTimeout: 2, WriteTimeout: 3, IdleTimeout: 4, MaxHeaderBytes: 5, LameDuck: 7}, grace: 6},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.resolve()
			if err != nil {
				t.Fatal(err)
			}
			g, w := got.Options, tt.want.Options
			if g.ReadHeaderTimeout != w.ReadHeaderTimeout || g.ReadTimeout != w.ReadTimeout ||
				g.WriteTimeout != w.WriteTimeout || g.IdleTimeout != w.IdleTimeout ||
				g.MaxHeaderBytes != w.MaxHeaderBytes || g.LameDuck != w.LameDuck || got.grace != tt.want.grace {
				t.Errorf("resolve() = %+v grace %v, want %+v grace %v", g, got.grace, w, tt.want.grace)
			}
			if got.logger == nil {
				t.Error("logger is nil; want slog.Default")
			}
		})
	}
}

func TestResolveRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		in   Options
		want string
	}{
		{"negative lame duck", Options{LameDuck: -time.Second}, "LameDuck is -1s"},
		{"TLS without certificate", Options{TLSConfig: &tls.Config{}}, "TLSConfig has no certificate"},
		{"TLS and h2c", Options{TLSConfig: &tls.Config{Certificates: []tls.Certificate{{}}}, H2C: true}, "H2C and TLSConfig are both set"},
		{"admin without handler", Options{Admin: &Admin{Addr: "127.0.0.1:0"}}, "Admin.Handler is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.in.resolve()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("resolve() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckLoopbackHost(t *testing.T) {
	tests := []struct {
		addr, host string
		ok         bool
		want       string
	}{
		{"127.0.0.1:9090", "127.0.0.1", true, ""},
		{"127.0.0.2:9090", "127.0.0.2", true, ""},
		{"[::1]:9090", "::1", true, ""},
		{"localhost:9090", "localhost", true, ""},
		{":9090", "", false, "every network interface"},
		{"0.0.0.0:9090", "0.0.0.0", false, "not a loopback address"},
		{"[::]:9090", "::", false, "not a loopback address"},
		{"192.0.2.1:9090", "192.0.2.1", false, "not a loopback address"},
		{"[::ffff:192.0.2.1]:9090", "::ffff:192.0.2.1", false, "not a loopback address"},
		{"example.com:9090", "example.com", false, "not an IP address"},
		{"localhost.example.com:9090", "localhost.example.com", false, "not an IP address"},
		{"127.0.0.1%eth0:1", "127.0.0.1%eth0", false, "not an IP address"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := checkLoopbackHost(tt.addr, tt.host)
			if tt.ok {
				if err != nil {
					t.Fatalf("checkLoopbackHost(%q) = %v, want nil", tt.addr, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("checkLoopbackHost(%q) = %v, want an error containing %q", tt.addr, err, tt.want)
			}
		})
	}
}

func TestConnTrackerSettled(t *testing.T) {
	tr := newConnTracker()
	now := time.Now()
	c1, c2 := fakeConn{id: 1}, fakeConn{id: 2}
	if !tr.settled(now) {
		t.Fatal("empty tracker is not settled")
	}
	tr.track(c1, http.StateNew)
	if tr.settled(time.Now()) {
		t.Error("a just-accepted connection counts as settled; its request could still be dropped")
	}
	if !tr.settled(time.Now().Add(newConnGrace + time.Second)) {
		t.Error("a connection silent for longer than net/http's allowance should not hold the stop")
	}
	tr.track(c1, http.StateActive)
	if tr.settled(time.Now()) {
		t.Error("an active connection whose handler has not started counts as settled")
	}
	tr.mu.Lock()
	tr.conns[c1].entered = true
	tr.mu.Unlock()
	tr.track(c2, http.StateIdle)
	if !tr.settled(time.Now()) {
		t.Error("active-in-handler and idle connections should be settled")
	}
	if a, i := tr.counts(); a != 1 || i != 1 {
		t.Errorf("counts() = %d active, %d idle; want 1, 1", a, i)
	}
	tr.track(c1, http.StateClosed)
	tr.track(c2, http.StateHijacked)
	if a, i := tr.counts(); a != 0 || i != 0 {
		t.Errorf("after close and hijack counts() = %d, %d; want 0, 0", a, i)
	}
}

// fakeConn is only a distinct map key; the tracker never calls it.
type fakeConn struct {
	id int
	net.Conn
}
