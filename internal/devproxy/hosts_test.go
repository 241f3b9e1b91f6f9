package devproxy

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/hostcheck/hosttest"
)

// TestFrontRefusesUnknownHosts sends hostile Host headers to a real front
// socket, on the app's paths, the event stream and the client script: a
// DNS-rebinding page sends its own name, and must get 403 everywhere.
func TestFrontRefusesUnknownHosts(t *testing.T) {
	app := textApp(t, "the app")
	front, srv, _ := newFront(t, Options{AllowHosts: []string{"192.168.1.20", "dev.example.test"}, Heartbeat: 20 * time.Millisecond})
	front.SetUpstream(mustURL(t, app.URL))
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := net.SplitHostPort(addr)
	tests := []struct {
		name   string
		host   string
		status int
	}{
		{"loopback address", addr, 200},
		{"localhost", "localhost:" + port, 200},
		{"sub.localhost", "shop.localhost:" + port, 200},
		{"ipv6 loopback", "[::1]:" + port, 200},
		{"announced LAN address", "192.168.1.20:" + port, 200},
		{"--allow-host name", "dev.example.test", 200},
		{"rebinding name", "rebind.attacker.example:" + port, 403},
		{"rebinding name without port", "rebind.attacker.example", 403},
		{"loopback-looking name", "127.0.0.1.evil.com:" + port, 403},
		{"allowed name as a prefix", "dev.example.test.evil.com", 403},
		{"other LAN address", "192.168.1.21:" + port, 403},
		{"ipv6 public", "[2001:db8::1]:" + port, 403},
		{"ipv6 unbracketed", "::1", 403},
		{"bad port", "localhost:http", 403},
		{"empty", "", 403},
		{"absent (HTTP/1.0)", hosttest.NoHost, 403},
	}
	for _, path := range []string{"/", "/orders?x=1", PathPrefix + "events", PathPrefix + "client.js", PathPrefix + "nope"} {
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				status, body := hosttest.Get(t, addr, path, tt.host)
				if tt.status == 403 {
					// A name gets the flag that allows it; a malformed or
					// missing Host, what to send instead.
					how := "--allow-host"
					if tt.host == "" || tt.host == hosttest.NoHost || tt.host == "::1" || strings.HasSuffix(tt.host, ":http") {
						how = "send one such as Host: localhost"
					}
					if status != 403 || !strings.HasPrefix(body, "403 Forbidden: golocal dev: ") || !strings.Contains(body, how) {
						t.Fatalf("Host %q %s: %d %q, want 403 saying %q", tt.host, path, status, body, how)
					}
					return
				}
				if status == 403 {
					t.Fatalf("Host %q %s: refused: %q", tt.host, path, body)
				}
			})
		}
	}
}
