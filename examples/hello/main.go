// Command hello is the smallest service built on golocal's serve package:
// an HTML page at / and a JSON endpoint at /api/hello, served on loopback
// with safe timeouts and a graceful stop on Ctrl-C or SIGTERM.
//
//	go run ./examples/hello            # http://127.0.0.1:8080
//	PORT=9000 go run ./examples/hello  # another port; PORT=0 picks a free one
//
// It stands in for the reference service (examples/orders) until that
// one exists.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/golocal/golocal/serve"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "hello: %v\n", err)
		os.Exit(1)
	}
}

// run is main without the process: tests call it with their own getenv
// and writers, and stop it by cancelling ctx.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q; hello takes no arguments (set PORT to choose the port)", args[0])
	}
	port, err := parsePort(getenv("PORT"))
	if err != nil {
		return err
	}
	ln, err := listen(ctx, port)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	return serve.Run(ctx, ln, newServer(), serve.Options{
		Logger: log,
		Getenv: getenv,
		// In tests ctx does the stopping; a real run also stops on
		// SIGINT/SIGTERM.
		IgnoreSignals: getenv("HELLO_IGNORE_SIGNALS") == "1",
		OnReady: func(r serve.Ready) {
			fmt.Fprintf(stdout, "hello: listening on http://%s/ (Ctrl-C to stop)\n", r.Addr)
		},
	})
}

// parsePort reads PORT: empty means 8080, 0 means any free port.
func parsePort(value string) (int, error) {
	if value == "" {
		return 8080, nil
	}
	port, err := strconv.Atoi(value)
	if err != nil || port < 0 || port > 65535 {
		return 0, fmt.Errorf("PORT=%q is not a port number; use 1-65535, or 0 for any free port", value)
	}
	return port, nil
}

func listen(ctx context.Context, port int) (net.Listener, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	switch {
	case err == nil:
		return ln, nil
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("port %d is already in use (another server is running?); set PORT to another port, e.g. PORT=%d", port, port+1)
	case errors.Is(err, syscall.EACCES) && port < 1024:
		return nil, fmt.Errorf("port %d needs root or CAP_NET_BIND_SERVICE; try 8080 or set PORT", port)
	default:
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
}

// newServer maps the whole surface.
func newServer() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", handleIndex)
	mux.HandleFunc("GET /api/hello", handleHello)
	return mux
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hello from golocal</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}</style>
</head>
<body>
<h1>Hello from golocal</h1>
<p>This page is served by <code>examples/hello</code> with <code>serve.Run</code>:
safe timeouts, a graceful stop, sd_notify.</p>
<p>Try the JSON endpoint: <a href="/api/hello?name=gopher"><code>/api/hello?name=gopher</code></a></p>
<p><small>Served at {{.}}</small></p>
</body>
</html>
`))

func handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	_ = indexPage.Execute(w, time.Now().UTC().Format(time.RFC3339))
}

// maxName bounds the greeting so the endpoint cannot be made to echo
// arbitrary amounts of data.
const maxName = 64

func handleHello(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	switch {
	case name == "":
		name = "world"
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxName:
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error": fmt.Sprintf("name must be valid UTF-8 of at most %d characters", maxName),
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "hello, " + name})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
