package admin_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocal/golocal/admin"
	"github.com/golocal/golocal/config"
	"github.com/golocal/golocal/health"
	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/serve"
)

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSecretFromEnvironmentNeverShown loads a configuration whose secrets
// come from the environment and from command-line flags (the process's
// own os.Args, which /debug/pprof/cmdline shows), runs the public and
// admin listeners on real loopback sockets, fetches every admin endpoint
// and a failing config load, and greps every body, header and log line
// for the secrets. Before the admin package served its own redacted
// cmdline, pprof's printed the flag secret.
func TestSecretFromEnvironmentNeverShown(t *testing.T) {
	const secret = "pa55-Never-Shown-7f3c"
	const flagSecret = "fl4g-Never-Shown-91ab"
	type appConfig struct {
		config.Base
		DatabaseURL string `config:"database_url" secret:"true"`
		SessionKeys string `config:"session_keys" secret:"true" required:"true"`
		Port        int    `config:"port"`
	}
	environ := []string{
		"APP_PROFILE=local",
		"APP_DATABASE_URL=postgres://app:" + secret + "@127.0.0.1:5432/app",
		"APP_SESSION_KEYS=" + secret,
	}
	var outputs []string
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// A failing load (bad port) with the secret set: the error must not echo it.
	var bad appConfig
	if _, err := config.Load(&bad, config.Options{EnvPrefix: "APP_", Environ: append(environ, "APP_PORT=eighty")}); err == nil {
		t.Fatal("APP_PORT=eighty loaded without error")
	} else {
		outputs = append(outputs, err.Error())
		logger.Error("config", "error", err)
	}

	// The flag secrets are in the process's own command line, where
	// /debug/pprof/cmdline reads them.
	savedArgs := os.Args
	os.Args = []string{savedArgs[0], "--database-url=postgres://app:" + flagSecret + "@127.0.0.1:5432/app", "-session-keys", flagSecret, "-port", "8080"}
	t.Cleanup(func() { os.Args = savedArgs })
	var cfg appConfig
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	if err := config.RegisterFlags(fs, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		t.Fatal(err)
	}
	res, err := config.Load(&cfg, config.Options{EnvPrefix: "APP_", Environ: environ, Flags: fs})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cfg.DatabaseURL, flagSecret) || cfg.SessionKeys != flagSecret {
		t.Fatalf("the secrets did not load from the flags: %q %q", cfg.DatabaseURL, cfg.SessionKeys)
	}
	logger.Info("configuration loaded", "config", config.Dump(&cfg), "sources", res.Sources)

	h := health.New(health.Options{})
	m, err := metrics.New(metrics.Options{Version: "v0.0.1", Revision: "test"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	adminHandler := admin.New(admin.Options{Metrics: m.Handler(), Health: h.DetailedHandler(), Config: &cfg})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan serve.Ready, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve.Run(ctx, ln, m.Middleware(mux), serve.Options{
			Admin:         &serve.Admin{Addr: "127.0.0.1:0", Handler: adminHandler},
			OnReady:       func(r serve.Ready) { ready <- r },
			OnStopping:    []func(){h.MarkStopping},
			IgnoreSignals: true,
			Getenv:        func(string) string { return "" },
			Logger:        logger,
		})
	}()
	var r serve.Ready
	select {
	case r = <-ready:
	case err := <-done:
		t.Fatalf("serve.Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server not ready")
	}
	adminURL := "http://" + r.AdminAddr.String()
	publicURL := "http://" + r.Addr.String()
	for _, u := range []string{
		adminURL + "/", adminURL + "/debug/config", adminURL + "/debug/buildinfo", adminURL + "/metrics",
		adminURL + "/readyz?verbose", adminURL + "/livez?verbose", publicURL + "/readyz?verbose", publicURL + "/debug/config",
		adminURL + "/debug/pprof/", adminURL + "/debug/pprof/cmdline", adminURL + "/debug/pprof/goroutine?debug=2",
		adminURL + "/debug/pprof/heap?debug=1", adminURL + "/debug/pprof/symbol", adminURL + "/nonexistent",
	} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var hdr strings.Builder
		_ = resp.Header.Write(&hdr)
		outputs = append(outputs, u+"\n"+hdr.String()+string(body))
		if strings.HasSuffix(u, "/debug/config") && strings.HasPrefix(u, adminURL) && !strings.Contains(string(body), config.Redacted) {
			t.Errorf("/debug/config does not show the redaction marker:\n%s", body)
		}
		if strings.HasSuffix(u, "/cmdline") {
			want := "--database-url=" + config.Redacted + "\x00-session-keys\x00" + config.Redacted + "\x00-port\x008080"
			if !strings.HasSuffix(string(body), want) {
				t.Errorf("/debug/pprof/cmdline = %q, want it to end %q", body, want)
			}
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("serve.Run: %v", err)
	}
	outputs = append(outputs, logs.String())
	for _, out := range outputs {
		for _, s := range []string{secret, flagSecret} {
			if strings.Contains(out, s) {
				t.Errorf("the secret %s leaked:\n%s", s, out)
			}
		}
	}
}
