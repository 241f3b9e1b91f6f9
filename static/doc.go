// Package static serves a tree of files — an embed.FS narrowed with fs.Sub,
// or a directory on disk — with what browsers and caches need: a strong
// ETag from each file's content, Cache-Control: immutable for fingerprinted
// names and no-cache (revalidate) for the rest, a Content-Type that does not
// depend on the machine, X-Content-Type-Options: nosniff, index.html for
// directories, no directory listings, and no way out of the root.
//
// Getting started:
//
//	//go:embed assets
//	var assets embed.FS
//
//	sub, _ := fs.Sub(assets, "assets")
//	files, err := static.New(sub, static.Options{Prefix: "/static/"})
//	if err != nil {
//		return err
//	}
//	mux.Handle("GET /static/", files)
//	page := template.Must(template.New("page").Funcs(template.FuncMap{"asset": files.URL}).Parse(
//		`<link rel="stylesheet" href="{{ asset "app.css" }}">`)) // /static/app.3f2a9c1e.css
//
// [Server.URL] hands out fingerprinted aliases of plain names, which the
// server answers with Cache-Control: immutable; a bundler's own hashed names
// ([IsFingerprinted] documents the rule) are immutable as they are. For a
// directory on disk use [Dir], which opens it with os.OpenRoot so neither
// "../" nor a symbolic link can reach outside. Errors (400 for hostile
// paths, 404, 405) are application/problem+json from package problem.
package static
