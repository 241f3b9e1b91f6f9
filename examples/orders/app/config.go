package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/golocal/golocal/config"
)

// EnvPrefix selects the environment variables of the configuration:
// ORDERS_DATABASE_URL, ORDERS_CORS_ORIGINS, … (plus PORT, LISTEN_FDS and
// DATABASE_URL, read directly).
const EnvPrefix = "ORDERS_"

// Config is the service's configuration, loaded in layers (defaults <
// profile < file < ORDERS_* environment < flags) by package config.
type Config struct {
	config.Base
	// Addr is where to listen; empty means PORT, else 127.0.0.1:8080.
	// A socket passed by `golocal dev` or systemd (LISTEN_FDS) wins.
	Addr string `config:"addr" help:"address to listen on; empty: $PORT or 127.0.0.1:8080"`
	// DatabaseURL selects PostgreSQL (postgres://user:pass@host/db). Empty
	// means SQLite in DataDir. The DATABASE_URL variable is read too.
	DatabaseURL string `config:"database_url" secret:"true" help:"PostgreSQL URL; empty: SQLite under data_dir"`
	// DataDir holds the SQLite database and, in local/dev, the generated
	// session key.
	DataDir string `config:"data_dir" help:"folder for the SQLite database"`
	// CORSOrigins may call the API from the browser with credentials, each
	// scheme://host[:port]; they are also trusted by the CSRF protection.
	CORSOrigins []string `config:"cors_origins" help:"origins allowed to call the API cross-origin (comma-separated)"`
	// SessionKeys are base64 32-byte keys, newest first (rotation). Required
	// in staging and prod; local and dev generate one in DataDir.
	SessionKeys string `config:"session_keys" secret:"true" help:"base64 AES-256 session keys, newest first"`
	// AdminAddr is the loopback admin listener (metrics, pprof, health
	// details, config); "off" disables it.
	AdminAddr string `config:"admin_addr" help:"admin listener address (loopback), or off"`
	// Grace bounds the wait for in-flight requests when stopping.
	Grace time.Duration `config:"grace" help:"how long a stop waits for in-flight requests"`
	// LameDuck keeps serving after readiness turns 503, before the listener
	// closes; use a readiness-probe period behind a load balancer.
	LameDuck time.Duration `config:"lame_duck" help:"serve this long after readiness fails before closing the listener"`
}

// defaults returns the struct defaults.
func defaults() Config {
	return Config{DataDir: "data", AdminAddr: "127.0.0.1:0", Grace: 10 * time.Second}
}

// profileDefaults: in staging and prod the admin port is fixed so
// scrapers find it; in local and dev it is any free port, because
// `golocal dev` runs the old and the new version side by side for a moment.
func profileDefaults() map[string]map[string]any {
	return map[string]map[string]any{
		"staging": {"admin_addr": "127.0.0.1:9090", "lame_duck": "5s"},
		"prod":    {"admin_addr": "127.0.0.1:9090", "lame_duck": "5s"},
	}
}

// Validate checks what the layers cannot: called by config.Load.
func (c *Config) Validate() error {
	var problems []string
	for _, o := range c.CORSOrigins {
		if o == "*" {
			problems = append(problems, `cors_origins: "*" is not allowed because the API is called with credentials; list the origins`)
		}
	}
	if !c.Dev() && c.SessionKeys == "" {
		problems = append(problems, fmt.Sprintf("session_keys is required in the %s profile: set %sSESSION_KEYS to a base64 32-byte key (openssl rand -base64 32); "+
			"to try the service on this machine instead, set %sPROFILE=dev (a key is then generated in data_dir) or run it under `golocal dev`", c.Profile, EnvPrefix, EnvPrefix))
	}
	if c.DataDir == "" && c.DatabaseURL == "" {
		problems = append(problems, "data_dir is empty and no database_url is set: one of them must say where the orders live")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// Load reads the configuration from flags in args and the ORDERS_*
// variables of environ; DATABASE_URL is honoured when database_url is not
// set, since that is what hosting platforms provide.
func Load(args, environ []string) (*Config, error) {
	cfg := defaults()
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := config.RegisterFlags(fs, &cfg); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, fmt.Errorf("%w: usage: orders [--flags]; every flag is also ORDERS_<NAME> in the environment (defaults are the prod profile's; ORDERS_PROFILE=dev changes some):\n%s", flag.ErrHelp, flagHelp(fs))
		}
		return nil, fmt.Errorf("%w (run with -h to list the flags)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: orders takes only flags (run with -h)", fs.Arg(0))
	}
	if _, err := config.Load(&cfg, config.Options{EnvPrefix: EnvPrefix, Environ: environ, Flags: fs, ProfileDefaults: profileDefaults()}); err != nil {
		return nil, err
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = lookup(environ)("DATABASE_URL")
	}
	return &cfg, nil
}

func flagHelp(fs *flag.FlagSet) string {
	var b strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(&b, "  --%s\t%s", f.Name, f.Usage)
		if f.DefValue != "" && f.DefValue != "[redacted]" {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	})
	return b.String()
}
