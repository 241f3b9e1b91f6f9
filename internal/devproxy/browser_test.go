package devproxy_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/browsertest"
	"github.com/golocal/golocal/internal/devproxy"
)

// pageApp is a stand-in for one build of the user's app: it serves an HTML
// page saying text, under the given CSP ("" for none), and a stylesheet.
func pageApp(t *testing.T, text, csp, head string) *url.URL {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/site.css" {
			w.Header().Set("Content-Type", "text/css")
			fmt.Fprint(w, "h1{color:rgb(1,2,3)}")
			return
		}
		if csp != "" {
			w.Header().Set("Content-Security-Policy", csp)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head>%s<title>t</title><link rel="stylesheet" href="/site.css"></head>`+
			`<body><h1 id="text">%s</h1><script nonce="R">document.body.dataset.ran = "yes";</script></body></html>`, head, text)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u
}

func serveFront(t *testing.T, opts devproxy.Options) (*devproxy.Front, string) {
	front := devproxy.New(opts)
	srv := httptest.NewServer(front)
	t.Cleanup(func() {
		front.Close()
		srv.Close()
	})
	return front, srv.URL
}

const (
	textIs      = `document.getElementById("text") && document.getElementById("text").textContent === %q`
	overlayText = `(document.querySelector("golocal-overlay") && document.querySelector("golocal-overlay").shadowRoot.textContent) || ""`
)

func noViolations(t *testing.T, b *browsertest.Browser, violations, console int) {
	t.Helper()
	if err := b.Settle(); err != nil {
		t.Errorf("settling the page: %v", err)
	}
	if v := b.Violations(); len(v) > violations {
		t.Errorf("CSP violations: %v", v[violations:])
	}
	for _, m := range b.CSPMessages()[console:] {
		t.Errorf("console: %s", m)
	}
}

func TestBrowser(t *testing.T) {
	b := browsertest.New(t)

	t.Run("reloads after a swap", func(t *testing.T) {
		front, addr := serveFront(t, devproxy.Options{})
		front.SetUpstream(pageApp(t, "version one", "", ""))
		if err := b.Navigate(addr + "/page"); err != nil {
			t.Fatal(err)
		}
		if err := b.WaitFor(fmt.Sprintf(textIs, "version one"), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		front.SetUpstream(pageApp(t, "version two", "", ""))
		front.Reload()
		if err := b.WaitFor(fmt.Sprintf(textIs, "version two"), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		for _, m := range b.Errors() {
			t.Errorf("console: %s", m)
		}
	})

	t.Run("overlay on a broken build", func(t *testing.T) {
		root := t.TempDir()
		os.WriteFile(filepath.Join(root, "main.go"), []byte("package main\n\nfunc main() {\n\tfmt.Println(\"hi\"\n}\n"), 0o644)
		front, addr := serveFront(t, devproxy.Options{Root: root})
		front.SetUpstream(pageApp(t, "before", "", ""))
		if err := b.Navigate(addr + "/"); err != nil {
			t.Fatal(err)
		}
		if err := b.WaitFor(fmt.Sprintf(textIs, "before"), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		// Mark the document: a reload would lose the mark.
		if _, err := browsertest.Eval[bool](b, `window.sameDocument = true`); err != nil {
			t.Fatal(err)
		}
		front.BuildStarted()
		front.BuildFailed([]devproxy.Diagnostic{{File: "main.go", Line: 4, Column: 18, Message: "syntax error: unexpected newline in argument list; possibly missing comma or )"}})
		want := `main.go:4:18`
		if err := b.WaitFor(overlayText+`.includes(`+fmt.Sprintf("%q", want)+`)`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		got, _ := browsertest.Eval[string](b, overlayText)
		for _, s := range []string{"Build failed", "unexpected newline", `fmt.Println("hi"`} {
			if !strings.Contains(got, s) {
				t.Errorf("overlay lacks %q: %q", s, got)
			}
		}
		if same, _ := browsertest.Eval[bool](b, `window.sameDocument === true`); !same {
			t.Error("the page reloaded instead of showing the overlay in place")
		}

		// A navigation while the build is broken gets the error page, which
		// turns into the app once the build is fixed.
		if err := b.Navigate(addr + "/other"); err != nil {
			t.Fatal(err)
		}
		if err := b.WaitFor(`document.body && document.body.innerText.includes("main.go:4:18")`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		front.SetUpstream(pageApp(t, "fixed", "", ""))
		front.Reload()
		if err := b.WaitFor(fmt.Sprintf(textIs, "fixed")+` && !document.querySelector("golocal-overlay")`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("stylesheet swap without reload", func(t *testing.T) {
		front, addr := serveFront(t, devproxy.Options{})
		front.SetUpstream(pageApp(t, "styled", "", ""))
		if err := b.Navigate(addr + "/"); err != nil {
			t.Fatal(err)
		}
		if err := b.WaitFor(fmt.Sprintf(textIs, "styled"), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := browsertest.Eval[bool](b, `window.sameDocument = true`); err != nil {
			t.Fatal(err)
		}
		// Wait for the client's stream, so the event is not missed (a
		// missed css event is not replayed; a missed reload is).
		front.StylesChanged([]string{"static/site.css"})
		err := b.WaitFor(`window.sameDocument === true && [...document.querySelectorAll('link[rel=stylesheet]')].some(l => l.href.includes("golocal="))`, 3*time.Second)
		if err != nil {
			// The client may have connected after the event: send it again.
			front.StylesChanged([]string{"static/site.css"})
			if err := b.WaitFor(`window.sameDocument === true && [...document.querySelectorAll('link[rel=stylesheet]')].some(l => l.href.includes("golocal="))`, 10*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.WaitFor(`document.querySelectorAll('link[rel=stylesheet]').length === 1 && getComputedStyle(document.getElementById("text")).color === "rgb(1, 2, 3)"`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	})

	csps := []struct{ name, header, meta string }{
		{"nonce strict-dynamic", "script-src 'nonce-R' 'strict-dynamic'; default-src 'self'; object-src 'none'; base-uri 'none'", ""},
		{"default-src none", "default-src 'none'; script-src 'nonce-R'; style-src 'self'", ""},
		{"strict-dynamic and default-src none", "script-src 'nonce-R' 'strict-dynamic' https: 'unsafe-inline'; default-src 'none'; style-src 'self'", ""},
		{"hash based", "script-src 'sha256-6cV4iLbDNRAqVR0kRJSU8Ht6HF3v2XvgvJEgE3pB3Vg=' 'nonce-R'; connect-src 'none'; style-src 'self'", ""},
		{"two policies", "default-src 'self' 'nonce-R', script-src 'nonce-R'; connect-src 'none'", ""},
		{"meta policy", "", `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-R'; style-src 'self'">`},
	}
	for _, c := range csps {
		t.Run("csp "+c.name, func(t *testing.T) {
			violations, console := len(b.Violations()), len(b.CSPMessages())
			front, addr := serveFront(t, devproxy.Options{})
			front.SetUpstream(pageApp(t, "strict one", c.header, c.meta))
			if err := b.Navigate(addr + "/"); err != nil {
				t.Fatal(err)
			}
			if err := b.WaitFor(fmt.Sprintf(textIs, "strict one")+` && document.body.dataset.ran === "yes" && window.__golocalClient`, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			// The overlay renders under the policy too.
			front.BuildFailed([]devproxy.Diagnostic{{File: "x.go", Line: 1, Message: "boom"}})
			if err := b.WaitFor(overlayText+`.includes("x.go:1")`, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			front.SetUpstream(pageApp(t, "strict two", c.header, c.meta))
			front.Reload()
			if err := b.WaitFor(fmt.Sprintf(textIs, "strict two")+` && document.body.dataset.ran === "yes"`, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			noViolations(t, b, violations, console)
		})
	}
}
