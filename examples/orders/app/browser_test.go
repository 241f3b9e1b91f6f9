package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/browsertest"
)

// crossOriginPage is served from other loopback origins: it calls the API
// with credentials and records what it could read.
const crossOriginPage = `<!doctype html><title>other origin</title><script>
const api = new URLSearchParams(location.search).get("api");
fetch(api + "/api/v2/orders", {credentials: "include"})
  .then(async r => { window.result = "ok " + r.status + " total=" + r.headers.get("X-Total-Count") + " " + (await r.text()).slice(0, 40); })
  .catch(e => { window.result = "blocked " + e.name; });
</script>`

// TestBrowser uses the service as a person would, in headless Chromium:
// create an order through the form, see it listed, pay it; with no console
// error and no CSP violation. Then a page on an origin the CORS
// configuration allows reads the API with credentials, and one on another
// origin cannot.
func TestBrowser(t *testing.T) {
	other := func() *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, crossOriginPage)
		}))
		t.Cleanup(s.Close)
		return s
	}
	allowed, denied := other(), other()
	b := browsertest.New(t)
	app := startApp(t, "ORDERS_CORS_ORIGINS="+allowed.URL)
	// run performs DOM steps in the page (clicks are real DOM clicks: they
	// fire the page's listeners and submit forms as a user's click does).
	run := func(what, js string) {
		t.Helper()
		if _, err := browsertest.Eval[bool](b, "(() => {"+js+"; return true})()"); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(js string) string {
		t.Helper()
		s, err := browsertest.Eval[string](b, js)
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return s
	}

	if err := b.Navigate(app.URL + "/orders"); err != nil {
		t.Fatal(err)
	}
	// The script reveals the "Add an item" button: proof it ran under the CSP.
	if err := b.WaitFor(`!document.getElementById("add-row").hidden`, 5*time.Second); err != nil {
		t.Fatalf("app.js did not run: %v", err)
	}
	run("fill the form", `
		document.getElementById("add-row").click();
		if (document.querySelectorAll("#item-rows tr").length !== 4) throw new Error("add-row did not add a row");
		const set = (sel, v) => { document.querySelector(sel).value = v; };
		set("input[name=customer]", "Grace Hopper");
		set("#item-rows tr:nth-child(1) input[name=sku]", "COBOL-1");
		set("#item-rows tr:nth-child(1) input[name=name]", "Compiler");
		set("#item-rows tr:nth-child(1) input[name=quantity]", "2");
		set("#item-rows tr:nth-child(1) input[name=price]", "12.50");
		document.querySelector("form.new-order button[type=submit]").click()`)
	if err := b.WaitFor(`location.pathname === "/orders/1" && document.readyState === "complete"`, 10*time.Second); err != nil {
		t.Fatalf("no redirect to the new order: %v", err)
	}
	if got := text(`document.querySelector(".flash").textContent`); got != "Order #1 created for Grace Hopper." {
		t.Errorf("flash = %q", got)
	}
	if got := text(`document.querySelector("tfoot td").textContent`); got != "25.00 EUR" {
		t.Errorf("total = %q", got)
	}

	if err := b.Navigate(app.URL + "/orders"); err != nil {
		t.Fatal(err)
	}
	if got := text(`document.querySelector("table.orders tbody").textContent`); !strings.Contains(got, "Grace Hopper") || !strings.Contains(got, "25.00 EUR") {
		t.Errorf("order not listed: %q", got)
	}
	run("open the order", `document.querySelector('a[href="/orders/1"]').click()`)
	if err := b.WaitFor(`location.pathname === "/orders/1" && !!document.querySelector("form[action='/orders/1/transitions'] button")`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	run("mark as paid", `document.querySelector("input[value=paid] + button").click()`)
	if err := b.WaitFor(`document.getElementById("status") && document.getElementById("status").textContent === "paid"`, 10*time.Second); err != nil {
		t.Fatalf("order did not become paid: %v", err)
	}
	if got := text(`document.querySelector(".flash").textContent`); got != "Order #1 is now paid." {
		t.Errorf("flash = %q", got)
	}
	if err := b.Settle(); err != nil {
		t.Fatal(err)
	}
	for _, m := range b.Errors() {
		t.Errorf("console error: %+v", m)
	}
	for _, v := range b.Violations() {
		t.Errorf("CSP violation: %s", v)
	}
	for _, m := range b.CSPMessages() {
		t.Errorf("CSP message: %+v", m)
	}

	// Cross-origin reads. (Errors on these pages are expected: the
	// disallowed fetch is reported in the console.)
	for _, tt := range []struct {
		origin, want string
	}{
		{allowed.URL, "ok 200 total=1 [{\"id\":1,\"customer\":\"Grace Hopper\""},
		{denied.URL, "blocked TypeError"},
	} {
		if err := b.Navigate(tt.origin + "/?api=" + app.URL); err != nil {
			t.Fatal(err)
		}
		if err := b.WaitFor(`window.result !== undefined`, 10*time.Second); err != nil {
			t.Fatalf("%s: fetch did not finish: %v", tt.origin, err)
		}
		if got := text(`window.result`); !strings.HasPrefix(got, tt.want) {
			t.Errorf("from %s: %q, want %q…", tt.origin, got, tt.want)
		}
	}
}
