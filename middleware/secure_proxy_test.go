package middleware

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSecureTrustedProxyNearestValue: behind a trusted proxy, the scheme
// is the nearest proxy's value — the last element of the last header
// line — whatever clients or farther proxies put before it. Issue 19's
// surviving mutants took the first comma-separated element after the
// first comma (IndexByte for LastIndexByte) or the first header line, and
// tests built headers from a map, so a chain of three and multi-line
// headers were never tried.
func TestSecureTrustedProxyNearestValue(t *testing.T) {
	const hsts = "max-age=63072000"
	tests := []struct {
		name   string
		header string
		lines  []string
		want   string
	}{
		{"three values, nearest https", "X-Forwarded-Proto", []string{"http, http, https"}, hsts},
		{"three values, nearest http", "X-Forwarded-Proto", []string{"https, https, http"}, ""},
		{"two lines, client's first line https, proxy's last http", "X-Forwarded-Proto", []string{"https", "http"}, ""},
		{"two lines, client's first line http, proxy's last https", "X-Forwarded-Proto", []string{"http", "https"}, hsts},
		{"two lines with lists, nearest https", "X-Forwarded-Proto", []string{"https, http", "http, https"}, hsts},
		{"Forwarded over two lines, nearest http", "Forwarded", []string{`for=192.0.2.1;proto=https`, `for=192.0.2.2;proto=http`}, ""},
		{"Forwarded over two lines, nearest https", "Forwarded", []string{`for=192.0.2.1;proto=http`, `for=192.0.2.2;proto=https`}, hsts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := mustSecure(t, SecureOptions{TrustedProxyHeader: tt.header}).Handler(http.NotFoundHandler())
			req := httptest.NewRequest("GET", "http://example.com/", nil)
			req.TLS = nil
			for _, l := range tt.lines {
				req.Header.Add(tt.header, l)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := rec.Header().Get("Strict-Transport-Security"); got != tt.want {
				t.Errorf("%s: %s → HSTS %q, want %q", tt.header, strings.Join(tt.lines, " | "), got, tt.want)
			}
		})
	}
}
