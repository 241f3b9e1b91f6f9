package problem_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/problem"
	"github.com/golocal/golocal/serve"
)

// runOrders is a service's main whose handlers say what went wrong with
// problem errors; one Responder logs the causes with the service's logger.
// A real main calls it with os.Args[1:].
func runOrders(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
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
	errs := problem.Responder{Logger: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		errs.Error(w, r, problem.Errorf(problem.NotFound, "no order %s; list orders at /orders", r.PathValue("id")))
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		errs.Error(w, r, problem.InvalidFields(problem.FieldError{Field: "quantity", Message: "must be 1 to 1000"}))
	})
	mux.HandleFunc("GET /report", func(w http.ResponseWriter, r *http.Request) {
		errs.Error(w, r, errors.New(`pq: relation "reports" does not exist`)) // logged, never sent
	})
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{
		Logger:  log,
		OnReady: ready,
	})
}

// Problems as a client sees them over a real socket: the status and
// detail it can act on, the fields to fix, and for an internal error only
// a generic detail with the trace id to quote.
func Example_main() {
	svc, err := kittest.Start(runOrders)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Stop()
	for _, req := range [][2]string{{"GET", "/orders/9"}, {"POST", "/orders"}, {"GET", "/report"}} {
		resp, body, err := svc.Do(req[0], req[1], "")
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		if i := strings.Index(body, `,"trace_id"`); i >= 0 {
			body = body[:i] + `,"trace_id":…}` + "\n" // a fresh id per request
		}
		fmt.Print(body)
	}
	// Output:
	// 404 application/problem+json no-store
	// {"type":"about:blank","title":"Not Found","status":404,"detail":"no order 9; list orders at /orders","trace_id":…}
	// 400 application/problem+json no-store
	// {"type":"about:blank","title":"Bad Request","status":400,"detail":"field quantity: must be 1 to 1000","errors":[{"field":"quantity","message":"must be 1 to 1000"}],"trace_id":…}
	// 500 application/problem+json no-store
	// {"type":"about:blank","title":"Internal Server Error","status":500,"detail":"The server failed to complete the request. The failure has been logged; quote the trace_id when reporting it.","trace_id":…}
}
