package metrics_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/middleware"
)

func Example() {
	m, err := metrics.New(metrics.Options{Namespace: "shop", Version: "v1.0.0", Revision: "abc123", NoRuntimeCollectors: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "item") })
	app := m.Middleware(mux) // innermost, directly around the mux

	for _, path := range []string{"/items/1", "/items/2", "/no/such/page"} {
		app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if strings.HasPrefix(line, "shop_http_requests_total") {
			fmt.Print(line)
		}
	}
	// Output:
	// shop_http_requests_total{method="GET",route="/items/{id}",status="2xx"} 2
	// shop_http_requests_total{method="GET",route="unmatched",status="4xx"} 1
}

// A layer between Middleware and the mux that copies the request (here a
// session-like middleware adding a context value) hides r.Pattern from
// Middleware; Route, directly around the mux, hands the pattern back.
func ExampleMetrics_Route() {
	m, err := metrics.New(metrics.Options{Namespace: "shop", NoRuntimeCollectors: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cart/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "cart") })
	withUser := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, "ada")))
		})
	}
	app := m.Middleware(withUser(m.Route(mux)))
	app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/cart/9", nil))

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if strings.HasPrefix(line, "shop_http_requests_total") {
			fmt.Print(line)
		}
	}
	// Output:
	// shop_http_requests_total{method="GET",route="/cart/{id}",status="2xx"} 1
}

type userKey struct{}

// Inside middleware.Stack, Middleware reads the route and the status from
// the stack's per-request state: the access-log line and the series name
// the request alike. Behind a layer that copies the request, one wrapper
// around the mux (middleware.CaptureRoute, or m.Route) serves both.
func Example_stack() {
	m, err := metrics.New(metrics.Options{Namespace: "shop", NoRuntimeCollectors: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == "method" || a.Key == "route" || a.Key == "status" || a.Key == slog.MessageKey {
				return a
			}
			return slog.Attr{} // drop what changes from run to run
		},
	}))
	stack, err := middleware.Stack(middleware.StackOptions{Logger: logger, Metrics: m.Middleware})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cart/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "cart") })
	withUser := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, "ada")))
		})
	}
	app := stack(withUser(middleware.CaptureRoute(mux)))
	for _, path := range []string{"/cart/9", "/nowhere"} {
		app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if strings.HasPrefix(line, "shop_http_requests_total") {
			fmt.Print(line)
		}
	}
	// Output:
	// {"msg":"request","method":"GET","route":"/cart/{id}","status":200}
	// {"msg":"request","method":"GET","route":"unmatched","status":404}
	// shop_http_requests_total{method="GET",route="/cart/{id}",status="2xx"} 1
	// shop_http_requests_total{method="GET",route="unmatched",status="4xx"} 1
}
