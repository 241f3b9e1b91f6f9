package static

import (
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"/", "", "/app.css", "/js/", "/../etc/passwd", "/%2e%2e/x", "/a/./b", "//a", `/a\b`,
	"/a\x00b", "/C:/x", "/app.css::$DATA", "/\xc0\xae\xc0\xae/x", "/app.3f2a9c1e.css", "/.env",
	"/" + strings.Repeat("a/", 600), "/a/b/c/", "/é/ü.txt", "/..", ".", "..",
}

// FuzzCleanPath checks CleanPath's promise: whatever it accepts is a
// relative, clean, valid fs.FS name with no way up, no backslash, no ':'
// and no control byte.
func FuzzCleanPath(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		name, _, err := CleanPath(p)
		if err != nil {
			if name != "" {
				t.Fatalf("CleanPath(%q) returned %q with error %v", p, name, err)
			}
			return
		}
		if !fs.ValidPath(name) {
			t.Fatalf("CleanPath(%q) = %q, not a valid fs.FS name", p, name)
		}
		if name != "." && path.Clean(name) != name {
			t.Fatalf("CleanPath(%q) = %q, not clean", p, name)
		}
		if strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\:") || !utf8.ValidString(name) {
			t.Fatalf("CleanPath(%q) = %q", p, name)
		}
		for seg := range strings.SplitSeq(name, "/") {
			if seg == ".." || (seg == "." && name != ".") || seg == "" {
				t.Fatalf("CleanPath(%q) = %q has segment %q", p, name, seg)
			}
		}
		for i := 0; i < len(name); i++ {
			if name[i] < 0x20 || name[i] == 0x7f {
				t.Fatalf("CleanPath(%q) = %q has a control byte", p, name)
			}
		}
		if len(name) > MaxPathLength {
			t.Fatalf("CleanPath(%q) = %q: too long", p, name)
		}
	})
}

// FuzzServe sends arbitrary paths to a server whose tree holds a secret
// outside the served sub-directory: every answer is a 2xx, 3xx or 4xx and
// none carries the secret.
func FuzzServe(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	tree := fstest.MapFS{
		"secret.txt":          {Data: []byte("SECRET")},
		"public/app.css":      {Data: []byte("body{}")},
		"public/index.html":   {Data: []byte("<p>hi")},
		"public/js/app.js":    {Data: []byte("1")},
		"public/.env":         {Data: []byte("SECRET=1")},
		"public/a.3f2a9c1e.x": {Data: []byte("y")},
	}
	sub, err := fs.Sub(tree, "public")
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(sub, Options{Prefix: "/s/"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rec := serve(s, "GET", "/s/"+p, nil)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("GET /s/%q: %d %s", p, rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "SECRET") {
			t.Fatalf("GET /s/%q leaked: %s", p, rec.Body)
		}
	})
}

// FuzzIsFingerprinted checks that the alias form golocal produces is always
// recognised and that aliasTarget inverts aliasName.
func FuzzIsFingerprinted(f *testing.F) {
	for _, s := range []string{"app.css", "LICENSE", "a.tar.gz", "dir/x.js", "x.", ".x"} {
		f.Add(s, "3f2a9c1e")
	}
	f.Fuzz(func(t *testing.T, name, hash string) {
		if !isAliasHash(hash) || strings.Contains(name, "/") || name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
			return
		}
		alias := aliasName(name, hash)
		orig, h, ok := aliasTarget(alias)
		if !ok || orig != name || h != hash {
			t.Fatalf("aliasTarget(aliasName(%q, %q) = %q) = %q, %q, %v", name, hash, alias, orig, h, ok)
		}
		_ = IsFingerprinted(name)
	})
}
