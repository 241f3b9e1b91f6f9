package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/golocal/golocal/admin"
	"github.com/golocal/golocal/health"
	"github.com/golocal/golocal/internal/hostcheck/hosttest"
	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/serve"
)

type appConfig struct {
	Port int    `config:"port"`
	DSN  string `config:"dsn" secret:"true"`
}

// startBoth runs a public server and the admin server through serve.Run on
// loopback ports from :0 and returns their base URLs.
func startBoth(t *testing.T) (public, adminURL string) {
	t.Helper()
	h := health.New(health.Options{})
	m, err := metrics.New(metrics.Options{Version: "v0.0.1", Revision: "test"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "public app") })
	cfg := &appConfig{Port: 8080, DSN: "postgres://app:hunter2@db.example.test/app"}
	adminHandler := admin.New(admin.Options{
		Metrics: m.Handler(),
		Health:  h.DetailedHandler(),
		Config:  func() any { return cfg },
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan serve.Ready, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve.Run(ctx, ln, m.Middleware(mux), serve.Options{
			Admin:         &serve.Admin{Addr: "127.0.0.1:0", Handler: adminHandler},
			OnReady:       func(r serve.Ready) { ready <- r },
			OnStopping:    []func(){h.MarkStopping},
			IgnoreSignals: true,
			Getenv:        func(string) string { return "" },
			Logger:        slog.New(slog.DiscardHandler),
		})
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve.Run: %v", err)
		}
	})
	select {
	case r := <-ready:
		return "http://" + r.Addr.String(), "http://" + r.AdminAddr.String()
	case err := <-done:
		t.Fatalf("serve.Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server not ready")
	}
	return "", ""
}

func fetch(t *testing.T, url string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func TestAdminOnlyOnAdminListener(t *testing.T) {
	public, adm := startBoth(t)
	paths := []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline", "/debug/pprof/goroutine?debug=1",
		"/debug/pprof/trace?seconds=0.05", "/debug/pprof/profile?seconds=1", "/debug/pprof/symbol", "/metrics", "/debug/config", "/debug/buildinfo"}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			if status, body, _ := fetch(t, public+p); status == 200 && body != "public app" || strings.Contains(body, "goroutine") {
				t.Errorf("public %s = %d %q: admin endpoint reachable on the public port", p, status, body)
			}
			status, body, _ := fetch(t, adm+p)
			if status != 200 || len(body) == 0 {
				t.Errorf("admin %s = %d (%d bytes), want 200 with a body: %.200s", p, status, len(body), body)
			}
		})
	}
	_, idx, _ := fetch(t, adm+"/debug/pprof/")
	if !strings.Contains(idx, "heap") || !strings.Contains(idx, "goroutine") {
		t.Errorf("pprof index lacks profiles: %.300s", idx)
	}
	if status, body, _ := fetch(t, adm+"/"); status != 200 || !strings.Contains(body, "/debug/config") {
		t.Errorf("admin index = %d %q", status, body)
	}
}

func TestAdminEndpointsContent(t *testing.T) {
	public, adm := startBoth(t)
	fetch(t, public+"/something")

	_, body, hdr := fetch(t, adm+"/metrics")
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse (Content-Type %s): %v", hdr.Get("Content-Type"), err)
	}
	if fams["http_requests_total"] == nil || fams["build_info"] == nil {
		t.Errorf("metrics lack http_requests_total/build_info: %v", keys(fams))
	}

	_, body, hdr = fetch(t, adm+"/debug/config")
	if cc := hdr.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("/debug/config Cache-Control %q, want no-store (configuration and profiles must not sit in a cache)", cc)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatalf("/debug/config: %v: %s", err, body)
	}
	if cfg["dsn"] != "[redacted]" || cfg["port"] != float64(8080) || strings.Contains(body, "hunter2") {
		t.Errorf("/debug/config = %s, want dsn redacted and port 8080", body)
	}

	_, body, _ = fetch(t, adm+"/debug/buildinfo")
	var bi struct {
		GoVersion string `json:"goVersion"`
		Path      string `json:"path"`
	}
	if err := json.Unmarshal([]byte(body), &bi); err != nil || !strings.HasPrefix(bi.GoVersion, "go") || bi.Path == "" {
		t.Errorf("/debug/buildinfo = %s (%v)", body, err)
	}

	if status, body, _ := fetch(t, adm+"/readyz?verbose"); status != 200 || !strings.Contains(body, "[+]shutdown ok") {
		t.Errorf("admin /readyz = %d %q", status, body)
	}
}

func TestAdminRefusesForwardedRequests(t *testing.T) {
	_, adm := startBoth(t)
	tests := []struct{ header, value string }{
		{"X-Forwarded-For", "203.0.113.7"},
		{"Forwarded", "for=203.0.113.7;proto=https"},
		{"X-Real-Ip", "203.0.113.7"},
		{"X-Forwarded-Host", "admin.example.com"},
		{"X-Forwarded-For", ""}, // present but empty still means a proxy
		{"Via", "1.1 proxy.example.test"},
		{"True-Client-Ip", "203.0.113.7"},
		{"X-Client-Ip", "203.0.113.7"},
		{"Cf-Connecting-Ip", "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			status, body, _ := fetch(t, adm+"/debug/pprof/", tt.header, tt.value)
			want := "403 Forbidden: admin endpoints refuse proxied requests: the request carries " + tt.header + ", so it came through a proxy"
			if status != http.StatusForbidden || !strings.HasPrefix(body, want) {
				t.Errorf("%s: %d %q, want 403 starting %q", tt.header, status, body, want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		remote   string
		header   string
		allowAll bool
		want     error
	}{
		{"ipv4 loopback", "127.0.0.1:5000", "", false, nil},
		{"other 127/8", "127.8.9.10:5000", "", false, nil},
		{"ipv6 loopback", "[::1]:5000", "", false, nil},
		{"v4-mapped loopback", "[::ffff:127.0.0.1]:5000", "", false, nil},
		{"remote", "192.0.2.10:5000", "", false, admin.ErrNotLoopback},
		{"remote v6", "[2001:db8::1]:5000", "", false, admin.ErrNotLoopback},
		{"remote allowed", "192.0.2.10:5000", "", true, nil},
		{"forwarded even when allowed", "192.0.2.10:5000", "Forwarded", true, admin.ErrForwarded},
		{"forwarded from loopback", "127.0.0.1:5000", "X-Forwarded-For", false, admin.ErrForwarded},
		{"via", "127.0.0.1:5000", "Via", false, admin.ErrForwarded},
		{"true-client-ip", "127.0.0.1:5000", "True-Client-IP", false, admin.ErrForwarded},
		{"x-client-ip", "127.0.0.1:5000", "X-Client-IP", false, admin.ErrForwarded},
		{"cf-connecting-ip", "127.0.0.1:5000", "CF-Connecting-IP", false, admin.ErrForwarded},
		{"garbage address", "not an address", "", false, admin.ErrNotLoopback},
		{"empty address", "", "", false, admin.ErrNotLoopback},
		{"unix socket", "@", "", false, admin.ErrNotLoopback},
		{"zone", "[fe80::1%eth0]:80", "", false, admin.ErrNotLoopback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://127.0.0.1:9090/debug/pprof/", nil)
			r.RemoteAddr = tt.remote
			if tt.header != "" {
				r.Header.Set(tt.header, "x")
			}
			err := admin.Check(r, tt.allowAll)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Check(%q, %s) = %v, want %v", tt.remote, tt.header, err, tt.want)
			}
			rec := httptest.NewRecorder()
			admin.New(admin.Options{AllowNonLoopback: tt.allowAll}).ServeHTTP(rec, r)
			if wantCode := map[bool]int{true: 200, false: 403}[tt.want == nil]; rec.Code != wantCode {
				t.Errorf("handler = %d, want %d", rec.Code, wantCode)
			}
		})
	}
}

type selfRedacting struct{ Token string }

func (s selfRedacting) Redacted() any { return map[string]string{"token": "[redacted]"} }

func TestConfigForms(t *testing.T) {
	tests := []struct {
		name string
		cfg  any
		want string
	}{
		{"map as is", map[string]any{"port": 1}, `{"port":1}`},
		{"struct through config.Dump", appConfig{Port: 2, DSN: "secret"}, `{"dsn":"[redacted]","port":2}`},
		{"func returning struct pointer", func() any { return &appConfig{Port: 3} }, `{"dsn":"","port":3}`},
		{"Redacted method", selfRedacting{Token: "abc"}, `{"token":"[redacted]"}`},
		{"unencodable", map[string]any{"f": func() {}}, "admin: encoding the configuration as JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://127.0.0.1:9090/debug/config", nil)
			r.RemoteAddr = "127.0.0.1:1"
			rec := httptest.NewRecorder()
			admin.New(admin.Options{Config: tt.cfg}).ServeHTTP(rec, r)
			got := strings.Join(strings.Fields(rec.Body.String()), "")
			if !strings.Contains(got, strings.Join(strings.Fields(tt.want), "")) {
				t.Errorf("body %q, want %q", rec.Body.String(), tt.want)
			}
		})
	}
}

func TestNoConfigNoBuildInfo(t *testing.T) {
	h := admin.New(admin.Options{BuildInfo: func() (*debug.BuildInfo, bool) { return nil, false }})
	for path, want := range map[string]int{"/debug/config": 404, "/metrics": 404, "/readyz": 404, "/debug/buildinfo": 404} {
		r := httptest.NewRequest("GET", "http://127.0.0.1:9090"+path, nil)
		r.RemoteAddr = "127.0.0.1:1"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != want {
			t.Errorf("%s = %d, want %d", path, rec.Code, want)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestAdminRefusesUnknownHosts sends hostile Host headers to the real
// admin listener: a page whose name rebinds to 127.0.0.1 reaches the port
// from a browser but still sends its own name.
func TestAdminRefusesUnknownHosts(t *testing.T) {
	_, adm := startBoth(t)
	addr := strings.TrimPrefix(adm, "http://")
	_, port, _ := net.SplitHostPort(addr)
	tests := []struct {
		name   string
		host   string
		status int
	}{
		{"loopback address", addr, 200},
		{"localhost", "localhost:" + port, 200},
		{"localhost without port", "localhost", 200},
		{"sub.localhost", "admin.localhost:" + port, 200},
		{"ipv6 loopback", "[::1]:" + port, 200},
		{"rebinding name", "rebind.attacker.example:" + port, 403},
		{"rebinding name without port", "rebind.attacker.example", 403},
		{"loopback-looking name", "127.0.0.1.evil.com:" + port, 403},
		{"localhost-looking name", "localhost.evil.com", 403},
		{"short form 127.1", "127.1:" + port, 403},
		{"decimal address", "2130706433", 403},
		{"private address", "192.168.1.10:" + port, 403},
		{"ipv6 public", "[2001:db8::1]:" + port, 403},
		{"ipv6 zone", "[fe80::1%25lo]:" + port, 403},
		{"empty", "", 403},
		{"absent (HTTP/1.0)", hosttest.NoHost, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := hosttest.Get(t, addr, "/debug/config", tt.host)
			if status != tt.status {
				t.Fatalf("Host %q: %d %q, want %d", tt.host, status, body, tt.status)
			}
			if tt.status == 403 && !strings.Contains(body, "admin endpoints refuse unknown Host names") {
				t.Errorf("Host %q: body %q does not say why", tt.host, body)
			}
		})
	}
}

func TestAllowHosts(t *testing.T) {
	scraper := admin.Options{AllowHosts: []string{"scrape.monitoring.svc"}}
	podIP := admin.Options{AllowNonLoopback: true} // any IP address as Host, never a name
	tests := []struct {
		name, host, remote string
		opts               admin.Options
		want               int
	}{
		{"allowed name", "scrape.monitoring.svc:9090", "127.0.0.1:1", scraper, 200},
		{"other name", "other.monitoring.svc:9090", "127.0.0.1:1", scraper, 403},
		{"loopback still", "127.0.0.1:9090", "127.0.0.1:1", scraper, 200},
		{"non-loopback: IP host", "10.1.2.3:9090", "10.9.9.9:1", podIP, 200},
		{"non-loopback: name", "rebind.attacker.example:9090", "10.9.9.9:1", podIP, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://"+tt.host+"/debug/buildinfo", nil)
			r.RemoteAddr = tt.remote
			rec := httptest.NewRecorder()
			admin.New(tt.opts).ServeHTTP(rec, r)
			if rec.Code != tt.want {
				t.Errorf("Host %s: %d, want %d", tt.host, rec.Code, tt.want)
			}
		})
	}
}
