package devloop

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/serve"
)

// childAnnouncing returns a child whose readiness socket received datagram.
func childAnnouncing(t *testing.T, datagram string) *child {
	t.Helper()
	rcv, err := serve.ListenNotify(filepath.Join(t.TempDir(), "notify"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rcv.Close() })
	getenv := func(k string) string { return map[string]string{serve.NotifySocketEnv: rcv.Socket()}[k] }
	if _, err := serve.Notify(getenv, datagram+"\nX_SENT=1"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rcv.Await("X_SENT=1"):
	case <-time.After(5 * time.Second):
		t.Fatal("datagram not received")
	}
	return &child{notify: rcv}
}

func TestAdminAddrTakesOnlyLoopback(t *testing.T) {
	tests := []struct{ datagram, want string }{
		{"READY=1\nX_GOLOCAL_ADMIN=127.0.0.1:9090", "127.0.0.1:9090"},
		{"READY=1\nX_GOLOCAL_ADMIN=[::1]:9090", "[::1]:9090"},
		{"READY=1", ""},
		{"READY=1\nX_GOLOCAL_ADMIN=192.0.2.1:9090", ""}, // off the machine: never forwarded
		{"READY=1\nX_GOLOCAL_ADMIN=localhost:9090", ""}, // a name could resolve anywhere
		{"READY=1\nX_GOLOCAL_ADMIN=127.0.0.1", ""},
		{"READY=1\nX_GOLOCAL_ADMIN=", ""},
	}
	for _, tt := range tests {
		if got := childAnnouncing(t, tt.datagram).adminAddr(); got != tt.want {
			t.Errorf("%q: adminAddr() = %q, want %q", tt.datagram, got, tt.want)
		}
	}
	if got := (&child{}).adminAddr(); got != "" {
		t.Errorf("a child without a readiness socket (Windows): adminAddr() = %q", got)
	}
}

func TestAdminFrontAnswers(t *testing.T) {
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-For") != "" {
			t.Errorf("the admin server got X-Forwarded-For %q", r.Header.Get("X-Forwarded-For"))
		}
		io.WriteString(w, "metrics "+r.URL.Path)
	}))
	defer admin.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	goneAddr := strings.TrimPrefix(gone.URL, "http://")
	gone.Close()

	a, err := openAdminFront()
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	tests := []struct {
		name, target string
		code         int
		body         string
	}{
		{"no version with an admin server", "", http.StatusServiceUnavailable, "has no admin server"},
		{"forwarded", strings.TrimPrefix(admin.URL, "http://"), http.StatusOK, "metrics /metrics"},
		{"admin server gone (a version being replaced)", goneAddr, http.StatusBadGateway, "may be restarting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.point(tt.target)
			resp, err := http.Get(a.url.String() + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code || !strings.Contains(string(body), tt.body) {
				t.Errorf("GET /metrics: %d %q; want %d with %q", resp.StatusCode, body, tt.code, tt.body)
			}
		})
	}
}
