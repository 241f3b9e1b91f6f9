package health_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/golocal/golocal/health"
	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
)

// queueDepth stands in for a dependency the readiness check watches.
var queueDepth atomic.Int64

// runWorker is a service's main with probes: a readiness check on its
// dependency, /livez and /readyz on the mux, and readiness failing as soon
// as the stop begins (serve's OnStopping) while the lame duck keeps
// serving, so load balancers move away before the listener closes. A real
// main calls it with os.Args[1:].
func runWorker(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to listen on (default: $PORT, else 127.0.0.1:8080)")
	lameDuck := fs.Duration("lame-duck", 5*time.Second, "keep serving this long after readiness fails")
	if err := fs.Parse(args); err != nil {
		return err
	}
	h := health.New(health.Options{})
	err := h.Add(health.Check{Name: "queue", Interval: -1, Func: func(ctx context.Context) (health.Details, error) {
		if d := queueDepth.Load(); d > 10000 {
			return health.Details{"depth": d}, fmt.Errorf("queue depth %d over 10000", d)
		}
		return nil, nil
	}})
	if err != nil {
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
	h.Register(mux)
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{
		Logger:     log,
		LameDuck:   *lameDuck,
		OnStopping: []func(){h.MarkStopping},
		OnReady:    ready,
	})
}

// The probes of a real main over a loopback socket: ready, then not ready
// while the dependency is saturated (liveness unaffected: restarting would
// not help), then not ready as soon as the stop begins.
func Example_main() {
	svc, err := kittest.Start(runWorker, "-lame-duck", "2s")
	if err != nil {
		fmt.Println(err)
		return
	}
	show := func(path string) {
		resp, body, err := svc.Get(path)
		if err != nil {
			fmt.Println(path, err)
			return
		}
		fmt.Printf("%s → %d %s\n", path, resp.StatusCode, body)
	}
	show("/readyz")
	queueDepth.Store(12000)
	show("/livez")
	show("/readyz?verbose")
	queueDepth.Store(0)

	stopped := make(chan error, 1)
	go func() { stopped <- svc.Stop() }()
	for range 200 { // the flip comes within milliseconds of the stop
		if resp, _, err := svc.Get("/readyz"); err != nil || resp.StatusCode != http.StatusOK {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	show("/readyz?verbose")
	fmt.Println("main returned:", <-stopped)
	// Output:
	// /readyz → 200 ok
	// /livez → 200 ok
	// /readyz?verbose → 503 [+]shutdown ok
	// [-]queue failed: reason withheld
	// readyz check failed
	//
	// /readyz?verbose → 503 [-]shutdown failed: reason withheld
	// [+]queue ok
	// readyz check failed
	//
	// main returned: <nil>
}
