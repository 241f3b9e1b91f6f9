package config_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/golocal/golocal/config"
)

// Config is a service's configuration: golocal's Base plus its own keys.
type Config struct {
	config.Base
	Addr        string `config:"addr" help:"address to listen on"`
	DatabaseURL string `config:"database_url" secret:"true"`
	SessionKeys string `config:"session_keys" secret:"true" required:"true"`
}

func ExampleLoad() {
	cfg := Config{Addr: "127.0.0.1:8080"} // the struct's values are the defaults
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	if err := config.RegisterFlags(fs, &cfg); err != nil {
		panic(err)
	}
	_ = fs.Parse([]string{"--addr", "127.0.0.1:9090"})

	res, err := config.Load(&cfg, config.Options{
		EnvPrefix: "ORDERS_",
		// Environ defaults to os.Environ(); set here to keep the example self-contained.
		Environ: []string{"ORDERS_PROFILE=dev", "ORDERS_SESSION_KEYS=c2VjcmV0", "ORDERS_DATABASE_URL=postgres://u:pw@db/orders"},
		Flags:   fs,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println("profile:", res.Profile, "secure cookies:", cfg.SecureCookies, "addr from:", res.Sources["addr"])
	js, _ := json.Marshal(config.Dump(cfg))
	fmt.Println(string(js))
	// Output:
	// profile: dev secure cookies: false addr from: flag --addr
	// {"addr":"127.0.0.1:9090","database_url":"[redacted]","fault_injection":false,"gogc":"","gomemlimit":"","hsts":false,"log_level":"debug","profile":"dev","secure_cookies":false,"session_keys":"[redacted]"}
}

func ExampleLoad_errors() {
	var cfg Config
	_, err := config.Load(&cfg, config.Options{
		EnvPrefix: "ORDERS_",
		Environ:   []string{"ORDERS_ADRR=:80", "ORDERS_PROFILE=production"},
	})
	fmt.Println(err)
	// Output:
	// config: 2 problems:
	//   unknown environment variable ORDERS_ADRR (prefix ORDERS_ is reserved for this program's config); did you mean ORDERS_ADDR?
	//   unknown profile "production" (from env ORDERS_PROFILE): use one of local, dev, staging, prod
}
