package config_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/golocal/golocal/config"
	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
)

// shopConfig is a service's configuration: golocal's Base (profile, log
// level, secure cookies, HSTS…) plus its own keys; the values set here are
// the defaults.
type shopConfig struct {
	config.Base
	Addr        string `config:"addr" help:"address to listen on (default: $PORT, else 127.0.0.1:8080)"`
	DatabaseURL string `config:"database_url" secret:"true" help:"PostgreSQL URL"`
}

// runShop is a service's main configured in layers (defaults < file <
// SHOP_* environment < flags), whose profile drives the stack's security
// headers. A real main calls it with os.Args[1:].
func runShop(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	var cfg shopConfig
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	if err := config.RegisterFlags(fs, &cfg); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	loaded, err := config.Load(&cfg, config.Options{EnvPrefix: "SHOP_", Flags: fs})
	if err != nil {
		return err // names every bad key and where it came from
	}
	log.Info("configuration", "profile", loaded.Profile, "config", config.Dump(cfg))
	res, err := listen.Listen(ctx, listen.Options{Addr: cfg.Addr})
	if err != nil {
		return err
	}
	stack, err := middleware.Stack(middleware.StackOptions{Logger: log, Secure: middleware.SecureOptions{Development: cfg.Dev()}})
	if err != nil {
		res.Listener.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(config.Dump(cfg)) // for the example; admin.New serves this on loopback
	})
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{Logger: log, OnReady: ready})
}

// Flags over defaults in a real main, read back over a loopback socket
// with the secret redacted; a misspelt flag stops main with an error.
func Example_main() {
	svc, err := kittest.Start(runShop, "-profile", "dev", "-database-url", "postgres://shop:hunter2@db/shop")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, body, err := svc.Get("/config")
	fmt.Print(body, err, "\n")
	fmt.Println("main returned:", svc.Stop())

	_, err = kittest.Start(runShop, "-profil", "dev")
	fmt.Println(err)
	// Output:
	// {"addr":"127.0.0.1:0","database_url":"[redacted]","fault_injection":false,"gogc":"","gomemlimit":"","hsts":false,"log_level":"debug","profile":"dev","secure_cookies":false}
	// <nil>
	// main returned: <nil>
	// kittest: flag provided but not defined: -profil
}
