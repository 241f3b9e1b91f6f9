package cli

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/browsertest"
)

// pageAppSource serves an HTML page under a strict, nonce-based CSP, as an
// app built with golocal's secure middleware would.
const pageAppSource = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-abc123' 'strict-dynamic'; base-uri 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><html><head><title>t</title></head><body><p id=text>TEXT</p></body></html>")
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

// TestDevBrowserReloadsAndShowsOverlay drives headless Chromium through
// the whole of golocal dev: real builds of a real app behind the front.
// A handler change reloads the page by itself; a broken build shows the
// overlay with file and line in the open page; fixing it reloads; the
// page's strict CSP reports no violation throughout.
func TestDevBrowserReloadsAndShowsOverlay(t *testing.T) {
	b := browsertest.New(t) // skips without Chromium unless GOLOCAL_REQUIRE_BROWSER=1
	src := func(text string) string { return strings.Replace(pageAppSource, "TEXT", text, 1) }
	dir := writeDevModule(t, map[string]string{"main.go": src("version one")})
	marker := "GOLOCAL_DEV_TEST=" + strconv.FormatInt(time.Now().UnixNano(), 10)
	s := startDev(t, dir, "--env", marker)
	s.waitOutput("started", 90*time.Second)

	textIs := func(want string) string {
		return fmt.Sprintf(`document.getElementById("text") && document.getElementById("text").textContent === %q`, want)
	}
	const overlayText = `(document.querySelector("golocal-overlay") && document.querySelector("golocal-overlay").shadowRoot.textContent) || ""`

	if err := b.Navigate("http://" + s.addr + "/"); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(textIs("version one"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// The injected client ran. A reload sent before its event stream
	// connects is not lost: hello carries the version and the client
	// reloads when its page is older.
	if err := b.WaitFor(`window.__golocalClient === true`, 10*time.Second); err != nil {
		t.Fatalf("the reload client did not run under the page's strict CSP: %v", err)
	}

	saveFile(t, filepath.Join(dir, "main.go"), src("version two"))
	if err := b.WaitFor(textIs("version two"), 90*time.Second); err != nil {
		t.Fatalf("the page did not reload to the new handler: %v\nstdout:\n%s", err, s.out)
	}

	if _, err := browsertest.Eval[bool](b, `window.sameDocument = true`); err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(src("x"), `fmt.Fprint(w, "<!doctype`, `fmt.Fprint(w, missing, "<!doctype`, 1)
	saveFile(t, filepath.Join(dir, "main.go"), broken)
	if err := b.WaitFor(overlayText+`.includes("main.go:14:17")`, 90*time.Second); err != nil {
		got, _ := browsertest.Eval[string](b, overlayText)
		t.Fatalf("no overlay with main.go:14:17: %v; overlay %q\nstdout:\n%s", err, got, s.out)
	}
	if got, _ := browsertest.Eval[string](b, overlayText); !strings.Contains(got, "undefined: missing") {
		t.Errorf("overlay lacks the message: %q", got)
	}
	if same, _ := browsertest.Eval[bool](b, `window.sameDocument === true`); !same {
		t.Error("the page reloaded instead of showing the overlay in place")
	}

	saveFile(t, filepath.Join(dir, "main.go"), src("version three"))
	if err := b.WaitFor(textIs("version three"), 90*time.Second); err != nil {
		t.Fatalf("the page did not reload after the fix: %v", err)
	}
	if got, _ := browsertest.Eval[string](b, overlayText); got != "" {
		t.Errorf("overlay still shown after the fix: %q", got)
	}
	if err := b.Settle(); err != nil {
		t.Errorf("settling: %v", err)
	}
	if v := b.Violations(); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
	for _, m := range b.CSPMessages() {
		t.Errorf("console: %s", m)
	}
}
