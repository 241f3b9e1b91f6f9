package listen_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
)

// runService is a service's main: listen.Listen picks the socket (a
// socket passed by systemd or `golocal dev`, else -addr, else $PORT, else
// 127.0.0.1:8080) and says where it came from; middleware.Stack and
// serve.Run do the rest. A real main calls it with os.Args[1:].
func runService(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to listen on; a bare :PORT means loopback (default: $PORT, else 127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := listen.Listen(ctx, listen.Options{Addr: *addr})
	if err != nil {
		return err // says which setting was wrong and, for a busy port, which process holds it
	}
	for _, w := range res.Warnings {
		log.Warn(w)
	}
	stack, err := middleware.Stack(middleware.StackOptions{Logger: log})
	if err != nil {
		res.Listener.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "address from %s", res.Source)
	})
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{
		Logger:  log,
		OnReady: ready,
	})
}

// The listener in a real main, reached over loopback: ":0" has no host, so
// it is loopback, not every interface. A bad address stops main with an
// error that says what to write instead.
func Example_main() {
	svc, err := kittest.Start(runService, "-addr", ":0")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, body, err := svc.Get("/")
	fmt.Println(svc.URL[:len("http://127.0.0.1:")], body, err)
	fmt.Println("main returned:", svc.Stop())

	_, err = kittest.Start(runService, "-addr", "localhost:http")
	fmt.Println(err)
	// Output:
	// http://127.0.0.1: address from option <nil>
	// main returned: <nil>
	// kittest: Options.Addr="localhost:http" from options: "http" is not a number; port must be 1-65535 (or 0 for any free port)
}
