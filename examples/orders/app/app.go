package app

import (
	"context"
	"crypto/rand"
	"database/sql/driver"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/golocal/golocal/admin"
	"github.com/golocal/golocal/examples/orders/sqlstore"
	"github.com/golocal/golocal/examples/orders/web"
	"github.com/golocal/golocal/health"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/otel"
	"github.com/golocal/golocal/serve"
	"github.com/golocal/golocal/session"
)

// Run is the whole program: it loads the configuration from args and
// environ ("KEY=value" lines, as os.Environ gives), opens the database,
// serves until ctx is done or SIGINT/SIGTERM arrives, then drains in-flight
// requests and closes the database. main calls it with the real process
// environment; tests call it with their own.
func Run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	getenv := lookup(environ)
	cfg, err := Load(args, environ)
	if errors.Is(err, flag.ErrHelp) { // -h: the usage is the output asked for
		_, werr := fmt.Fprintln(stdout, strings.TrimPrefix(err.Error(), flag.ErrHelp.Error()+": "))
		return werr
	}
	if err != nil {
		return err
	}
	if _, err := cfg.ApplyRuntime(); err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)

	// Tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT names a collector
	// (OTEL_* variables, see package otel); otherwise it passes through.
	tracing, err := otel.Setup(ctx, otel.Options{ServiceName: "orders", Logger: log, Getenv: getenv})
	if err != nil {
		return err
	}
	defer func() {
		// After serve.Run drained: flush what is queued, bounded by the
		// grace so a hung collector cannot hold the exit.
		sctx, cancel := context.WithTimeout(context.Background(), cfg.Grace)
		defer cancel()
		if err := tracing.Shutdown(sctx); err != nil {
			log.Warn("otel: spans not flushed at exit", "error", err.Error())
		}
	}()

	store, err := openStore(ctx, cfg, tracing)
	if err != nil {
		return err
	}
	defer store.Close()

	keys, err := sessionKeys(cfg, log)
	if err != nil {
		return err
	}
	sessions, err := session.New(session.Options{Keys: keys, Profile: cfg.Profile, Secure: &cfg.SecureCookies, Logger: log})
	if err != nil {
		return err
	}

	h := health.New(health.Options{})
	// Readiness: the database answers a ping and its pool is not saturated;
	// and once a write failed for want of the database (a full or
	// read-only disk under SQLite answers pings), writes work again.
	if err := h.Add(health.Check{Name: "database", Func: health.DB(store.DB(), health.DBOptions{}), Timeout: 2 * time.Second, Interval: time.Second}); err != nil {
		return err
	}
	if err := h.Add(health.Check{Name: "database-writes", Func: func(ctx context.Context) (health.Details, error) { return nil, store.CheckWrites(ctx) }, Timeout: 2 * time.Second, Interval: time.Second}); err != nil {
		return err
	}
	h.Start(ctx)

	m, err := metrics.New(metrics.Options{Namespace: "orders"})
	if err != nil {
		return err
	}
	if err := m.Registry().Register(collectors.NewDBStatsCollector(store.DB(), string(store.Dialect()))); err != nil {
		return err
	}

	handler, err := Handler(HandlerOptions{Config: cfg, Store: store, Sessions: sessions, Health: h, Metrics: m, Logger: log, Tracing: tracing})
	if err != nil {
		return err
	}

	res, err := listen.Listen(ctx, listen.Options{
		Addr:      cfg.Addr,
		LookupEnv: lookupEnv(environ),
	})
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		log.Warn(w)
	}

	opts := serve.Options{
		Logger:     log,
		Getenv:     getenv,
		Grace:      cfg.Grace,
		LameDuck:   cfg.LameDuck,
		OnStopping: []func(){h.MarkStopping},
		OnReady: func(r serve.Ready) {
			announce := announcer(stdout, cfg)
			// Under golocal dev the socket is internal; the dev front's URL
			// (GOLOCAL_DEV_URL) is the one to open.
			if u := getenv("GOLOCAL_DEV_URL"); u != "" {
				announce(fmt.Sprintf("orders: serving %s behind golocal dev at %s (%s, %s profile)", r.Addr, u, store.Dialect(), cfg.Profile))
			} else {
				announce(fmt.Sprintf("orders: listening on http://%s/orders (%s, %s profile)", r.Addr, store.Dialect(), cfg.Profile))
			}
			if r.AdminAddr != nil {
				announce(fmt.Sprintf("orders: admin on http://%s/ (metrics, health details, pprof)", r.AdminAddr))
			}
		},
	}
	if cfg.AdminAddr != "off" {
		opts.Admin = &serve.Admin{Addr: cfg.AdminAddr, Handler: admin.New(admin.Options{
			Metrics: m.Handler(),
			Health:  h.DetailedHandler(),
			Config:  cfg,
		})}
	}
	return serve.Run(ctx, res.Listener, handler, opts)
}

// HandlerOptions are the parts Handler assembles.
type HandlerOptions struct {
	Config   *Config
	Store    *sqlstore.Store
	Sessions *session.Manager
	Health   *health.Health
	Metrics  *metrics.Metrics
	Logger   *slog.Logger
	// Tracing, when enabled, adds a server span per request.
	Tracing *otel.Tracing
}

// Handler is the public handler: the web routes and the health probes,
// inside golocal's production middleware stack.
func Handler(o HandlerOptions) (http.Handler, error) {
	cfg := o.Config
	routes, err := web.New(web.Options{
		Orders:         o.Store,
		Sessions:       o.Sessions,
		TrustedOrigins: cfg.CORSOrigins,
		Logger:         o.Logger,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	o.Health.Register(mux)
	mux.Handle("/", routes)

	so := middleware.StackOptions{
		Logger:  o.Logger,
		Profile: cfg.Profile, // Server-Timing (db, total) under local and dev
		Secure:  middleware.SecureOptions{Development: cfg.Dev(), NoHSTS: !cfg.HSTS},
	}
	if o.Metrics != nil {
		so.Metrics = o.Metrics.Middleware
	}
	if o.Tracing.Enabled() {
		so.Tracing = o.Tracing.Handler
	}
	if len(cfg.CORSOrigins) > 0 {
		so.CORS = &middleware.CORSOptions{
			AllowedOrigins:   cfg.CORSOrigins,
			AllowedMethods:   []string{"GET", "HEAD", "POST"},
			AllowedHeaders:   []string{"Accept", "Content-Type", "Idempotency-Key", "X-Request-Id"},
			ExposedHeaders:   []string{"Location", "Link", "X-Total-Count", "X-Request-Id", "Idempotent-Replayed", "Retry-After"},
			AllowCredentials: true,
			MaxAge:           10 * time.Minute,
		}
	}
	if cfg.FaultInjection {
		so.Fault = &middleware.FaultOptions{Profile: cfg.Profile}
	}
	stack, err := middleware.Stack(so)
	if err != nil {
		return nil, err
	}
	return stack(mux), nil
}

// openStore opens PostgreSQL when a URL is configured, else SQLite.
// With tracing enabled every statement becomes a span.
func openStore(ctx context.Context, cfg *Config, tracing *otel.Tracing) (*sqlstore.Store, error) {
	var opts []sqlstore.Option
	if tracing.Enabled() {
		opts = append(opts, sqlstore.WithConnector(func(c driver.Connector, d sqlstore.Dialect) driver.Connector {
			system := "sqlite"
			if d == sqlstore.Postgres {
				system = "postgresql" // the OpenTelemetry db.system.name
			}
			return tracing.WrapConnector(c, system)
		}))
	}
	if cfg.DatabaseURL != "" {
		s, err := sqlstore.OpenPostgres(ctx, cfg.DatabaseURL, opts...)
		if err != nil {
			return nil, fmt.Errorf("%w (check database_url / DATABASE_URL; unset it to use SQLite)", err)
		}
		return s, nil
	}
	return sqlstore.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "orders.db"), opts...)
}

// sessionKeys returns the configured keys or, in local and dev only, a key
// kept in the data folder so sessions survive restarts under golocal dev.
func sessionKeys(cfg *Config, log *slog.Logger) ([][]byte, error) {
	if cfg.SessionKeys != "" {
		keys, err := session.ParseKeys(cfg.SessionKeys)
		if err != nil {
			return nil, fmt.Errorf("session_keys: %w", err)
		}
		return keys, nil
	}
	if !cfg.Dev() {
		return nil, fmt.Errorf("session_keys is required in the %s profile", cfg.Profile)
	}
	path := filepath.Join(cfg.DataDir, "session.key")
	if b, err := os.ReadFile(path); err == nil {
		if keys, err := session.ParseKeys(strings.TrimSpace(string(b))); err == nil {
			return keys, nil
		}
		log.Warn("ignoring unreadable development session key; writing a new one", "path", path)
	}
	key := make([]byte, session.KeySize)
	rand.Read(key)
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create the data folder: %w", err)
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write the development session key: %w", err)
	}
	log.Info("generated a development session key", "path", path)
	return [][]byte{key}, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// announcer prints the start-up lines: plain text for a person in the
// local and dev profiles, JSON log records elsewhere, where every line the
// process writes goes to a log pipeline (golocal verify's logs.json).
func announcer(stdout io.Writer, cfg *Config) func(string) {
	if cfg.Dev() {
		return func(msg string) { fmt.Fprintln(stdout, msg) }
	}
	log := slog.New(slog.NewJSONHandler(stdout, nil))
	return func(msg string) { log.Info(msg) }
}

// lookup turns "KEY=value" lines into a getenv function.
func lookup(environ []string) func(string) string {
	return func(key string) string {
		v, _ := lookupEnv(environ)(key)
		return v
	}
}

func lookupEnv(environ []string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		for i := len(environ) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(environ[i], key+"="); ok {
				return v, true
			}
		}
		return "", false
	}
}
