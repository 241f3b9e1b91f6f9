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

	"github.com/golocal/golocal/serve"
)

// The usual main: serve until SIGINT or SIGTERM, with a readiness flip and
// a lame duck for the load balancer.
func ExampleRun() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello\n")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		log.Fatal(err)
	}
	err = serve.Run(context.Background(), ln, mux, serve.Options{
		LameDuck: 5 * time.Second,
		// OnStopping: []func(){health.MarkStopping},
	})
	if err != nil {
		log.Fatal(err)
	}
}

// Stopping through the context, as a test or an embedding program does.
func ExampleRun_context() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- serve.Run(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "hello")
		}), serve.Options{
			IgnoreSignals: true, // the caller owns signals here
			Logger:        slog.New(slog.DiscardHandler),
			OnStopping:    []func(){func() { fmt.Println("stopping: readiness now 503") }},
			OnReady:       func(serve.Ready) { close(ready) },
		})
	}()
	<-ready
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, string(body))
	stop()
	fmt.Println("Run returned:", <-done)
	// Output:
	// 200 OK hello
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
