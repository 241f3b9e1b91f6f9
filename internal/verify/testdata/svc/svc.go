// Package svc is the "good" service verify's tests audit: a small kit
// service that passes every check, with toggles that each break one
// behaviour (BREAK=id,id in the environment, or the breaks a named bad
// service passes to Main).
package svc

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/golocal/golocal/health"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
)

type service struct {
	breaks   map[string]bool
	log      *slog.Logger
	mu       sync.Mutex
	items    []string
	stopping atomic.Bool
}

func (s *service) broken(ids ...string) bool {
	for _, id := range ids {
		if s.breaks[id] {
			return true
		}
	}
	return false
}

// Main runs the service with the given breaks plus those in $BREAK.
func Main(breaks ...string) {
	s := &service{breaks: map[string]bool{}}
	for _, b := range append(breaks, strings.Split(os.Getenv("BREAK"), ",")...) {
		if b != "" {
			s.breaks[b] = true
		}
	}
	if err := s.run(); err != nil {
		s.log.Error("stopped", "err", err.Error())
		os.Exit(1)
	}
	if s.broken("lifecycle.exit-within-grace") {
		time.Sleep(10 * time.Second)
	}
	if s.broken("lifecycle.clean-exit") {
		os.Exit(3)
	}
}

func (s *service) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if s.broken("logs.no-debug-in-prod") {
		opts.Level = slog.LevelDebug
	}
	if s.broken("logs.fields") {
		opts.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.LevelKey {
				return slog.Attr{}
			}
			return a
		}
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(middleware.NewJSONHandler(os.Stderr, opts))
}

func (s *service) run() error {
	s.log = s.logger()
	if f := os.Getenv("PIDFILE"); f != "" {
		os.WriteFile(f, []byte(strconv.Itoa(os.Getpid())), 0o600)
	}
	if s.broken("never-listen") {
		select {}
	}
	profile := os.Getenv("GOLOCAL_PROFILE")
	if profile == "prod" && os.Getenv("GOOD_API_TOKEN") == "" && !s.broken("config.refuses-without-secrets") {
		if s.broken("config.names-missing-key") {
			return fmt.Errorf("configuration invalid")
		}
		return fmt.Errorf("GOOD_API_TOKEN is required in the prod profile: set it to the API token")
	}
	s.startupLogs()
	if s.broken("lifecycle.second-signal-forces") {
		signal.Ignore(syscall.SIGTERM)
	}
	h, err := s.health()
	if err != nil {
		return err
	}
	m, err := metrics.New(metrics.Options{Namespace: "good", NoRuntimeCollectors: s.broken("runtime.gogc")})
	if err != nil {
		return err
	}
	if err := s.extraMetrics(m); err != nil {
		return err
	}
	handler, err := s.handler(h, m)
	if err != nil {
		return err
	}
	res, err := listen.Listen(context.Background(), listen.Options{})
	if err != nil {
		return err
	}
	ln := res.Listener
	if s.broken("limits.slowloris-latency") {
		ln = &limitListener{Listener: ln, sem: make(chan struct{}, 8)}
	}
	return serve.Run(context.Background(), ln, handler, s.serveOptions(h, m))
}

func (s *service) startupLogs() {
	if s.broken("logs.json") {
		fmt.Println("good: starting (a plain-text line)")
	}
	s.log.Debug("debug details")
	if s.broken("logs.no-secret-in-logs") {
		s.log.Info("starting", "env", os.Environ())
	}
}

func (s *service) serveOptions(h *health.Health, m *metrics.Metrics) serve.Options {
	o := serve.Options{
		Logger:            s.log,
		ReadHeaderTimeout: 2 * time.Second,
		LameDuck:          time.Second,
		Grace:             5 * time.Second,
		OnStopping:        []func(){h.MarkStopping, func() { s.stopping.Store(true) }},
	}
	if s.broken("lifecycle.second-signal-forces") {
		o.IgnoreSignals = true // and SIGTERM is ignored: a deaf process
	}
	if s.broken("lifecycle.readiness-before-close") {
		o.OnStopping = o.OnStopping[1:]
	}
	if s.broken("limits.slowloris") {
		o.ReadHeaderTimeout, o.ReadTimeout = -1, -1
	}
	if s.broken("limits.header-cap") {
		o.MaxHeaderBytes = -1
	}
	if s.broken("http.large-header") {
		o.MaxHeaderBytes = 4 << 20
	}
	if !s.broken("admin.present") {
		o.Admin = &serve.Admin{Addr: "127.0.0.1:0", Handler: s.adminHandler(h, m)}
		if s.broken("admin.loopback") {
			o.Admin.Addr, o.Admin.AllowNonLoopback = "0.0.0.0:0", true
		}
	}
	return o
}

func (s *service) health() (*health.Health, error) {
	h := health.New(health.Options{})
	db := os.Getenv("DATABASE_URL")
	ping := func(ctx context.Context) (health.Details, error) {
		u, err := url.Parse(db)
		if err != nil {
			return nil, err
		}
		c, err := (&net.Dialer{Timeout: 300 * time.Millisecond}).DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return nil, err
		}
		c.Close()
		return nil, nil
	}
	if db != "" && !s.broken("probes.readiness-covers-dependencies", "probes.readiness-fails-with-dependency") {
		if err := h.Add(health.Check{Name: "database", Func: ping, Kind: health.Readiness, Timeout: time.Second, Interval: 200 * time.Millisecond}); err != nil {
			return nil, err
		}
	}
	if db != "" && s.broken("probes.liveness-no-dependencies", "probes.liveness-survives-dependency") {
		if err := h.Add(health.Check{Name: "database-live", Func: ping, Kind: health.Liveness, Timeout: time.Second, Interval: 200 * time.Millisecond}); err != nil {
			return nil, err
		}
	}
	h.Start(context.Background())
	return h, nil
}
