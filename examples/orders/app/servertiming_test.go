package app

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/browsertest"
)

// serverTimingRE is the header the dev profile sends for a page that read
// the database: the store's db phase, then total with the trace id.
var serverTimingRE = regexp.MustCompile(`^db;dur=[0-9.]+, total;dur=[0-9.]+;desc="trace [0-9a-f]{32}"$`)

// TestServerTimingHeader: under the dev profile the orders pages and API
// tell how long the database took (db) and the whole request (total).
func TestServerTimingHeader(t *testing.T) {
	app := startApp(t)
	for _, path := range []string{"/orders", "/api/v2/orders"} {
		resp, _ := get(t, app.URL+path)
		if got := resp.Header.Values("Server-Timing"); len(got) != 1 || !serverTimingRE.MatchString(got[0]) {
			t.Errorf("GET %s: Server-Timing %q, want db and total", path, got)
		}
	}
	resp, _ := get(t, app.URL+"/livez")
	if got := resp.Header.Get("Server-Timing"); strings.Contains(got, "db;") || !strings.Contains(got, "total;dur=") {
		t.Errorf("GET /livez: Server-Timing %q, want total only", got)
	}
}

// TestServerTimingInBrowser: Chromium reads the header into the
// navigation entry, where DevTools' Timing tab and scripts find it.
func TestServerTimingInBrowser(t *testing.T) {
	b := browsertest.New(t)
	app := startApp(t)
	if err := b.Navigate(app.URL + "/orders"); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(`document.readyState === "complete"`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	names, err := browsertest.Eval[string](b, `performance.getEntriesByType("navigation")[0].serverTiming.map(e => e.name + (e.description ? ":" + e.description.slice(0, 6) : "")).join(",")`)
	if err != nil {
		t.Fatal(err)
	}
	if names != "db,total:trace " {
		t.Errorf("navigation serverTiming = %q, want db and total with the trace id", names)
	}
}
