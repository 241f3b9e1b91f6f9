package problem_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/problem"
	"github.com/golocal/golocal/trace"
)

// syncBuffer collects log output written from server goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// secret is what internal errors below carry: it must reach the log and
// never the client.
const secret = "pq: password authentication failed for user \"orders_rw\" at 10.0.3.7:5432 /srv/orders/db.go:88"

// TestInternalErrorsDoNotLeak sends internal errors of every shape through
// a real server with golocal's Recover and TraceID middleware in front of
// the handler: the client reads a generic 500 with the trace id, the log
// record carries the message and the same trace id.
func TestInternalErrorsDoNotLeak(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	rs := problem.Responder{Logger: logger}

	tests := []struct {
		name string
		err  error
	}{
		{"plain error", errors.New(secret)},
		{"wrapped with %w", fmt.Errorf("loading order 42: %w", errors.New(secret))},
		{"Internal code with a message", problem.Errorf(problem.Internal, "query failed: %s", secret)},
		{"Internal code wrapping a cause", problem.Wrap(errors.New(secret), problem.Internal, "the database is down: "+secret)},
		{"unknown code (a typo) is internal", &problem.Err{Code: "not_foudn", Message: secret}},
		{"joined errors", errors.Join(errors.New(secret), errors.New("other"))},
		{"context.Canceled not from the client", fmt.Errorf("worker: %w: %s", context.Canceled, secret)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seenTraceID string
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seenTraceID = trace.IDFromContext(r.Context())
				rs.Error(w, r, tt.err)
			})
			srv := httptest.NewServer(middleware.Recover{Logger: logger}.Handler(middleware.TraceID{}.Handler(handler)))
			defer srv.Close()

			for _, traceparent := range []string{"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"} {
				before := len(logs.String())
				req, _ := http.NewRequest("GET", srv.URL+"/orders/42", nil)
				if traceparent != "" {
					req.Header.Set("Traceparent", traceparent)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()

				if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != problem.ContentType {
					t.Fatalf("got %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
				}
				for _, fragment := range []string{"password", "orders_rw", "10.0.3.7", "db.go", "pq:", "not_foudn", "worker", "canceled"} {
					if bytes.Contains(bytes.ToLower(body), []byte(strings.ToLower(fragment))) {
						t.Errorf("response leaks %q: %s", fragment, body)
					}
				}
				for name, values := range resp.Header {
					if strings.Contains(strings.Join(values, " "), "password") {
						t.Errorf("header %s leaks: %v", name, values)
					}
				}
				var p map[string]any
				if err := json.Unmarshal(body, &p); err != nil {
					t.Fatal(err)
				}
				traceID, _ := p[problem.TraceIDMember].(string)
				if traceID == "" || traceID != seenTraceID {
					t.Errorf("response trace_id %q, handler saw %q", traceID, seenTraceID)
				}
				if traceparent != "" && traceID != "4bf92f3577b34da6a3ce929d0e0e4736" {
					t.Errorf("trace_id %q does not continue the incoming traceparent", traceID)
				}

				// The log record: exactly one, at error level, with the
				// message and the same trace id.
				var records []map[string]any
				for line := range strings.SplitSeq(strings.TrimSpace(logs.String()[before:]), "\n") {
					var m map[string]any
					if err := json.Unmarshal([]byte(line), &m); err != nil {
						t.Fatalf("log line %q: %v", line, err)
					}
					records = append(records, m)
				}
				if len(records) != 1 {
					t.Fatalf("%d log records, want 1: %v", len(records), records)
				}
				rec := records[0]
				if rec["level"] != "ERROR" || rec[problem.TraceIDMember] != traceID || !strings.Contains(fmt.Sprint(rec["error"]), "orders_rw") {
					t.Errorf("log record %v: want level ERROR, trace_id %q and the internal message", rec, traceID)
				}
				if rec["status"] != float64(500) || rec["path"] != "/orders/42" {
					t.Errorf("log record %v lacks status or path", rec)
				}
			}
		})
	}
}

// TestPanicDoesNotLeak is the same promise for a panic: Recover logs the
// panic value with the trace id and sends only the generic problem.
func TestPanicDoesNotLeak(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := middleware.Recover{Logger: logger}.Handler(middleware.TraceID{}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(errors.New(secret))
	})))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || bytes.Contains(body, []byte("orders_rw")) {
		t.Fatalf("got %d: %s", resp.StatusCode, body)
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &rec); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if p[problem.TraceIDMember] == nil || rec["trace_id"] != p[problem.TraceIDMember] || !strings.Contains(fmt.Sprint(rec["panic"]), "orders_rw") {
		t.Errorf("response %s, log %v: want the same trace_id and the panic value in the log only", body, rec)
	}
}
