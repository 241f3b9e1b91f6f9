package app_test

import (
	"fmt"

	"github.com/golocal/golocal/examples/orders/app"
)

// Load layers flags over ORDERS_* variables over the profile's defaults;
// DATABASE_URL is read too, as hosting platforms set it.
func ExampleLoad() {
	cfg, err := app.Load([]string{"--cors-origins", "http://localhost:5173"}, []string{
		"ORDERS_PROFILE=dev",
		"DATABASE_URL=postgres://orders@127.0.0.1/orders",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Profile, cfg.DataDir, cfg.CORSOrigins, cfg.DatabaseURL != "", cfg.SecureCookies)

	_, err = app.Load(nil, []string{"ORDERS_PROFILE=prod"})
	fmt.Println(err)
	// Output:
	// dev data [http://localhost:5173] true false
	// config: session_keys is required in the prod profile: set ORDERS_SESSION_KEYS to a base64 32-byte key (openssl rand -base64 32); to try the service on this machine instead, set ORDERS_PROFILE=dev (a key is then generated in data_dir) or run it under `golocal dev`
}
