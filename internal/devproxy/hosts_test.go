package devproxy

import (
	"net"
	"net/http"
	"net/http/httptest"
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

// TestUnpinHSTS: HSTS from the app reaches the browser as max-age=0 on dev
// names, unchanged on a name the developer allowed.
func TestUnpinHSTS(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload")
	}))
	defer app.Close()
	front := New(Options{AllowHosts: []string{"myapp.example"}})
	defer front.Close()
	front.SetUpstream(mustURL(t, app.URL))
	srv := httptest.NewServer(front)
	defer srv.Close()
	for host, want := range map[string]string{
		"localhost": "max-age=0", "localhost:8080": "max-age=0", "app.localhost": "max-age=0",
		"127.0.0.1": "max-age=0", "[::1]:8080": "max-age=0",
		"myapp.example": "max-age=31536000; includeSubDomains; preload",
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Strict-Transport-Security"); got != want {
			t.Errorf("Host %s: HSTS %q (status %d), want %q", host, got, res.StatusCode, want)
		}
	}
	if !devName("x.test") || !devName("printer.local.") || devName("example.com") || devName("localhost.example.com") {
		t.Error("devName")
	}
}
