package otel_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/otel"
	"github.com/golocal/golocal/otel/otlptest"
)

// Setup reads the OTEL_* environment; here it is pointed at a local OTLP
// receiver. The stack's Tracing slot gets the server spans, with the ids
// the access log prints, named after the route.
func ExampleSetup() {
	collector, err := otlptest.Start() // stands in for an OpenTelemetry Collector
	if err != nil {
		panic(err)
	}
	defer collector.Close()
	environment := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL(),
		"OTEL_SERVICE_NAME":           "orders",
	}
	tracing, err := otel.Setup(context.Background(), otel.Options{Getenv: func(k string) string { return environment[k] }})
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "order") })
	stack, err := middleware.Stack(middleware.StackOptions{
		Logger:  slog.New(middleware.NewJSONHandler(io.Discard, nil)),
		Tracing: tracing.Handler,
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(stack(mux))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/orders/42", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	// Shutdown flushes; give it the time left of the server's grace.
	if err := tracing.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	for _, s := range collector.Spans() {
		fmt.Println(s.Kind, s.Name, "trace", s.TraceID, "parent", s.ParentSpanID, "service", s.Resource["service.name"])
	}
	// Output:
	// server GET /orders/{id} trace 4bf92f3577b34da6a3ce929d0e0e4736 parent 00f067aa0ba902b7 service orders
}
