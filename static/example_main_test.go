package static_test

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
	"github.com/golocal/golocal/static"
)

//go:embed testdata/site
var siteFiles embed.FS

// runSite is a service's main serving embedded assets under /static/ and
// a page that links them by fingerprinted URL (cached for a year, changed
// by every edit). A real main calls it with os.Args[1:].
func runSite(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fsys := flag.NewFlagSet("site", flag.ContinueOnError)
	addr := fsys.String("addr", "", "address to listen on (default: $PORT, else 127.0.0.1:8080)")
	if err := fsys.Parse(args); err != nil {
		return err
	}
	sub, err := fs.Sub(siteFiles, "testdata/site")
	if err != nil {
		return err
	}
	assets, err := static.New(sub, static.Options{Prefix: "/static/"})
	if err != nil {
		return err
	}
	page := template.Must(template.New("page").Funcs(template.FuncMap{"asset": assets.URL}).Parse(
		`<link rel="stylesheet" href="{{ asset "app.css" }}">`))
	res, err := listen.Listen(ctx, listen.Options{Addr: *addr})
	if err != nil {
		return err
	}
	stack, err := middleware.Stack(middleware.StackOptions{Logger: log})
	if err != nil {
		res.Listener.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", assets)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { page.Execute(w, nil) })
	return serve.Run(ctx, res.Listener, stack(mux), serve.Options{Logger: log, OnReady: ready})
}

// A browser's view over a real socket: the page, its fingerprinted
// stylesheet (immutable), the plain name (revalidated, then 304 by ETag),
// and a path that tries to climb out of the root (refused).
func Example_main() {
	svc, err := kittest.Start(runSite)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Stop()
	_, page, err := svc.Get("/")
	fmt.Println(page, err)
	resp, _, _ := svc.Get("/static/app.117f8504.css")
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), "|", resp.Header.Get("Cache-Control"))
	resp, _, _ = svc.Get("/static/app.css")
	fmt.Println(resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"))
	resp, _, _ = svc.Get("/static/app.css", "If-None-Match: "+resp.Header.Get("ETag"))
	fmt.Println(resp.StatusCode)
	resp, _, _ = svc.Get("/static/..%2f..%2fgo.mod")
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	// Output:
	// <link rel="stylesheet" href="/static/app.117f8504.css"> <nil>
	// 200 text/css; charset=utf-8 | public, max-age=31536000, immutable
	// 200 no-cache "117f85041fb8bb248011e3ade19c2f8b"
	// 304
	// 400 application/problem+json
}
