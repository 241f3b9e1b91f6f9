package admin_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/golocal/golocal/admin"
	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
)

// shopConfig is the service's configuration; secret fields never show.
type shopConfig struct {
	Addr        string `config:"addr"`
	DatabaseURL string `config:"database_url" secret:"true"`
}

// runShop is a service's main with the admin surface (pprof, config,
// build info) on serve's loopback-only admin server. A real main calls it
// with os.Args[1:].
func runShop(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to listen on (default: $PORT, else 127.0.0.1:8080)")
	adminAddr := fs.String("admin-addr", "127.0.0.1:9090", "loopback address of the admin server")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := shopConfig{Addr: *addr, DatabaseURL: "postgres://shop:hunter2@db/shop"}
	res, err := listen.Listen(ctx, listen.Options{Addr: cfg.Addr})
	if err != nil {
		return err
	}
	stack, err := middleware.Stack(middleware.StackOptions{Logger: log})
	if err != nil {
		res.Listener.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "shop") })
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{
		Logger:  log,
		Admin:   &serve.Admin{Addr: *adminAddr, Handler: admin.New(admin.Options{Config: cfg})},
		OnReady: ready,
	})
}

// The admin server of a real main over loopback: the configuration with
// its secret redacted, and the requests it refuses (one that came through
// a proxy, one whose Host a DNS-rebinding page would send).
func Example_main() {
	svc, err := kittest.Start(runShop, "-admin-addr", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Stop()
	for _, tt := range []struct {
		path   string
		header []string
	}{
		{"/debug/config", nil},
		{"/debug/pprof/", []string{"X-Forwarded-For: 203.0.113.9"}},
		{"/debug/config", []string{"Host: attacker.example:9090"}},
	} {
		resp, body, err := svc.Get(svc.AdminURL+tt.path, tt.header...)
		if err != nil {
			fmt.Println(err)
			return
		}
		if resp.StatusCode == http.StatusOK {
			fmt.Println(resp.StatusCode, strings.Join(strings.Fields(body), " "))
			continue
		}
		_, reason, _ := strings.Cut(body, ": ") // "403 Forbidden: REASON: what to do"
		reason, _, _ = strings.Cut(reason, ":")
		fmt.Println(resp.StatusCode, reason)
	}
	// Output:
	// 200 { "addr": "127.0.0.1:0", "database_url": "[redacted]" }
	// 403 admin endpoints refuse proxied requests
	// 403 admin endpoints refuse unknown Host names
}
