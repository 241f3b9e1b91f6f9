package middleware

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkLayers measures each middleware alone around a trivial handler,
// to find where the stack's time goes (bench/stack compares the whole stack
// with other frameworks).
func BenchmarkLayers(b *testing.B) {
	discard := slog.New(NewJSONHandler(io.Discard, nil))
	secure, _ := NewSecure(SecureOptions{})
	cors, _ := NewCORS(CORSOptions{AllowedOrigins: []string{"https://app.example.com"}})
	stack, _ := Stack(StackOptions{Logger: discard, CORS: &CORSOptions{AllowedOrigins: []string{"https://app.example.com"}}})
	// Every layer runs inside one state-creating layer, as in the stack, so
	// the figures are each layer's own cost.
	inState := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, w, r = begin(w, r)
			h.ServeHTTP(w, r)
		})
	}
	final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") })
	layers := []struct {
		name string
		h    http.Handler
	}{
		{"state-only", inState(final)},
		{"recover", inState(Recover{Logger: discard}.Handler(final))},
		{"traceid", inState(TraceID{}.Handler(final))},
		{"accesslog", inState(AccessLog{Logger: discard}.Handler(final))},
		{"secure", inState(secure.Handler(final))},
		{"cors", inState(cors.Handler(final))},
		{"limit", inState(Limit{}.Handler(final))},
		{"stack", stack(final)},
	}
	for _, l := range layers {
		b.Run(l.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/hello/world", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				l.h.ServeHTTP(w, req)
			}
		})
	}
}
