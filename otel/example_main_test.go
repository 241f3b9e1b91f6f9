package otel_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/otel"
	"github.com/golocal/golocal/otel/otlptest"
	"github.com/golocal/golocal/serve"
)

// runOrders is a service's main exporting traces: otel.Setup reads the
// OTEL_* environment (the flag here only stands in for
// OTEL_EXPORTER_OTLP_ENDPOINT), the stack's Tracing slot makes the server
// spans, and the deferred Shutdown flushes them once serve.Run has drained.
// A real main calls it with os.Args[1:].
func runOrders(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to listen on (default: $PORT, else 127.0.0.1:8080)")
	endpoint := fs.String("otlp-endpoint", "", "OTLP/HTTP endpoint (default: $OTEL_EXPORTER_OTLP_ENDPOINT; neither: no export)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tracing, err := otel.Setup(ctx, otel.Options{ServiceName: "orders", Logger: log, Getenv: func(k string) string {
		if k == "OTEL_EXPORTER_OTLP_ENDPOINT" && *endpoint != "" {
			return *endpoint
		}
		return os.Getenv(k)
	}})
	if err != nil {
		return err
	}
	defer tracing.Shutdown(context.WithoutCancel(ctx))
	res, err := listen.Listen(ctx, listen.Options{Addr: *addr})
	if err != nil {
		return err
	}
	stack, err := middleware.Stack(middleware.StackOptions{Logger: log, Tracing: tracing.Handler})
	if err != nil {
		res.Listener.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "order") })
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{Logger: log, OnReady: ready})
}

// A request over a real socket continues the client's trace; when main
// returns, the span has reached the collector, named after the route.
func Example_main() {
	collector, err := otlptest.Start() // stands in for an OpenTelemetry Collector
	if err != nil {
		fmt.Println(err)
		return
	}
	defer collector.Close()
	svc, err := kittest.Start(runOrders, "-otlp-endpoint", collector.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, _, err := svc.Get("/orders/42", "Traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status)
	fmt.Println("main returned:", svc.Stop())
	for _, s := range collector.Spans() {
		fmt.Println(s.Kind, s.Name, "trace", s.TraceID, "parent", s.ParentSpanID, "service", s.Resource["service.name"])
	}
	// Output:
	// 200 OK
	// main returned: <nil>
	// server GET /orders/{id} trace 4bf92f3577b34da6a3ce929d0e0e4736 parent 00f067aa0ba902b7 service orders
}
