package middleware

import (
	"encoding/json"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func testMux() *http.ServeMux {
	mux := http.NewServeMux()
	page := template.Must(template.New("page").Parse(`<script nonce="{{.}}">go()</script>`))
	mux.HandleFunc("GET /page/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, Nonce(r.Context()))
	})
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	return mux
}

func TestStack(t *testing.T) {
	for _, wrapped := range []bool{false, true} {
		name := "mux"
		if wrapped {
			name = "user middleware around CaptureRoute(mux)"
		}
		t.Run(name, func(t *testing.T) {
			var sink logSink
			var metricsRoutes []string
			metricsMW := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					next.ServeHTTP(w, r)
					metricsRoutes = append(metricsRoutes, RoutePattern(r))
				})
			}
			stack, err := Stack(StackOptions{
				Logger:       sink.logger(),
				MaxBodyBytes: 16,
				CORS:         &CORSOptions{AllowedOrigins: []string{"https://app.example.com"}},
				Metrics:      metricsMW,
			})
			if err != nil {
				t.Fatal(err)
			}
			var inner http.Handler = testMux()
			if wrapped {
				inner = copyingMiddleware(CaptureRoute(inner))
			}
			h := stack(inner)

			// A page: nonce in the template equals the one in the CSP.
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/page/home", nil)
			req.Header.Set("Origin", "https://app.example.com")
			req.Header.Set("X-Request-Id", "client-7")
			h.ServeHTTP(rec, req)
			m := nonceRE.FindStringSubmatch(rec.Header().Get("Content-Security-Policy"))
			if rec.Code != 200 || m == nil || !strings.Contains(rec.Body.String(), `nonce="`+m[1]+`"`) {
				t.Errorf("page: %d %q CSP %q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Security-Policy"))
			}
			if rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" || rec.Header().Get("X-Request-Id") != "client-7" {
				t.Errorf("page headers %v", rec.Header())
			}

			// Over-cap body: 413 problem with the trace id, security headers kept.
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/upload", strings.NewReader(strings.Repeat("x", 17))))
			var p map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &p)
			if rec.Code != 413 || p["trace_id"] == nil || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("upload: %d %v", rec.Code, p)
			}

			// Panic: 500 problem, CSP still there.
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/panic", nil))
			if rec.Code != 500 || rec.Header().Get("Content-Security-Policy") == "" {
				t.Errorf("panic: %d %v", rec.Code, rec.Header())
			}

			wantRoutes := []string{"/page/{name}", "unmatched", "/panic"} // the 413 never reached the mux
			var logged []string
			for _, r := range sink.records(t) {
				if r["msg"] == "request" {
					logged = append(logged, r["route"].(string))
				}
			}
			if strings.Join(logged, "|") != strings.Join(wantRoutes, "|") {
				t.Errorf("access log routes %q, want %q", logged, wantRoutes)
			}
			if strings.Join(metricsRoutes, "|") != "GET /page/{name}" {
				// metrics sits inside Limit and sees only requests that reached
				// it; the panicking one unwound past it.
				t.Errorf("metrics saw routes %q", metricsRoutes)
			}
		})
	}
}

func TestStackErrors(t *testing.T) {
	tests := []struct {
		name string
		opts StackOptions
		want string
	}{
		{"secure", StackOptions{Secure: SecureOptions{ReferrerPolicy: "bogus"}}, "ReferrerPolicy"},
		{"cors", StackOptions{CORS: &CORSOptions{AllowedOrigins: []string{"*"}, AllowCredentials: true}}, "AllowCredentials"},
		{"fault in production", StackOptions{Fault: &FaultOptions{Profile: "prod"}}, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Stack(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "middleware stack: ") {
				t.Errorf("Stack error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestStackAllocations guards the per-request allocation budget of the full
// stack (the benchmark in bench/stack prints the comparison with other
// frameworks). The bound is generous; a regression that adds a per-layer
// request copy or per-header slice would still trip it.
func TestStackAllocations(t *testing.T) {
	stack, err := Stack(StackOptions{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		CORS:   &CORSOptions{AllowedOrigins: []string{"https://app.example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	})
	h := stack(mux)
	req := httptest.NewRequest("GET", "/hello/world", nil)
	w := &discardWriter{h: http.Header{}}
	bare := testing.AllocsPerRun(200, func() { clear(w.h); mux.ServeHTTP(w, req) })
	full := testing.AllocsPerRun(200, func() { clear(w.h); h.ServeHTTP(w, req) })
	t.Logf("allocations per request: bare mux %.0f, full stack %.0f (overhead %.0f)", bare, full, full-bare)
	if full-bare > 16 {
		t.Errorf("stack overhead is %.0f allocations per request, budget 16", full-bare)
	}
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}
