package trace_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
	"github.com/golocal/golocal/trace"
)

// runService is a service's main that calls another service: the stack
// continues the caller's trace (or starts one), the handler reads it with
// trace.FromContext and passes it on in the traceparent of its own
// request, so the logs of both services share one trace id. A real main
// calls it with os.Args[1:].
func runService(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to listen on (default: $PORT, else 127.0.0.1:8080)")
	backend := fs.String("backend", "", "URL of the service to call (none: answer alone)")
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
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "trace %s", trace.IDFromContext(r.Context()))
		if *backend == "" {
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), "GET", *backend, nil)
		req.Header.Set("Traceparent", trace.FromContext(r.Context()).Traceparent())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintf(w, "; backend: %v", err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Fprintf(w, "; backend: %s", b)
	})
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{Logger: log, OnReady: ready})
}

// Two services over loopback sockets, the first calling the second: the
// client's trace id reaches both.
func Example_main() {
	backend, err := kittest.Start(runService)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer backend.Stop()
	frontend, err := kittest.Start(runService, "-backend", backend.URL+"/")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer frontend.Stop()
	_, body, err := frontend.Get("/", "Traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	fmt.Println(body, err)
	// Output:
	// trace 4bf92f3577b34da6a3ce929d0e0e4736; backend: trace 4bf92f3577b34da6a3ce929d0e0e4736 <nil>
}
