package serve_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
)

// The usual main: listen.Listen opens the listener (PORT, socket
// activation, an error naming the process holding the port),
// middleware.Stack wraps the mux, serve.Run serves until SIGINT or SIGTERM,
// with a readiness flip and a lame duck for the load balancer.
func ExampleRun() {
	ctx := context.Background()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello\n")
	})
	res, err := listen.Listen(ctx, listen.Options{Default: "127.0.0.1:8080"})
	if err != nil {
		log.Fatal(err)
	}
	stack, err := middleware.Stack(middleware.StackOptions{})
	if err != nil {
		log.Fatal(err)
	}
	err = serve.Run(ctx, res.Listener, stack(mux), serve.Options{
		LameDuck: 5 * time.Second,
		// OnStopping: []func(){health.MarkStopping},
	})
	if err != nil {
		log.Fatal(err)
	}
}

// The same wiring stopped through the context, as a test or an embedding
// program does: the response carries the stack's headers.
func ExampleRun_context() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	res, err := listen.Listen(ctx, listen.Options{
		Addr: "127.0.0.1:0", // any free port
		// Tests pass their own environment; a main leaves these nil.
		Getenv:   func(string) string { return "" },
		Unsetenv: func(string) error { return nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	logger := slog.New(slog.DiscardHandler)
	stack, err := middleware.Stack(middleware.StackOptions{Logger: logger})
	if err != nil {
		fmt.Println(err)
		return
	}
	ready := make(chan serve.Ready, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve.Run(ctx, res.Listener, stack(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "hello")
		})), serve.Options{
			IgnoreSignals: true, // the caller owns signals here
			Logger:        logger,
			OnStopping:    []func(){func() { fmt.Println("stopping: readiness now 503") }},
			OnReady:       func(r serve.Ready) { ready <- r },
		})
	}()
	r := <-ready
	resp, err := http.Get("http://" + r.Addr.String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, string(body), resp.Header.Get("X-Content-Type-Options"))
	stop()
	fmt.Println("Run returned:", <-done)
	// Output:
	// 200 OK hello nosniff
	// stopping: readiness now 503
	// Run returned: <nil>
}

// An admin server for metrics and pprof, on loopback only.
func ExampleAdmin() {
	admin := http.NewServeMux()
	admin.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "# metrics here\n")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		log.Fatal(err)
	}
	err = serve.Run(context.Background(), ln, http.NotFoundHandler(), serve.Options{
		Admin: &serve.Admin{Addr: "127.0.0.1:9090", Handler: admin},
	})
	if err != nil {
		log.Fatal(err)
	}
}

// Notify sends other sd_notify states; Run already sends READY=1 and
// STOPPING=1. Without NOTIFY_SOCKET it does nothing.
func ExampleNotify() {
	getenv := func(string) string { return "" } // no supervisor
	sent, err := serve.Notify(getenv, "STATUS=warming caches")
	fmt.Println(sent, err)
	// Output: false <nil>
}
