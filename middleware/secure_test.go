package middleware

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

func mustSecure(t *testing.T, opts SecureOptions) *Secure {
	t.Helper()
	s, err := NewSecure(opts)
	if err != nil {
		t.Fatalf("NewSecure: %v", err)
	}
	return s
}

var nonceRE = regexp.MustCompile(`'nonce-([A-Za-z0-9_-]+)'`)

func TestSecureDefaults(t *testing.T) {
	var handlerNonce string
	h := mustSecure(t, SecureOptions{}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlerNonce = Nonce(r.Context())
	}))
	req := httptest.NewRequest("GET", "https://shop.example.com/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	hdr := rec.Header()
	want := map[string]string{
		"Strict-Transport-Security":    "max-age=63072000",
		"X-Content-Type-Options":       "nosniff",
		"X-Frame-Options":              "DENY",
		"Referrer-Policy":              "strict-origin-when-cross-origin",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Permissions-Policy":           DefaultPermissionsPolicy,
	}
	for k, v := range want {
		if got := hdr.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	csp := hdr.Get("Content-Security-Policy")
	for _, part := range []string{"default-src 'self'", "'strict-dynamic'", "object-src 'none'", "base-uri 'none'",
		"frame-ancestors 'none'", "upgrade-insecure-requests"} {
		if !strings.Contains(csp, part) {
			t.Errorf("CSP %q lacks %q", csp, part)
		}
	}
	m := nonceRE.FindAllStringSubmatch(csp, -1)
	if len(m) != 2 || m[0][1] != m[1][1] || m[0][1] != handlerNonce || len(handlerNonce) != 22 {
		t.Errorf("nonces in CSP %v, handler saw %q", m, handlerNonce)
	}
	if strings.Contains(csp, NoncePlaceholder) {
		t.Errorf("placeholder left in %q", csp)
	}
}

func TestSecureNonceFreshPerRequest(t *testing.T) {
	h := mustSecure(t, SecureOptions{}).Handler(http.NotFoundHandler())
	seen := map[string]bool{}
	for range 200 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		n := nonceRE.FindStringSubmatch(rec.Header().Get("Content-Security-Policy"))[1]
		if seen[n] {
			t.Fatalf("nonce %q repeated", n)
		}
		seen[n] = true
	}
}

func TestSecureHSTS(t *testing.T) {
	tests := []struct {
		name   string
		opts   SecureOptions
		url    string
		header map[string]string
		tls    bool
		want   string
	}{
		{"tls", SecureOptions{}, "https://example.com/", nil, true, "max-age=63072000"},
		{"plain http", SecureOptions{}, "http://example.com/", nil, false, ""},
		{"untrusted proxy header", SecureOptions{}, "http://example.com/", map[string]string{"X-Forwarded-Proto": "https"}, false, ""},
		{"trusted proxy header", SecureOptions{TrustedProxyHeader: "x-forwarded-proto"}, "http://example.com/", map[string]string{"X-Forwarded-Proto": "https"}, false, "max-age=63072000"},
		{"trusted proxy says http", SecureOptions{TrustedProxyHeader: "X-Forwarded-Proto"}, "http://example.com/", map[string]string{"X-Forwarded-Proto": "http"}, false, ""},
		{"trusted proxy chain, nearest wins", SecureOptions{TrustedProxyHeader: "X-Forwarded-Proto"}, "http://example.com/", map[string]string{"X-Forwarded-Proto": "https, http"}, false, ""},
		{"forwarded proto", SecureOptions{TrustedProxyHeader: "Forwarded"}, "http://example.com/", map[string]string{"Forwarded": `for=192.0.2.1;proto="https"`}, false, "max-age=63072000"},
		{"forwarded without proto", SecureOptions{TrustedProxyHeader: "Forwarded"}, "http://example.com/", map[string]string{"Forwarded": "for=192.0.2.1"}, false, ""},
		{"localhost over tls", SecureOptions{}, "https://localhost:8443/", nil, true, ""},
		{"sub.localhost", SecureOptions{}, "https://app.localhost/", nil, true, ""},
		{"loopback v4", SecureOptions{}, "https://127.0.0.1:8443/", nil, true, ""},
		{"loopback v6", SecureOptions{}, "https://[::1]:8443/", nil, true, ""},
		{"development", SecureOptions{Development: true}, "https://example.com/", nil, true, ""},
		{"off", SecureOptions{NoHSTS: true}, "https://example.com/", nil, true, ""},
		{"preload", SecureOptions{HSTSMaxAge: 365 * 24 * time.Hour, HSTSIncludeSubdomains: true, HSTSPreload: true}, "https://example.com/", nil, true, "max-age=31536000; includeSubDomains; preload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := mustSecure(t, tt.opts).Handler(http.NotFoundHandler())
			req := httptest.NewRequest("GET", tt.url, nil)
			if !tt.tls {
				req.TLS = nil
			} else if req.TLS == nil {
				req.TLS = &tls.ConnectionState{}
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := rec.Header().Get("Strict-Transport-Security"); got != tt.want {
				t.Errorf("HSTS %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSecureVariants(t *testing.T) {
	tests := []struct {
		name      string
		opts      SecureOptions
		cspHeader string
		contains  []string
		absent    []string
		xfo       string
	}{
		{"report only", SecureOptions{ReportOnly: true, ReportURI: "/csp-report"}, "Content-Security-Policy-Report-Only",
			[]string{"report-uri /csp-report", "frame-ancestors 'none'"}, nil, "DENY"},
		{"development keeps nonce, drops upgrade", SecureOptions{Development: true}, "Content-Security-Policy",
			[]string{"'nonce-"}, []string{"upgrade-insecure-requests"}, "DENY"},
		{"frame self", SecureOptions{FrameAncestors: "'self'"}, "Content-Security-Policy",
			[]string{"frame-ancestors 'self'"}, nil, "SAMEORIGIN"},
		{"frame partner", SecureOptions{FrameAncestors: "https://partner.example.com"}, "Content-Security-Policy",
			[]string{"frame-ancestors https://partner.example.com"}, nil, ""},
		{"custom policy", SecureOptions{ContentSecurityPolicy: "default-src 'none'; script-src 'nonce-{nonce}'"}, "Content-Security-Policy",
			[]string{"default-src 'none'; script-src 'nonce-", "; frame-ancestors 'none'"}, []string{"strict-dynamic"}, "DENY"},
		{"custom policy without nonce", SecureOptions{ContentSecurityPolicy: "default-src 'self'"}, "Content-Security-Policy",
			[]string{"default-src 'self'; frame-ancestors 'none'; upgrade-insecure-requests"}, []string{"nonce"}, "DENY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var nonce string
			h := mustSecure(t, tt.opts).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				nonce = Nonce(r.Context())
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			csp := rec.Header().Get(tt.cspHeader)
			if csp == "" {
				t.Fatalf("no %s header in %v", tt.cspHeader, rec.Header())
			}
			for _, c := range tt.contains {
				if !strings.Contains(csp, c) {
					t.Errorf("CSP %q lacks %q", csp, c)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(csp, a) {
					t.Errorf("CSP %q has %q", csp, a)
				}
			}
			if got := rec.Header().Get("X-Frame-Options"); got != tt.xfo {
				t.Errorf("X-Frame-Options %q, want %q", got, tt.xfo)
			}
			if len(nonce) != 22 {
				t.Errorf("Nonce(ctx) = %q, want a nonce even when the policy has none", nonce)
			}
		})
	}
}

func TestSecureOmit(t *testing.T) {
	h := mustSecure(t, SecureOptions{ContentSecurityPolicy: Omit, FrameAncestors: Omit, ReferrerPolicy: Omit,
		CrossOriginOpenerPolicy: Omit, CrossOriginResourcePolicy: Omit, PermissionsPolicy: Omit, NoHSTS: true}).
		Handler(http.NotFoundHandler())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://example.com/", nil))
	for k := range rec.Header() {
		switch k {
		case "X-Content-Type-Options", "Content-Type":
		default:
			t.Errorf("omitted configuration still sent %s", k)
		}
	}
}

func TestSecureHandlerOverrides(t *testing.T) {
	h := mustSecure(t, SecureOptions{}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.Header().Add("Permissions-Policy", "fullscreen=()")
	}))
	for range 2 { // the second request proves the first did not corrupt shared values
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Header().Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Errorf("handler override lost")
		}
		if got := rec.Header().Values("Permissions-Policy"); len(got) != 2 || got[0] != DefaultPermissionsPolicy {
			t.Errorf("Permissions-Policy %q", got)
		}
		if rec.Header().Get("Cross-Origin-Opener-Policy") != "same-origin" {
			t.Errorf("neighbouring header overwritten: %v", rec.Header())
		}
	}
}

func TestNewSecureErrors(t *testing.T) {
	tests := []struct {
		name string
		opts SecureOptions
		want string
	}{
		{"newline in CSP", SecureOptions{ContentSecurityPolicy: "default-src 'self'\r\nSet-Cookie: x=1"}, "byte 0x0d"},
		{"comma in CSP", SecureOptions{ContentSecurityPolicy: "default-src 'self', script-src 'none'"}, "several policies"},
		{"frame-ancestors twice", SecureOptions{ContentSecurityPolicy: "default-src 'self'; frame-ancestors 'self'"}, "set FrameAncestors"},
		{"unquoted keyword", SecureOptions{FrameAncestors: "self"}, "must be quoted"},
		{"none with others", SecureOptions{FrameAncestors: "'none' 'self'"}, "stand alone"},
		{"blank frame ancestors", SecureOptions{FrameAncestors: "   "}, "blank"},
		{"report uri relative", SecureOptions{ReportURI: "csp"}, "absolute path"},
		{"report uri http", SecureOptions{ReportURI: "http://example.com/r"}, "https://"},
		{"report uri with semicolon", SecureOptions{ReportURI: "/r;script-src *"}, "percent-encode"},
		{"report only without csp", SecureOptions{ContentSecurityPolicy: Omit, ReportOnly: true}, "need a ContentSecurityPolicy"},
		{"negative hsts", SecureOptions{HSTSMaxAge: -time.Second}, "negative"},
		{"tiny hsts", SecureOptions{HSTSMaxAge: time.Millisecond}, "under one second"},
		{"preload without subdomains", SecureOptions{HSTSPreload: true}, "HSTSIncludeSubdomains"},
		{"preload short", SecureOptions{HSTSPreload: true, HSTSIncludeSubdomains: true, HSTSMaxAge: time.Hour}, "one year"},
		{"bad proxy header", SecureOptions{TrustedProxyHeader: "X Forwarded"}, "not a header name"},
		{"bad referrer policy", SecureOptions{ReferrerPolicy: "never"}, "not one of"},
		{"bad coop", SecureOptions{CrossOriginOpenerPolicy: "same"}, "not one of"},
		{"bad corp", SecureOptions{CrossOriginResourcePolicy: "none"}, "not one of"},
		{"control in permissions", SecureOptions{PermissionsPolicy: "camera=()\n"}, "byte 0x0a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSecure(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewSecure error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestEncodeNonce compares the written-out encoder with encoding/base64.
func TestEncodeNonce(t *testing.T) {
	words := [][2]uint64{{0, 0}, {^uint64(0), ^uint64(0)}, {1, 1 << 63}, {0xfbffbffbffbffbff, 0xbffbffbffbffbffe}}
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		words = append(words, [2]uint64{rnd.Uint64(), rnd.Uint64()})
	}
	for _, w := range words {
		var enc [nonceLen]byte
		encodeNonce(&enc, w[0], w[1])
		raw := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, w[0]), w[1])
		if want := base64.RawURLEncoding.EncodeToString(raw); string(enc[:]) != want {
			t.Fatalf("encodeNonce(%x) = %s, want %s", raw, enc, want)
		}
	}
}
