package kittest_test

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
)

// run is a service's main in the kittest.Main shape: a real main calls
// it with os.Args[1:], its logger and a ready that prints the URL.
func run(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("hello", flag.ContinueOnError)
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
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{
		Logger:  log,
		OnReady: ready,
	})
}

func Example() {
	svc, err := kittest.Start(run)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, body, err := svc.Get("/")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status, body, resp.Header.Get("X-Content-Type-Options"))
	fmt.Println("main returned:", svc.Stop())
	// Output:
	// 200 OK hello nosniff
	// main returned: <nil>
}
