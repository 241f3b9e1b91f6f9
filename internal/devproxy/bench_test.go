package devproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkProxy measures one proxied GET of a 1 KiB body on loopback
// (client, front and app in this process). It prints figures; it asserts
// nothing about speed.
func BenchmarkProxy(b *testing.B) {
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		path string
	}{
		{"plain", nil, "/x"},
		{"html-navigation", map[string]string{"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}, "/page"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			body := make([]byte, 1024)
			app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/page" {
					w.Header().Set("Content-Type", "text/html")
					w.Header().Set("Content-Security-Policy", "script-src 'nonce-a' 'strict-dynamic'")
					io.WriteString(w, "<html><head><title>x</title></head><body>")
				}
				w.Write(body)
			}))
			defer app.Close()
			front, srv, _ := newFront(b, Options{})
			front.SetUpstream(mustURL(b, app.URL))
			c := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
					for k, v := range tc.hdr {
						req.Header.Set(k, v)
					}
					res, err := c.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			})
		})
	}
}
