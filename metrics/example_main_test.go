package metrics_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
)

// runShop is a service's main with Prometheus metrics: the stack's Metrics
// slot counts every request by route pattern, and /metrics is served by
// the loopback admin server, not the public one. A real main calls it with
// os.Args[1:].
func runShop(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to listen on (default: $PORT, else 127.0.0.1:8080)")
	adminAddr := fs.String("admin-addr", "127.0.0.1:9090", "loopback address of the admin server (/metrics)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := metrics.New(metrics.Options{Namespace: "shop"})
	if err != nil {
		return err
	}
	res, err := listen.Listen(ctx, listen.Options{Addr: *addr})
	if err != nil {
		return err
	}
	stack, err := middleware.Stack(middleware.StackOptions{Logger: log, Metrics: m.Middleware})
	if err != nil {
		res.Listener.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "item") })
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{
		Logger:  log,
		Admin:   &serve.Admin{Addr: *adminAddr, Handler: m.Handler()},
		OnReady: ready,
	})
}

// Requests over a real socket, then a scrape of the admin server: series
// are named by route pattern (one series for every item, "unmatched" for
// unknown paths), so their number stays bounded.
func Example_main() {
	svc, err := kittest.Start(runShop, "-admin-addr", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Stop()
	for _, path := range []string{"/items/1", "/items/2", "/no/such/page"} {
		if _, _, err := svc.Get(path); err != nil {
			fmt.Println(err)
			return
		}
	}
	_, body, err := svc.Get(svc.AdminURL + "/metrics")
	if err != nil {
		fmt.Println(err)
		return
	}
	for line := range strings.Lines(body) {
		if strings.HasPrefix(line, "shop_http_requests_total") {
			fmt.Print(line)
		}
	}
	resp, _, err := svc.Get("/metrics")
	fmt.Println("public /metrics:", resp.StatusCode, err)
	// Output:
	// shop_http_requests_total{method="GET",route="/items/{id}",status="2xx"} 2
	// shop_http_requests_total{method="GET",route="unmatched",status="4xx"} 1
	// public /metrics: 404 <nil>
}
