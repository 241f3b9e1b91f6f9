package health_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzHandler sends arbitrary paths, queries and Accept headers: the
// handler must answer with a defined status, never panic.
func FuzzHandler(f *testing.F) {
	for _, s := range []string{"/readyz?verbose&exclude=db", "/livez/ping", "/health/core", "/readyz/%2F..", "/readyz?exclude=%00&exclude="} {
		f.Add(s, "application/json")
	}
	h := newFixture(f)
	handlers := []http.Handler{h.Handler(), h.DetailedHandler()}
	f.Fuzz(func(t *testing.T, target, accept string) {
		u, err := url.ParseRequestURI(target)
		if err != nil || u.Host != "" {
			return
		}
		for _, hh := range handlers {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.URL, req.RequestURI = u, target
			req.Header.Set("Accept", accept)
			rec := httptest.NewRecorder()
			hh.ServeHTTP(rec, req)
			switch rec.Code {
			case 200, 301, 307, 308, 404, 405, 503:
			case 400:
				// net/http's ServeMux answers the request target "*"
				// (asterisk-form, RFC 9112 §3.2.4) with 400; nothing else may.
				if u.Path != "*" {
					t.Fatalf("GET %q = 400", target)
				}
			default:
				t.Fatalf("GET %q = %d", target, rec.Code)
			}
		}
	})
}
