package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/otel/otlptest"
)

// TestOneOrderOneTrace creates an order with a traceparent against a real
// OTLP/HTTP receiver, on SQLite and on PostgreSQL: the server span is named
// after the route and continues the caller's trace, every SQL statement is
// a child span, and the same trace id is in the access-log line and as an
// exemplar on the admin /metrics (OpenMetrics).
func TestOneOrderOneTrace(t *testing.T) {
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100") // the SDK reads it from the process environment
	const traceID, parentID = "5bf92f3577b34da6a3ce929d0e0e4737", "10f067aa0ba902b8"
	databases := []struct {
		name, system string
		env          func(t *testing.T) []string
	}{
		{"sqlite", "sqlite", func(*testing.T) []string { return nil }},
		{"postgres", "postgresql", func(t *testing.T) []string { return []string{"DATABASE_URL=" + postgresURL(t).String()} }},
	}
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			env := db.env(t)
			rcv, err := otlptest.Start()
			if err != nil {
				t.Fatal(err)
			}
			defer rcv.Close()
			logs := &syncBuffer{}
			app := startAppLogging(t, logs, append(env, "OTEL_EXPORTER_OTLP_ENDPOINT="+rcv.URL(), "ORDERS_LOG_LEVEL=info")...)

			req, _ := http.NewRequest("POST", app.URL+"/api/v2/orders", strings.NewReader(`{"customer":"Ada","currency":"EUR","items":[{"sku":"A","name":"Tea","quantity":1,"unit_price":{"amount":"1.00","currency":"EUR"}}]}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Traceparent", "00-"+traceID+"-"+parentID+"-01")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d", resp.StatusCode)
			}

			var server otlptest.Span
			spans, err := rcv.WaitFor(15*time.Second, func(sp []otlptest.Span) bool {
				for _, s := range sp {
					if s.Kind == "server" && s.TraceID == traceID {
						server = s
						return countChildren(sp, s.SpanID, db.system) > 0
					}
				}
				return false
			})
			if err != nil {
				t.Fatalf("%v\n%+v", err, spans)
			}
			route := server.Attributes["http.route"]
			if !strings.Contains(route, "orders") || server.Name != "POST "+route || server.ParentSpanID != parentID {
				t.Errorf("server span %q (http.route %q, parent %s); want \"POST <orders route>\" under %s", server.Name, route, server.ParentSpanID, parentID)
			}
			if n := countChildren(spans, server.SpanID, db.system); n < 2 {
				t.Errorf("%d SQL child spans (%s) under the server span; want one per statement (at least the order and its items)", n, db.system)
			}

			// The access-log line of the request carries the same ids.
			found := false
			for _, line := range strings.Split(logs.String(), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "request" && m["method"] == "POST" {
					found = m["trace_id"] == traceID && m["span_id"] == server.SpanID
				}
			}
			if !found {
				t.Errorf("no access-log line with trace_id %s and span_id %s:\n%s", traceID, server.SpanID, logs.String())
			}
			_, body := get(t, app.Admin+"/metrics", "Accept", "application/openmetrics-text; version=1.0.0")
			if !strings.Contains(body, `trace_id="`+traceID+`"`) {
				t.Errorf("admin /metrics (OpenMetrics) has no exemplar with trace_id %s", traceID)
			}
		})
	}
}

func countChildren(spans []otlptest.Span, parent, system string) int {
	n := 0
	for _, s := range spans {
		if s.ParentSpanID == parent && s.Attributes["db.system.name"] == system && s.Attributes["db.query.text"] != "" {
			n++
		}
	}
	return n
}
