package static

import (
	"bufio"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

//go:embed all:testdata/site
var testdata embed.FS

func siteFS(t testing.TB) fs.FS {
	t.Helper()
	sub, err := fs.Sub(testdata, "testdata/site")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func newServer(t testing.TB, fsys fs.FS, opts Options) *Server {
	t.Helper()
	s, err := New(fsys, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func etagOf(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/site", name))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

func fingerprintOf(t testing.TB, name string) string {
	return strings.Trim(etagOf(t, name), `"`)[:fingerprintLen]
}

func serve(h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://example.test/", nil)
	// Set the path directly: httptest.NewRequest would reject or clean
	// some hostile targets, and the server must handle them all.
	r.URL.Path = target
	r.RequestURI = target
	for k, v := range header {
		r.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestServe(t *testing.T) {
	s := newServer(t, siteFS(t), Options{Prefix: "/static/"})
	appCSSAlias := "/static/app." + fingerprintOf(t, "app.css") + ".css"
	tests := []struct {
		name         string
		method       string
		path         string
		wantStatus   int
		wantType     string
		wantCache    string
		wantETag     string // "" means: no check
		wantBody     string // substring; "" means: no check
		wantLocation string
	}{
		{"css", "GET", "/static/app.css", 200, "text/css; charset=utf-8", CacheRevalidate, etagOf(t, "app.css"), "color", ""},
		{"js in a directory", "GET", "/static/js/app.js", 200, "text/javascript; charset=utf-8", CacheRevalidate, etagOf(t, "js/app.js"), "console", ""},
		{"module js", "GET", "/static/js/mod.mjs", 200, "text/javascript; charset=utf-8", CacheRevalidate, "", "export", ""},
		{"json has no charset", "GET", "/static/data.json", 200, "application/json", CacheRevalidate, "", `{"a":1}`, ""},
		{"png", "GET", "/static/img/logo.png", 200, "image/png", CacheRevalidate, etagOf(t, "img/logo.png"), "PNG", ""},
		{"no extension: octet-stream, not sniffed", "GET", "/static/LICENSE", 200, "application/octet-stream", CacheRevalidate, "", "LICENSE", ""},
		{"root index", "GET", "/static/", 200, "text/html; charset=utf-8", CacheRevalidate, etagOf(t, "index.html"), "<title>home", ""},
		{"sub index", "GET", "/static/sub/", 200, "text/html; charset=utf-8", CacheRevalidate, etagOf(t, "sub/index.html"), "<title>sub", ""},
		{"directory without slash redirects", "GET", "/static/sub", 301, "", "", "", "", "sub/"},
		{"directory without index: no listing", "GET", "/static/docs/", 404, "application/problem+json", "no-store", "", "listings are not served", ""},
		{"file asked as a directory", "GET", "/static/app.css/", 404, "application/problem+json", "no-store", "", "trailing", ""},
		{"missing", "GET", "/static/nope.css", 404, "application/problem+json", "no-store", "", "no such file", ""},
		{"case-sensitive", "GET", "/static/APP.css", 404, "application/problem+json", "no-store", "", "", ""},
		{"dot file hidden", "GET", "/static/.env", 404, "application/problem+json", "no-store", "", "", ""},
		{"outside the prefix", "GET", "/other/app.css", 404, "application/problem+json", "no-store", "", "", ""},
		{"fingerprinted file: immutable", "GET", "/static/dist/app.3f2a9c1e.css", 200, "text/css; charset=utf-8", CacheImmutable, etagOf(t, "dist/app.3f2a9c1e.css"), "margin", ""},
		{"alias of the current content: immutable", "GET", appCSSAlias, 200, "text/css; charset=utf-8", CacheImmutable, etagOf(t, "app.css"), "color", ""},
		{"alias of other content: 404", "GET", "/static/app.00000000.css", 404, "application/problem+json", "no-store", "", "older version", ""},
		{"alias of a missing file", "GET", "/static/gone.12345678.css", 404, "application/problem+json", "no-store", "", "", ""},
		{"alias of a dot file", "GET", "/static/." + fingerprintOf(t, ".env") + ".env", 404, "application/problem+json", "no-store", "", "", ""},
		{"HEAD", "HEAD", "/static/app.css", 200, "text/css; charset=utf-8", CacheRevalidate, etagOf(t, "app.css"), "", ""},
		{"POST refused", "POST", "/static/app.css", 405, "application/problem+json", "no-store", "", "GET or HEAD", ""},
		{"DELETE refused", "DELETE", "/static/app.css", 405, "application/problem+json", "no-store", "", "", ""},
		{"OPTIONS refused", "OPTIONS", "/static/app.css", 405, "application/problem+json", "no-store", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(s, tt.method, tt.path, nil)
			h := rec.Header()
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := h.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type %q, want %q", got, tt.wantType)
			}
			if got := h.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control %q, want %q", got, tt.wantCache)
			}
			if tt.wantETag != "" && h.Get("ETag") != tt.wantETag {
				t.Errorf("ETag %q, want %q", h.Get("ETag"), tt.wantETag)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body %q lacks %q", rec.Body, tt.wantBody)
			}
			if got := h.Get("Location"); got != tt.wantLocation {
				t.Errorf("Location %q, want %q", got, tt.wantLocation)
			}
			if tt.wantStatus != 301 && h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", h.Get("X-Content-Type-Options"))
			}
			if tt.wantStatus == 405 && h.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q, want GET, HEAD", h.Get("Allow"))
			}
			if tt.method == "HEAD" && rec.Body.Len() != 0 {
				t.Errorf("HEAD has a body: %q", rec.Body)
			}
			if tt.wantType == "application/problem+json" && tt.method != "HEAD" {
				var p struct {
					Status int    `json:"status"`
					Detail string `json:"detail"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tt.wantStatus || p.Detail == "" {
					t.Errorf("problem body %q (err %v)", rec.Body, err)
				}
				if h.Get("ETag") != "" {
					t.Errorf("error carries ETag %q", h.Get("ETag"))
				}
			}
		})
	}
}

func TestRedirectKeepsQuery(t *testing.T) {
	s := newServer(t, siteFS(t), Options{})
	r := httptest.NewRequest("GET", "/sub?lang=fr", nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	if rec.Code != 301 || rec.Header().Get("Location") != "sub/?lang=fr" {
		t.Fatalf("got %d Location %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestConditionalAndRange(t *testing.T) {
	s := newServer(t, siteFS(t), Options{})
	etag := etagOf(t, "app.css")
	full := "body { color: #222; }\n"
	tests := []struct {
		name       string
		header     http.Header
		wantStatus int
		wantBody   string
	}{
		{"If-None-Match matches", http.Header{"If-None-Match": {etag}}, 304, ""},
		{"If-None-Match weak form matches", http.Header{"If-None-Match": {"W/" + etag}}, 304, ""},
		{"If-None-Match in a list", http.Header{"If-None-Match": {`"other", ` + etag}}, 304, ""},
		{"If-None-Match star", http.Header{"If-None-Match": {"*"}}, 304, ""},
		{"If-None-Match other", http.Header{"If-None-Match": {`"other"`}}, 200, full},
		{"Range", http.Header{"Range": {"bytes=0-3"}}, 206, "body"},
		{"If-Range with our strong ETag", http.Header{"Range": {"bytes=0-3"}, "If-Range": {etag}}, 206, "body"},
		{"If-Range stale: whole file", http.Header{"Range": {"bytes=0-3"}, "If-Range": {`"old"`}}, 200, full},
		{"Range not satisfiable", http.Header{"Range": {"bytes=1000-"}}, 416, ""},
		{"If-Match mismatch", http.Header{"If-Match": {`"old"`}}, 412, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(s, "GET", "/app.css", tt.header)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("body %q, want %q", rec.Body, tt.wantBody)
			}
			if rec.Code == 304 {
				if rec.Header().Get("ETag") != etag || rec.Header().Get("Cache-Control") != CacheRevalidate || rec.Body.Len() != 0 {
					t.Errorf("304 headers %v body %q", rec.Header(), rec.Body)
				}
			}
		})
	}
}

// hostilePaths are URL paths (as net/http decodes them) built to leave the
// root or confuse the lookup. Each must get a defined 4xx, never a file
// from outside and never a 5xx.
var hostilePaths = []struct {
	name, path string
	want       int
}{
	{"dot-dot", "/../secret.txt", 400},
	{"dot-dot deep", "/js/../../secret.txt", 400},
	{"decoded %2e%2e", "/%2e%2e/secret.txt", 404}, // literal name "%2e%2e": net/http already decoded once
	{"dot-dot after decoding", "/" + ".." + "/secret.txt", 400},
	{"dot-dot trailing", "/js/..", 400},
	{"dot segment", "/./app.css", 400},
	{"double slash", "//etc/passwd", 400},
	{"empty segment", "/js//app.js", 400},
	{"backslash", `/..\secret.txt`, 400},
	{"backslash only", `/js\app.js`, 400},
	{"NUL", "/app.css\x00.png", 400},
	{"control byte", "/app\x1b.css", 400},
	{"DEL", "/app\x7f.css", 400},
	{"CR LF", "/app.css\r\nX-Injected: 1", 400},
	{"drive letter", "/C:/Windows/win.ini", 400},
	{"drive letter relative", "/C:secret.txt", 400},
	{"alternate data stream", "/app.css::$DATA", 400},
	{"invalid UTF-8", "/app\xff.css", 400},
	{"overlong", "/" + strings.Repeat("a/", 600), 400},
	{"absolute path is the root's", "/etc/passwd", 404},
	{"git directory", "/.git/config", 404},
	{"dot file", "/.env", 404},
	{"symlink to outside file", "/link-out.txt", 404},
	{"symlink to outside dir", "/dir-out/secret.txt", 404},
	{"absolute symlink", "/abs-link.txt", 404},
	{"symlink climbing out and back in", "/sneaky.txt", 404},
	{"symlink loop", "/loop", 404},
	{"fifo", "/fifo", 404},
	{"symlink to a dot file", "/env-link.txt", 404},
	{"symlink to a dot directory", "/git-link/config", 404},
}

// hostileTree builds root/ with app.css, js/app.js, .env, .git/config,
// links that leave the root, links that stay inside, and a FIFO, next to
// outside/secret.txt. It returns root.
func hostileTree(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{root, outside, filepath.Join(root, "js"), filepath.Join(root, ".git")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(outside, "secret.txt"): "SECRET outside the root\n",
		filepath.Join(base, "secret.txt"):    "SECRET next to the root\n",
		filepath.Join(root, "app.css"):       "body{}\n",
		filepath.Join(root, "js", "app.js"):  "1\n",
		filepath.Join(root, ".env"):          "SECRET=1\n",
		filepath.Join(root, ".git/config"):   "SECRET git\n",
	}
	for name, content := range files {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"link-out.txt": "../outside/secret.txt",
		"dir-out":      "../outside",
		"abs-link.txt": filepath.Join(outside, "secret.txt"),
		"sneaky.txt":   "../root/app.css",
		"loop":         "loop",
		"inside.css":   "app.css",
		"js-link":      "js",
		"up-inside.js": "js/../js/app.js",
		"env-link.txt": ".env",
		"git-link":     ".git",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Skipf("symbolic links unavailable: %v", err)
		}
	}
	if err := mkfifo(filepath.Join(root, "fifo")); err != nil {
		t.Logf("no FIFO: %v", err)
	}
	return root
}

func TestHostilePaths(t *testing.T) {
	root := hostileTree(t)
	dirServer, err := Dir(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dirServer.Close() })
	servers := []struct {
		name string
		s    *Server
	}{
		{"Dir (os.Root)", dirServer},
		{"New(os.DirFS)", newServer(t, os.DirFS(root), Options{})},
		{"New(embed)", newServer(t, siteFS(t), Options{})},
		{"New(MapFS)", newServer(t, fstest.MapFS{"app.css": {Data: []byte("x")}}, Options{})},
	}
	for _, srv := range servers {
		for _, tt := range hostilePaths {
			t.Run(srv.name+"/"+tt.name, func(t *testing.T) {
				done := make(chan *httptest.ResponseRecorder, 1)
				go func() { done <- serve(srv.s, "GET", tt.path, nil) }()
				var rec *httptest.ResponseRecorder
				select {
				case rec = <-done:
				case <-time.After(5 * time.Second):
					t.Fatal("no answer in 5s (blocked on a FIFO?)")
				}
				if rec.Code != tt.want {
					t.Errorf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
				}
				if strings.Contains(rec.Body.String(), "SECRET") {
					t.Errorf("leaked: %s", rec.Body)
				}
				if rec.Header().Get("Content-Type") != "application/problem+json" {
					t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
				}
			})
		}
	}
	// Links that stay inside the root are followed.
	for _, srv := range servers[:2] {
		for _, p := range []string{"/inside.css", "/js-link/app.js", "/up-inside.js"} {
			t.Run(srv.name+"/inside link "+p, func(t *testing.T) {
				if rec := serve(srv.s, "GET", p, nil); rec.Code != 200 {
					t.Errorf("status %d: %s", rec.Code, rec.Body)
				}
			})
		}
	}
}

// TestHostilePathsOverTheWire sends hostile request lines over a real
// socket, through a ServeMux, as an attacker would: the raw bytes never
// pass through a Go client that might clean them.
func TestHostilePathsOverTheWire(t *testing.T) {
	root := hostileTree(t)
	s, err := Dir(root, Options{Prefix: "/static/"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	mux := http.NewServeMux()
	mux.Handle("/static/", s)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	tests := []struct {
		target     string
		wantStatus []int
	}{
		{"/static/app.css", []int{200}},
		{"/static/..%2f..%2fsecret.txt", []int{400}},
		{"/static/%2e%2e/secret.txt", []int{301, 307, 400}}, // the mux cleans to /secret.txt and redirects
		{"/static/..%5csecret.txt", []int{400}},
		{"/static/%00", []int{400}},
		{"/static/app.css%00.png", []int{400}},
		{"/static/C:%5cWindows", []int{400}},
		{"/static/%2e%2e%2f%2e%2e%2fsecret.txt", []int{400}},
		{"/static/%252e%252e/secret.txt", []int{404}},
		{"/static/link-out.txt", []int{404}},
		{"/static/dir-out/secret.txt", []int{404}},
		{"/static/.git/config", []int{404}},
		{"/static/../secret.txt", []int{301, 307, 400}},
		{"/static//etc/passwd", []int{301, 307, 400}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(conn, "GET "+tt.target+" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			ok := false
			for _, want := range tt.wantStatus {
				ok = ok || resp.StatusCode == want
			}
			if !ok {
				t.Errorf("status %d, want one of %v: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if strings.Contains(string(body), "SECRET") {
				t.Errorf("leaked: %s", body)
			}
			if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, "//") || strings.Contains(loc, `\`) {
				t.Errorf("open redirect: Location %q", loc)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	tests := []struct{ name, want string }{
		{"a.css", "text/css; charset=utf-8"},
		{"a.CSS", "text/css; charset=utf-8"},
		{"a.js", "text/javascript; charset=utf-8"},
		{"a.mjs", "text/javascript; charset=utf-8"},
		{"a.html", "text/html; charset=utf-8"},
		{"a.htm", "text/html; charset=utf-8"},
		{"a.json", "application/json"},
		{"a.map", "application/json"},
		{"a.svg", "image/svg+xml"},
		{"a.txt", "text/plain; charset=utf-8"},
		{"a.xml", "text/xml; charset=utf-8"},
		{"a.wasm", "application/wasm"},
		{"a.png", "image/png"},
		{"a.jpg", "image/jpeg"},
		{"a.jpeg", "image/jpeg"},
		{"a.webp", "image/webp"},
		{"a.avif", "image/avif"},
		{"a.woff2", "font/woff2"},
		{"a.woff", "font/woff"},
		{"a.ico", "image/vnd.microsoft.icon"},
		{"a.webmanifest", "application/manifest+json"},
		{"dir.d/noext", "application/octet-stream"},
		{"a.unknown-extension-xyz", "application/octet-stream"},
		{"a.", "application/octet-stream"},
		{".css", "text/css; charset=utf-8"},
	}
	for _, tt := range tests {
		if got := ContentType(tt.name); got != tt.want {
			t.Errorf("ContentType(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestIsFingerprinted(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"app.3f2a9c1e.css", true},
		{"dist/app.3f2a9c1e.css", true},
		{"app.3f2a9c1e7b8d9e0f1a2b.js", true}, // webpack contenthash
		{"app-JDEK2ZQ3.js", true},             // esbuild
		{"chunk-5XKJ3RMV.mjs", true},
		{"app.12345678.css", true},
		{"app.3f2a9c1e", true}, // no extension: the last segment is the hash
		{"app.css", false},
		{"app.min.js", false},
		{"app.bootstrap.css", false},  // a word, no digit
		{"site-overrides.css", false}, // a word
		{"app.deadbeef.css", false},   // hex without a digit: could be a word
		{"app.3f2a9c1.css", false},    // 7 characters
		{"app.3F2A9C1E.css", false},   // uppercase hex: 1 and 9 are not base32
		{"app.3f2a9c1g.css", false},   // g is not hex
		{"app-BWk3yN7p.js", false},    // mixed case (Vite) not recognised
		{"3f2a9c1e.css", false},       // nothing before the hash
		{".3f2a9c1e.css", false},      // nothing before the hash
		{"app.v20240101.css", false},  // 'v' is not hex; lowercase is not base32
		{strings.Repeat("a", 65) + "1", false},
		{"app." + strings.Repeat("1", 65) + ".css", false}, // over 64
	}
	for _, tt := range tests {
		if got := IsFingerprinted(tt.name); got != tt.want {
			t.Errorf("IsFingerprinted(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantDir bool
		wantErr bool
	}{
		{"/", ".", true, false},
		{"", ".", true, false},
		{"/app.css", "app.css", false, false},
		{"app.css", "app.css", false, false},
		{"/js/", "js", true, false},
		{"/js/app.js", "js/app.js", false, false},
		{"/with space.txt", "with space.txt", false, false},
		{"/é.txt", "é.txt", false, false},
		{"/%2e%2e", "%2e%2e", false, false},
		{"/..", "", false, true},
		{"/../a", "", false, true},
		{"/a/..", "", false, true},
		{"/a/../b", "", false, true},
		{"/./a", "", false, true},
		{"/a/.", "", false, true},
		{"//a", "", false, true},
		{"/a//", "", false, true},
		{`/a\b`, "", false, true},
		{"/a\x00", "", false, true},
		{"/C:/x", "", false, true},
		{"/\xc0\xaf", "", false, true}, // overlong UTF-8 '/'
		{"/" + strings.Repeat("a", MaxPathLength), "", false, true},
	}
	for _, tt := range tests {
		got, dir, err := CleanPath(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want || (err == nil && dir != tt.wantDir) {
			t.Errorf("CleanPath(%q) = %q, %v, %v; want %q, %v, err=%v", tt.in, got, dir, err, tt.want, tt.wantDir, tt.wantErr)
		}
	}
}

func TestURL(t *testing.T) {
	s := newServer(t, siteFS(t), Options{Prefix: "/static/"})
	tests := []struct {
		name    string
		want    string
		wantErr string
	}{
		{"app.css", "/static/app." + fingerprintOf(t, "app.css") + ".css", ""},
		{"/app.css", "/static/app." + fingerprintOf(t, "app.css") + ".css", ""},
		{"js/app.js", "/static/js/app." + fingerprintOf(t, "js/app.js") + ".js", ""},
		{"LICENSE", "/static/LICENSE." + fingerprintOf(t, "LICENSE"), ""},
		{"dist/app.3f2a9c1e.css", "/static/dist/app.3f2a9c1e.css", ""},
		{"missing.css", "", "no such file"},
		{"sub/", "", "names a directory"},
		{"sub", "", "directory"},
		{"../secret", "", `".." segment`},
		{".env", "", "dot files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.URL(tt.name)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("URL(%q) = %q, %v; want error with %q", tt.name, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("URL(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
			rec := serve(s, "GET", got, nil)
			if rec.Code != 200 || rec.Header().Get("Cache-Control") != CacheImmutable {
				t.Errorf("GET %s: %d %q", got, rec.Code, rec.Header().Get("Cache-Control"))
			}
		})
	}
	// Names that need escaping come back escaped.
	s2 := newServer(t, fstest.MapFS{"a b?.css": {Data: []byte("x")}}, Options{})
	got, err := s2.URL("a b?.css")
	if err != nil || got != "/a%20b%3F."+hex.EncodeToString(sha(t, "x"))[:8]+".css" {
		t.Errorf("URL = %q, %v", got, err)
	}
}

func sha(t testing.TB, s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// TestEditedFile checks that a file changed on disk gets a new ETag and a
// new alias, and that the old alias stops being served.
func TestEditedFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.css")
	if err := os.WriteFile(file, []byte("a{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Dir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	oldURL, err := s.URL("app.css")
	if err != nil {
		t.Fatal(err)
	}
	oldETag := serve(s, "GET", "/app.css", nil).Header().Get("ETag")

	if err := os.WriteFile(file, []byte("b{color:red}"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Make sure the modification time differs even on coarse clocks.
	future := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(file, future, future); err != nil {
		t.Fatal(err)
	}
	newURL, err := s.URL("app.css")
	if err != nil {
		t.Fatal(err)
	}
	rec := serve(s, "GET", "/app.css", http.Header{"If-None-Match": {oldETag}})
	if rec.Code != 200 || rec.Body.String() != "b{color:red}" || rec.Header().Get("ETag") == oldETag {
		t.Errorf("after edit: %d %q ETag %q (old %q)", rec.Code, rec.Body, rec.Header().Get("ETag"), oldETag)
	}
	if newURL == oldURL {
		t.Errorf("URL unchanged after edit: %s", newURL)
	}
	if rec := serve(s, "GET", oldURL, nil); rec.Code != 404 {
		t.Errorf("old alias %s: %d, want 404", oldURL, rec.Code)
	}
	if rec := serve(s, "GET", newURL, nil); rec.Code != 200 || rec.Body.String() != "b{color:red}" {
		t.Errorf("new alias %s: %d %q", newURL, rec.Code, rec.Body)
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		fsys    fs.FS
		opts    Options
		wantErr string
	}{
		{"nil fs", nil, Options{}, "nil"},
		{"prefix without leading slash", fstest.MapFS{}, Options{Prefix: "static/"}, "must start and end"},
		{"prefix without trailing slash", fstest.MapFS{}, Options{Prefix: "/static"}, "must start and end"},
		{"prefix with //", fstest.MapFS{}, Options{Prefix: "//static/"}, "must start and end"},
		{"prefix with ..", fstest.MapFS{}, Options{Prefix: "/a/../"}, `".." segment`},
		{"index with a slash", fstest.MapFS{}, Options{Index: "a/index.html"}, "plain file name"},
		{"wrong fs.Sub", mustSub(t, testdata, "testdata/nope"), Options{}, "fs.Sub"},
		{"ok", fstest.MapFS{}, Options{Prefix: "/assets/v1/", Index: "default.htm"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.fsys, tt.opts)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
	if _, err := Dir(filepath.Join(t.TempDir(), "missing"), Options{}); err == nil || !strings.Contains(err.Error(), "existing directory") {
		t.Errorf("Dir(missing) err = %v", err)
	}
}

func mustSub(t testing.TB, fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func TestDotFilesAllowed(t *testing.T) {
	s := newServer(t, siteFS(t), Options{AllowDotFiles: true})
	if rec := serve(s, "GET", "/.env", nil); rec.Code != 200 {
		t.Errorf("AllowDotFiles: %d", rec.Code)
	}
}

func TestCustomIndex(t *testing.T) {
	s := newServer(t, fstest.MapFS{"docs/default.htm": {Data: []byte("<p>hi")}}, Options{Index: "default.htm"})
	rec := serve(s, "GET", "/docs/", nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// TestConcurrent hashes and serves from many goroutines at once (run with
// -race).
func TestConcurrent(t *testing.T) {
	s := newServer(t, siteFS(t), Options{})
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for range 50 {
				ok = ok && serve(s, "GET", "/app.css", nil).Code == 200
				u, err := s.URL("js/app.js")
				ok = ok && err == nil && serve(s, "GET", u, nil).Code == 200
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("a concurrent request failed")
		}
	}
}

// TestResolveInside checks why each link of hostileTree is refused, not
// only that the server answers 404: a link that leaves the root must fail
// with errEscapes (a 404 for a name that happens not to exist inside the
// root would hide an escape that a different tree would let through), and
// a chain of links longer than maxSymlinkHops must stop.
func TestResolveInside(t *testing.T) {
	root := hostileTree(t)
	chain := func(n int) string { // n links c0 → c1 → … → app.css
		for i := range n {
			target := "app.css"
			if i < n-1 {
				target = "c" + strconv.Itoa(i+1)
			}
			if err := os.Symlink(target, filepath.Join(root, "c"+strconv.Itoa(i))); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
		}
		return "c0"
	}
	fsys := os.DirFS(root).(fs.ReadLinkFS)
	for _, tt := range []struct {
		name, want string
		err        error  // errors.Is target
		errText    string // or a substring
	}{
		{name: "up-inside.js", want: "js/app.js"},
		{name: "js-link/app.js", want: "js/app.js"},
		{name: "link-out.txt", err: errEscapes},
		{name: "dir-out/secret.txt", err: errEscapes},
		{name: "abs-link.txt", err: errEscapes},
		{name: "sneaky.txt", err: errEscapes},
		{name: "loop", errText: "too many levels of symbolic links"},
	} {
		got, err := resolveInside(fsys, tt.name)
		switch {
		case tt.err != nil && !errors.Is(err, tt.err):
			t.Errorf("%s: %q, %v; want %v", tt.name, got, err, tt.err)
		case tt.errText != "" && (err == nil || !strings.Contains(err.Error(), tt.errText)):
			t.Errorf("%s: %q, %v; want an error containing %q", tt.name, got, err, tt.errText)
		case tt.err == nil && tt.errText == "" && (err != nil || got != tt.want):
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	start := chain(maxSymlinkHops)
	if got, err := resolveInside(fsys, start); err != nil || got != "app.css" {
		t.Errorf("a chain of %d links: %q, %v; want app.css", maxSymlinkHops, got, err)
	}
	if err := os.Symlink("c0", filepath.Join(root, "c-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := resolveInside(fsys, "c-1"); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("a chain of %d links: %v; want too many levels of symbolic links", maxSymlinkHops+1, err)
	}
}
