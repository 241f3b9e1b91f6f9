// Command hello is the smallest complete service on golocal's kit, the
// wiring to copy into your own main: listen.Listen opens the listener
// (PORT, systemd socket activation, errors naming the process holding the
// port), middleware.Stack adds recover, trace ids, the access log and
// security headers (a CSP nonce the page's style uses), and serve.Run
// serves with safe timeouts and a graceful stop on Ctrl-C or SIGTERM. It
// has an HTML page at / and a JSON endpoint at /api/hello.
//
//	go run ./examples/hello            # http://127.0.0.1:8080
//	PORT=9000 go run ./examples/hello  # another port
//	HELLO_ADDR=127.0.0.1:0 go run ./examples/hello  # an address; port 0 picks a free one
//
// examples/orders is the reference service that uses every package.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"
	"unicode/utf8"

	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
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
	// HELLO_ADDR, else PORT, else 127.0.0.1:8080.
	res, err := listen.Listen(ctx, listen.Options{Addr: getenv("HELLO_ADDR"), Default: "127.0.0.1:8080", Getenv: getenv})
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	stack, err := middleware.Stack(middleware.StackOptions{
		Logger: log,
		// Plain HTTP on localhost: no HSTS. The CSP stays nonce-based.
		Secure: middleware.SecureOptions{Development: true},
	})
	if err != nil {
		res.Listener.Close()
		return err
	}
	return serve.Run(ctx, res.Listener, stack(newServer()), serve.Options{
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
<style nonce="{{.Nonce}}">body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}</style>
</head>
<body>
<h1>Hello from golocal</h1>
<p>This page is served by <code>examples/hello</code> through <code>listen.Listen</code>,
<code>middleware.Stack</code> and <code>serve.Run</code>: safe timeouts, security headers, a graceful stop.</p>
<p>Try the JSON endpoint: <a href="/api/hello?name=gopher"><code>/api/hello?name=gopher</code></a></p>
<p><small>Served at {{.Time}}</small></p>
</body>
</html>
`))

func handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_ = indexPage.Execute(w, struct{ Nonce, Time string }{middleware.Nonce(r.Context()), time.Now().UTC().Format(time.RFC3339)})
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
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
