package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/trace"
)

// exampleLogger logs JSON to standard output without the attributes that
// change from run to run (time, duration, stack, and the span id each request
// gets), so the examples' output is fixed.
func exampleLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "duration", "stack", "span_id", "site":
				return slog.Attr{}
			}
			return a
		},
	}))
}

// An incoming traceparent, so trace ids in the output are fixed.
const exampleTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// Stack wraps a whole mux in the production order. The access-log record
// below carries the route pattern, read after the mux ran, and the trace id
// continued from the client's traceparent.
func ExampleStack() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "order %s\n", r.PathValue("id"))
	})
	stack, err := middleware.Stack(middleware.StackOptions{Logger: exampleLogger()})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := stack(mux)

	r := httptest.NewRequest("GET", "/orders/42", nil)
	r.Header.Set("Traceparent", exampleTraceparent)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	for _, name := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"} {
		fmt.Printf("%s: %s\n", name, rec.Header().Get(name))
	}
	// Output:
	// {"level":"INFO","msg":"request","method":"GET","route":"/orders/{id}","path":"/orders/42","status":200,"bytes":9,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","remote":"192.0.2.1:1234"}
	// 200 order 42
	// X-Content-Type-Options: nosniff
	// X-Frame-Options: DENY
	// Referrer-Policy: strict-origin-when-cross-origin
	// Cross-Origin-Opener-Policy: same-origin
}

// Secure gives each request a fresh CSP nonce; a template reads it with
// middleware.Nonce so inline scripts run and injected ones do not.
func ExampleSecure() {
	secure, err := middleware.NewSecure(middleware.SecureOptions{Development: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	page := template.Must(template.New("page").Parse(`<script nonce="{{.Nonce}}">start()</script>`))
	h := secure.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, struct{ Nonce string }{middleware.Nonce(r.Context())})
	}))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost:8080/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	nonce := strings.TrimSuffix(strings.TrimPrefix(rec.Body.String(), `<script nonce="`), `">start()</script>`)
	fmt.Println("nonce length:", len(nonce))
	fmt.Println("page nonce is in the policy:", strings.Contains(csp, "'nonce-"+nonce+"'"))
	fmt.Println(strings.ReplaceAll(csp, nonce, "{nonce}"))
	fmt.Println("HSTS in development:", rec.Header().Get("Strict-Transport-Security") != "")
	// Output:
	// nonce length: 22
	// page nonce is in the policy: true
	// default-src 'self'; script-src 'self' 'nonce-{nonce}' 'strict-dynamic'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'
	// HSTS in development: false
}

// NewSecure refuses options browsers would misread, saying what to write
// instead.
func ExampleNewSecure() {
	_, err := middleware.NewSecure(middleware.SecureOptions{FrameAncestors: "self"})
	fmt.Println(err)
	// Output:
	// secure: FrameAncestors source "self" must be quoted: 'self'
}

// CORS answers a preflight from an allowed origin and refuses a
// configuration browsers would reject.
func ExampleCORS() {
	c, err := middleware.NewCORS(middleware.CORSOptions{
		AllowedOrigins: []string{"https://app.example.com"},
		AllowedMethods: []string{"GET", "POST", "DELETE"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "deleted")
	}))
	r := httptest.NewRequest("OPTIONS", "/orders/42", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Access-Control-Request-Method", "DELETE")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println(rec.Code, rec.Header().Get("Access-Control-Allow-Origin"), rec.Header().Get("Access-Control-Allow-Methods"))

	_, err = middleware.NewCORS(middleware.CORSOptions{AllowedOrigins: []string{"https://app.example.com/"}})
	fmt.Println(err)
	// Output:
	// 204 https://app.example.com DELETE
	// cors: AllowedOrigins[0] "https://app.example.com/": remove the trailing slash: browsers send origins without one, so it would never match
}

// Recover turns a panic into a logged stack and a 500 problem that says
// nothing about the panic, with the trace id to quote.
func ExampleRecover() {
	logger := exampleLogger()
	h := middleware.Recover{Logger: logger}.Handler(middleware.TraceID{}.Handler(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic("nil map in orders.go:42 with password=hunter2")
		})))
	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Traceparent", exampleTraceparent)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body)
	// Output:
	// {"level":"ERROR","msg":"panic","panic":"nil map in orders.go:42 with password=hunter2","method":"GET","path":"/orders","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","response_started":false}
	// 500 application/problem+json
	// {"type":"about:blank","title":"Internal Server Error","status":500,"detail":"The server failed to complete the request. The failure has been logged; quote the trace_id when reporting it.","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}
}

// TraceID continues a valid traceparent (same trace id, new span id) and
// echoes a well-formed X-Request-Id; a hostile one is replaced.
func ExampleTraceID() {
	h := middleware.TraceID{}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("trace id:", trace.IDFromContext(r.Context()))
		fmt.Println("request id:", middleware.RequestID(r.Context()))
	}))
	for _, requestID := range []string{"order-import-7", "evil\x1b[31mred"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Traceparent", exampleTraceparent)
		r.Header.Set("X-Request-Id", requestID)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Println("echoed:", rec.Header().Get("X-Request-Id"))
	}
	// Output:
	// trace id: 4bf92f3577b34da6a3ce929d0e0e4736
	// request id: order-import-7
	// echoed: order-import-7
	// trace id: 4bf92f3577b34da6a3ce929d0e0e4736
	// request id: 4bf92f3577b34da6a3ce929d0e0e4736
	// echoed: 4bf92f3577b34da6a3ce929d0e0e4736
}

// Limit answers a body over the cap with 413 before the handler runs.
func ExampleLimit() {
	h := middleware.Limit{MaxBytes: 16}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "got %d bytes\n", len(b))
	}))
	for _, body := range []string{`{"qty":1}`, `{"note":"` + strings.Repeat("x", 100) + `"}`} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/orders", strings.NewReader(body)))
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 200 got 9 bytes
	// 413 {"type":"about:blank","title":"Request Entity Too Large","status":413,"detail":"the request body is larger than the limit of 16 bytes; send a smaller body","limit_bytes":16}
}

// Fault lets a developer ask the running service for a failure; it refuses
// to exist under the production profile.
func ExampleFault() {
	_, err := middleware.NewFault(middleware.FaultOptions{Profile: "production"})
	fmt.Println(err)

	f, err := middleware.NewFault(middleware.FaultOptions{Profile: "dev"})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := f.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	}))
	for _, fault := range []string{"", "status=503", "status=200"} {
		r := httptest.NewRequest("GET", "/", nil)
		if fault != "" {
			r.Header.Set(middleware.FaultHeader, fault)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	}
	// Output:
	// fault injection refused under profile "production": it lets any client make requests fail; enable it only in local, dev, test or staging
	// 200 text/plain; charset=utf-8
	// 503 application/problem+json
	// 400 application/problem+json
}

// AccessLog writes one record per request after it finished, with the
// route pattern (CaptureRoute makes it visible outside the mux).
func ExampleAccessLog() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintln(w, `{"id":42}`)
	})
	h := middleware.AccessLog{Logger: exampleLogger()}.Handler(middleware.CaptureRoute(mux))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/orders", strings.NewReader("{}")))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nowhere", nil))
	// Output:
	// {"level":"INFO","msg":"request","method":"POST","route":"/orders","path":"/orders","status":201,"bytes":10,"trace_id":"","remote":"192.0.2.1:1234"}
	// {"level":"INFO","msg":"request","method":"GET","route":"unmatched","path":"/nowhere","status":404,"bytes":19,"trace_id":"","remote":"192.0.2.1:1234"}
}

// NewJSONHandler writes the same JSON lines as slog.NewJSONHandler, faster;
// AccessLog, Recover and Stack use it when given no logger. Here the time is
// dropped so the output is fixed.
func ExampleNewJSONHandler() {
	h := middleware.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	logger := slog.New(h).With("service", "orders")
	logger.Info("started", "port", 8080, "tls", false)
	logger.WithGroup("db").Warn("slow query", "took", 1500*time.Millisecond, "sql", "SELECT \"id\"\n")
	logger.Error("failed", "err", errors.New("connection refused"))
	// Output:
	// {"level":"INFO","msg":"started","service":"orders","port":8080,"tls":false}
	// {"level":"WARN","msg":"slow query","service":"orders","db":{"took":1500000000,"sql":"SELECT \"id\"\n"}}
	// {"level":"ERROR","msg":"failed","service":"orders","err":"connection refused"}
}

// A layer of your own between the stack and the mux that copies the request
// (sessions, CSRF, authentication: anything calling r.WithContext) hides the
// pattern the mux matched. One wrapper directly around the mux,
// CaptureRoute, hands it back to the access log — and to the metrics, which
// read the same per-request slot.
func ExampleCaptureRoute() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cart/{id}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "cart") })
	withUser := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, "ada")))
		})
	}
	stack, err := middleware.Stack(middleware.StackOptions{Logger: exampleLogger()})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range []http.Handler{
		stack(withUser(mux)),                          // the pattern is lost: "unmatched"
		stack(withUser(middleware.CaptureRoute(mux))), // the pattern reaches the log
	} {
		r := httptest.NewRequest("GET", "/cart/9", nil)
		r.Header.Set("Traceparent", exampleTraceparent)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	// Output:
	// {"level":"INFO","msg":"request","method":"GET","route":"unmatched","path":"/cart/9","status":200,"bytes":5,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","remote":"192.0.2.1:1234"}
	// {"level":"INFO","msg":"request","method":"GET","route":"/cart/{id}","path":"/cart/9","status":200,"bytes":5,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","remote":"192.0.2.1:1234"}
}

type userKey struct{}
