package metrics_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/golocal/golocal/metrics"
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
