package negotiate_test

import (
	"context"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/negotiate"
	"github.com/golocal/golocal/serve"
)

type order struct {
	ID    int    `json:"id"`
	Total string `json:"total"`
}

// runOrders is a service's main whose handler answers JSON to API clients
// and HTML to browsers from the same route; the page's inline script runs
// under the stack's CSP through its per-request nonce. A real main calls it
// with os.Args[1:].
func runOrders(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to listen on (default: $PORT, else 127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := listen.Listen(ctx, listen.Options{Addr: *addr})
	if err != nil {
		return err
	}
	stack, err := middleware.Stack(middleware.StackOptions{Logger: log})
	if err != nil {
		res.Listener.Close()
		return err
	}
	page := template.Must(template.New("order").Parse(
		`<h1>Order {{.Value.ID}}</h1><script nonce="{{.Nonce}}">track()</script>`))
	opts := negotiate.Options{Template: page, Nonce: middleware.Nonce}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		negotiate.Render(w, r, order{ID: 7, Total: "12.50"}, opts)
	})
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{
		Logger:  log,
		OnReady: ready,
	})
}

// One route, three clients over a real socket: an API client gets JSON, a
// browser gets the page (its script nonce matching the CSP header), and a
// client that accepts neither gets a 406 problem naming what it could ask
// for. Every answer carries Vary: Accept for caches.
func Example_main() {
	svc, err := kittest.Start(runOrders)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Stop()
	for _, accept := range []string{"application/json", "text/html,application/xhtml+xml,*/*;q=0.8", "image/png"} {
		resp, body, err := svc.Get("/orders/7", "Accept: "+accept)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), "Vary:", resp.Header.Get("Vary"))
		switch {
		case resp.StatusCode == http.StatusNotAcceptable:
			fmt.Println("offers application/json and text/html:", strings.Contains(body, `"available":["application/json","text/html`))
		case strings.HasPrefix(body, "<h1>"):
			nonce := body[strings.Index(body, `nonce="`)+7 : strings.LastIndex(body, `"`)]
			fmt.Println("script nonce in the CSP:", strings.Contains(resp.Header.Get("Content-Security-Policy"), "'nonce-"+nonce+"'"))
		default:
			fmt.Print(body)
		}
	}
	// Output:
	// 200 application/json Vary: Accept
	// {"id":7,"total":"12.50"}
	// 200 text/html; charset=utf-8 Vary: Accept
	// script nonce in the CSP: true
	// 406 application/problem+json Vary: Accept
	// offers application/json and text/html: true
}
