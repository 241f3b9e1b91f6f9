package middleware_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
)

// runShop is a service's main: listen.Listen opens the listener,
// middleware.Stack wraps the whole mux (recover, trace id, access log,
// security headers), serve.Run serves until SIGINT/SIGTERM or ctx. A real
// main calls it with os.Args[1:].
func runShop(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to listen on (default: $PORT, else 127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := listen.Listen(ctx, listen.Options{Addr: *addr})
	if err != nil {
		return err
	}
	stack, err := middleware.Stack(middleware.StackOptions{Logger: log})
	if err != nil {
		res.Listener.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "order %s", r.PathValue("id"))
	})
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
		panic("a bug") // the stack answers 500 and logs the stack trace
	})
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{
		Logger:  log,
		OnReady: ready,
	})
}

// The stack in a real main, exercised over a loopback socket: security
// headers on every answer, the client's trace continued, and a panic turned
// into a 500 problem that quotes the trace id.
func Example_main() {
	svc, err := kittest.Start(runShop)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Stop()
	const traceparent = "Traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

	resp, body, err := svc.Get("/orders/42", traceparent)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status, body)
	for _, name := range []string{"X-Content-Type-Options", "X-Frame-Options", "Cross-Origin-Opener-Policy"} {
		fmt.Printf("%s: %s\n", name, resp.Header.Get(name))
	}
	fmt.Println("CSP has a nonce:", strings.Contains(resp.Header.Get("Content-Security-Policy"), "'nonce-"))

	resp, body, err = svc.Get("/boom", traceparent)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"))
	fmt.Println("quotes the trace id:", strings.Contains(body, `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`))
	fmt.Println("leaks the panic:", strings.Contains(body, "a bug"))
	// Output:
	// 200 OK order 42
	// X-Content-Type-Options: nosniff
	// X-Frame-Options: DENY
	// Cross-Origin-Opener-Policy: same-origin
	// CSP has a nonce: true
	// 500 Internal Server Error application/problem+json
	// quotes the trace id: true
	// leaks the panic: false
}
