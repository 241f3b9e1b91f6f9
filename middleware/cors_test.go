package middleware

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewCORSErrors(t *testing.T) {
	tests := []struct {
		name string
		opts CORSOptions
		want string
	}{
		{"no origins", CORSOptions{}, "AllowedOrigins is empty"},
		{"star with credentials", CORSOptions{AllowedOrigins: []string{"*"}, AllowCredentials: true}, "any website"},
		{"star with others", CORSOptions{AllowedOrigins: []string{"*", "https://a.example.com"}}, "alone"},
		{"trailing slash", CORSOptions{AllowedOrigins: []string{"https://app.example.com/"}}, "trailing slash"},
		{"path", CORSOptions{AllowedOrigins: []string{"https://app.example.com/api"}}, "no path"},
		{"query", CORSOptions{AllowedOrigins: []string{"https://app.example.com?x=1"}}, "no path, query"},
		{"no scheme", CORSOptions{AllowedOrigins: []string{"app.example.com"}}, "scheme://host"},
		{"bad scheme", CORSOptions{AllowedOrigins: []string{"1http://app.example.com"}}, "scheme"},
		{"userinfo", CORSOptions{AllowedOrigins: []string{"https://user@app.example.com"}}, "user info"},
		{"default port", CORSOptions{AllowedOrigins: []string{"https://app.example.com:443"}}, "default port"},
		{"bad port", CORSOptions{AllowedOrigins: []string{"https://app.example.com:99999"}}, "port"},
		{"null", CORSOptions{AllowedOrigins: []string{"null"}}, "sandboxed"},
		{"mid wildcard", CORSOptions{AllowedOrigins: []string{"https://*example.com"}}, "leading label"},
		{"two wildcards", CORSOptions{AllowedOrigins: []string{"https://*.*.example.com"}}, "leading label"},
		{"space", CORSOptions{AllowedOrigins: []string{"https://app example.com"}}, "byte 0x20"},
		{"empty host", CORSOptions{AllowedOrigins: []string{"https://"}}, "host is empty"},
		{"lowercase method", CORSOptions{AllowedOrigins: []string{"https://a.example.com"}, AllowedMethods: []string{"get"}}, "case-sensitive"},
		{"bad method", CORSOptions{AllowedOrigins: []string{"https://a.example.com"}, AllowedMethods: []string{"GE T"}}, "method token"},
		{"bad header", CORSOptions{AllowedOrigins: []string{"https://a.example.com"}, AllowedHeaders: []string{"X:Y"}}, "header name"},
		{"star header with credentials", CORSOptions{AllowedOrigins: []string{"https://a.example.com"}, AllowedHeaders: []string{"*"}, AllowCredentials: true}, "literally"},
		{"max age", CORSOptions{AllowedOrigins: []string{"https://a.example.com"}, MaxAge: 48 * time.Hour}, "0..24h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCORS(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewCORS error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	c, err := NewCORS(CORSOptions{
		AllowedOrigins:   []string{"https://app.example.com", "https://*.tenant.example.com", "HTTP://localhost:5173"},
		AllowedMethods:   []string{"GET", "POST", "DELETE"},
		AllowedHeaders:   []string{"Content-Type", "Authorization"},
		ExposedHeaders:   []string{"X-Request-Id"},
		AllowCredentials: true,
		MaxAge:           10 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	reached := false
	h := c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		w.Header().Add("Vary", "Accept")
	}))
	tests := []struct {
		name        string
		method      string
		headers     map[string]string
		wantStatus  int
		wantReached bool
		want        map[string]string // "" means absent
	}{
		{"preflight allowed", "OPTIONS", map[string]string{"Origin": "https://app.example.com",
			"Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "authorization,content-type"},
			204, false, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com",
				"Access-Control-Allow-Methods": "DELETE", "Access-Control-Allow-Headers": "authorization,content-type",
				"Access-Control-Allow-Credentials": "true", "Access-Control-Max-Age": "600"}},
		{"preflight wildcard subdomain", "OPTIONS", map[string]string{"Origin": "https://a.tenant.example.com",
			"Access-Control-Request-Method": "POST"}, 204, false,
			map[string]string{"Access-Control-Allow-Origin": "https://a.tenant.example.com"}},
		{"preflight wildcard does not match lookalike", "OPTIONS", map[string]string{"Origin": "https://attacker-tenant.example.com",
			"Access-Control-Request-Method": "POST"}, 204, false, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"preflight method refused", "OPTIONS", map[string]string{"Origin": "https://app.example.com",
			"Access-Control-Request-Method": "PUT"}, 204, false, map[string]string{"Access-Control-Allow-Methods": "", "Access-Control-Allow-Origin": ""}},
		{"preflight header refused", "OPTIONS", map[string]string{"Origin": "https://app.example.com",
			"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-secret"}, 204, false,
			map[string]string{"Access-Control-Allow-Origin": ""}},
		{"preflight other origin", "OPTIONS", map[string]string{"Origin": "https://attacker.test",
			"Access-Control-Request-Method": "GET"}, 204, false, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"actual allowed", "GET", map[string]string{"Origin": "http://localhost:5173"}, 200, true,
			map[string]string{"Access-Control-Allow-Origin": "http://localhost:5173", "Access-Control-Expose-Headers": "X-Request-Id",
				"Access-Control-Allow-Credentials": "true"}},
		{"actual other origin", "GET", map[string]string{"Origin": "https://attacker.test"}, 200, true,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Credentials": ""}},
		{"same origin, no Origin header", "GET", nil, 200, true, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"plain OPTIONS is not a preflight", "OPTIONS", map[string]string{"Origin": "https://app.example.com"}, 200, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached = false
			req := httptest.NewRequest(tt.method, "/api", nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || reached != tt.wantReached {
				t.Errorf("status %d reached %v, want %d %v", rec.Code, reached, tt.wantStatus, tt.wantReached)
			}
			for k, v := range tt.want {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			vary := strings.Join(rec.Header().Values("Vary"), ", ")
			if !strings.Contains(vary, "Origin") {
				t.Errorf("Vary %q lacks Origin", vary)
			}
			if tt.wantReached && !strings.Contains(vary, "Accept") {
				t.Errorf("Vary %q lost the handler's Accept", vary)
			}
		})
	}
}

func TestCORSPublicAPI(t *testing.T) {
	c, err := NewCORS(CORSOptions{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Origin", "https://anyone.example.com")
	c.Handler(http.NotFoundHandler()).ServeHTTP(rec, req)
	if rec.Header().Get("Access-Control-Allow-Origin") != "*" || rec.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("headers %v", rec.Header())
	}
}

// TestCORSFastPath checks that requests taking the no-Origin fast path get
// the same response headers and status as through rs/cors alone, that
// preflights and Origin requests still go through rs/cors, and that the
// shared Vary value is never written into.
func TestCORSFastPath(t *testing.T) {
	c, err := NewCORS(CORSOptions{AllowedOrigins: []string{"https://app.example.com"}, ExposedHeaders: []string{"X-Request-Id"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		method   string
		header   http.Header
		preVary  []string // Vary set by an outer layer before CORS
		wantVary []string
		wantACAO string
		wantNext bool
	}{
		{name: "GET without Origin", method: "GET", wantVary: []string{"Origin"}, wantNext: true},
		{name: "HEAD without Origin", method: "HEAD", wantVary: []string{"Origin"}, wantNext: true},
		{name: "POST without Origin, Vary already set", method: "POST", preVary: []string{"Accept"}, wantVary: []string{"Accept", "Origin"}, wantNext: true},
		{name: "GET with allowed Origin", method: "GET", header: http.Header{"Origin": {"https://app.example.com"}},
			wantVary: []string{"Origin"}, wantACAO: "https://app.example.com", wantNext: true},
		{name: "GET with other Origin", method: "GET", header: http.Header{"Origin": {"https://evil.example"}},
			wantVary: []string{"Origin"}, wantNext: true},
		{name: "OPTIONS without Origin (not a preflight)", method: "OPTIONS", wantVary: []string{"Origin"}, wantNext: true},
		{name: "preflight", method: "OPTIONS", header: http.Header{"Origin": {"https://app.example.com"}, "Access-Control-Request-Method": {"GET"}},
			wantVary: []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}, wantACAO: "https://app.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := func(h func(http.Handler) http.Handler) (*httptest.ResponseRecorder, bool) {
				reached := false
				next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true })
				r := httptest.NewRequest(tt.method, "/x", nil)
				for k, v := range tt.header {
					r.Header[k] = v
				}
				rec := httptest.NewRecorder()
				if tt.preVary != nil {
					rec.Header()["Vary"] = append([]string(nil), tt.preVary...)
				}
				h(next).ServeHTTP(rec, r)
				return rec, reached
			}
			got, reached := run(c.Handler)
			want, wantReached := run(c.c.Handler) // rs/cors alone
			if reached != tt.wantNext || wantReached != tt.wantNext {
				t.Errorf("next reached: ours %v, rs/cors %v, want %v", reached, wantReached, tt.wantNext)
			}
			if got.Code != want.Code {
				t.Errorf("status %d, rs/cors %d", got.Code, want.Code)
			}
			if !equalHeaders(got.Header(), want.Header()) {
				t.Errorf("headers %v, rs/cors %v", got.Header(), want.Header())
			}
			if v := got.Header()["Vary"]; strings.Join(v, "|") != strings.Join(tt.wantVary, "|") {
				t.Errorf("Vary %q, want %q", v, tt.wantVary)
			}
			if v := got.Header().Get("Access-Control-Allow-Origin"); v != tt.wantACAO {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", v, tt.wantACAO)
			}
		})
	}
	// A handler adding to Vary after the fast path must not change the
	// value shared by all responses.
	h := c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Add("Vary", "Accept") }))
	for range 2 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if v := rec.Header()["Vary"]; strings.Join(v, "|") != "Origin|Accept" {
			t.Fatalf("Vary %q, want Origin|Accept", v)
		}
	}
	if strings.Join(c.varyOrigin, "|") != "Origin" {
		t.Fatalf("shared Vary value changed to %q", c.varyOrigin)
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}
