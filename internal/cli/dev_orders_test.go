package cli

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/browsertest"
)

// TestDevMainJobInBrowser runs the README's main job — the reference
// service under golocal dev — and opens it in headless Chromium: the page
// renders with its stylesheet, the reload client runs under the service's
// strict nonce-based CSP (amended by the dev front), and the browser
// reports no CSP violation and no error.
func TestDevMainJobInBrowser(t *testing.T) {
	b := browsertest.New(t) // skips without Chromium unless GOLOCAL_REQUIRE_BROWSER=1
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	s := startDev(t, root, "--env", "ORDERS_DATA_DIR="+filepath.Join(t.TempDir(), "data"), "./examples/orders")
	s.waitOutput("started", 180*time.Second)

	if err := b.Navigate("http://" + s.addr + "/"); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ what, expr string }{
		{"the order list renders", `document.querySelector("h1") && document.querySelector("h1").textContent.startsWith("Orders")`},
		{"the create form is there", `document.querySelector("form.new-order") !== null`},
		{"the stylesheet loaded", `Array.from(document.styleSheets).some(s => s.href && s.href.includes("/static/app.") && s.cssRules.length > 0)`},
		{"the reload client runs under the page's CSP", `window.__golocalClient === true`},
	}
	for _, c := range checks {
		if err := b.WaitFor(c.expr, 15*time.Second); err != nil {
			t.Errorf("%s: %v\nstdout:\n%s\nstderr:\n%s", c.what, err, s.out, s.errOut)
		}
	}
	if err := b.Settle(); err != nil {
		t.Errorf("settling: %v", err)
	}
	if v := b.Violations(); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
	for _, m := range b.Errors() {
		t.Errorf("console error: %s", m.Text)
	}
}
