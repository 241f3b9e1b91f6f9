package app

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golocal/golocal/internal/lint"
	"github.com/golocal/golocal/internal/probe"
)

// TestProbeFindsNoErrors runs golocal probe, as `golocal probe URL` does,
// on the pages and API of the assembled service and wants no error-level
// finding: the reference service must pass golocal's own linter.
func TestProbeFindsNoErrors(t *testing.T) {
	const origin = "http://127.0.0.1:1"
	app := startApp(t, "ORDERS_CORS_ORIGINS="+origin)
	req, err := http.NewRequest("POST", app.URL+"/api/v1/orders", strings.NewReader(`{"customer":"Ada","currency":"EUR","items":[{"sku":"A","name":"Tea","quantity":2,"unit_price":150}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	id := loc[strings.LastIndex(loc, "/")+1:]
	orderPage := app.URL + "/orders/" + id

	tests := []struct {
		name   string
		url    string
		accept string
		origin string
	}{
		{"home page", app.URL + "/", "text/html", ""},
		{"list API v1", app.URL + "/api/v1/orders", "application/json", origin},
		{"order page", orderPage, "text/html", ""},
		{"order API v1 at its Location", app.URL + loc, "application/json", origin},
		{"order API v2 by media type", app.URL + "/api/orders/" + id, "application/vnd.orders.v2+json", origin},
		{"stylesheet", app.URL + "/static/app.css", "text/css", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			cfg := probe.Config{Origin: tt.origin, Conneg: true}
			cfg.Header = http.Header{"Accept": {tt.accept}}
			rep := probe.Probe(context.Background(), u, cfg)
			if rep.Error != nil {
				t.Fatalf("probe failed: %+v", rep.Error)
			}
			if rep.Lint == nil {
				t.Fatal("no lint report")
			}
			for _, f := range rep.Lint.Findings {
				if f.Severity == lint.Error {
					t.Errorf("error finding %s: %s (evidence %q)", f.Rule, f.Message, f.Evidence)
				}
			}
			if code := rep.Hops[len(rep.Hops)-1].Status; code != http.StatusOK {
				t.Errorf("status %d", code)
			}
		})
	}
}
