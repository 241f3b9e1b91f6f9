package static_test

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/golocal/golocal/static"
)

//go:embed testdata/site
var assets embed.FS

// A service embeds its assets, serves them under /static/ and links them
// from templates through fingerprinted URLs that browsers cache for a year.
func Example() {
	sub, err := fs.Sub(assets, "testdata/site")
	if err != nil {
		log.Fatal(err)
	}
	files, err := static.New(sub, static.Options{Prefix: "/static/"})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", files)

	page := template.Must(template.New("page").Funcs(template.FuncMap{"asset": files.URL}).Parse(
		`<link rel="stylesheet" href="{{ asset "app.css" }}">` + "\n"))
	_ = page.Execute(os.Stdout, nil)

	href, _ := files.URL("app.css")
	for _, target := range []string{href, "/static/app.css", "/static/..%5cgo.mod", "/static/docs/"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Println(target, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
	}
	// Output:
	// <link rel="stylesheet" href="/static/app.117f8504.css">
	// /static/app.117f8504.css 200 text/css; charset=utf-8 public, max-age=31536000, immutable
	// /static/app.css 200 text/css; charset=utf-8 no-cache
	// /static/..%5cgo.mod 400 application/problem+json no-store
	// /static/docs/ 404 application/problem+json no-store
}

// Revalidation costs a 304 and no body: the ETag is the content's hash.
func ExampleServer_ServeHTTP() {
	sub, _ := fs.Sub(assets, "testdata/site")
	files, err := static.New(sub, static.Options{})
	if err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	files.ServeHTTP(rec, httptest.NewRequest("GET", "/js/app.js", nil))
	etag := rec.Header().Get("ETag")
	fmt.Println(rec.Code, etag)

	again := httptest.NewRequest("GET", "/js/app.js", nil)
	again.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	files.ServeHTTP(rec, again)
	fmt.Println(rec.Code, rec.Body.Len())
	// Output:
	// 200 "2bf8b125d15a71b5fa79fe710cae0db9"
	// 304 0
}

// Dir serves a directory on disk through os.Root: no path and no symbolic
// link reaches outside it.
func ExampleDir() {
	files, err := static.Dir("testdata/site", static.Options{Prefix: "/assets/"})
	if err != nil {
		log.Fatal(err)
	}
	defer files.Close()
	for _, target := range []string{"/assets/", "/assets/img/logo.png", "/assets/.env"} {
		rec := httptest.NewRecorder()
		files.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Println(target, rec.Code, rec.Header().Get("Content-Type"))
	}
	// Output:
	// /assets/ 200 text/html; charset=utf-8
	// /assets/img/logo.png 200 image/png
	// /assets/.env 404 application/problem+json
}

func ExampleIsFingerprinted() {
	for _, name := range []string{"app.3f2a9c1e.css", "app-JDEK2ZQ3.js", "app.css", "app.bootstrap.css"} {
		fmt.Println(name, static.IsFingerprinted(name))
	}
	// Output:
	// app.3f2a9c1e.css true
	// app-JDEK2ZQ3.js true
	// app.css false
	// app.bootstrap.css false
}

func ExampleContentType() {
	for _, name := range []string{"app.js", "site.webmanifest", "logo.svg", "data.json", "README"} {
		fmt.Println(name, static.ContentType(name))
	}
	// Output:
	// app.js text/javascript; charset=utf-8
	// site.webmanifest application/manifest+json
	// logo.svg image/svg+xml
	// data.json application/json
	// README application/octet-stream
}
