package middleware

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRecoverBeforeHeader(t *testing.T) {
	tests := []struct {
		name  string
		value any
	}{
		{"string", "pq: password authentication failed for user \"admin\""},
		{"error", errors.New("open /etc/secret.key: permission denied")},
		{"nil pointer", nil}, // a real runtime error, triggered below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sink logSink
			inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Disposition", "attachment; filename=report.csv")
				w.Header().Set("X-Frame-Options", "DENY")
				if tt.value == nil {
					var m map[string]*int
					_ = *m["x"] // nil dereference
				}
				panic(tt.value)
			})
			h := Recover{Logger: sink.logger()}.Handler(TraceID{}.Handler(inner))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/report", nil))

			if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d type %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			body := rec.Body.String()
			for _, leak := range []string{"password", "secret", "nil pointer", "goroutine"} {
				if strings.Contains(body, leak) {
					t.Errorf("response leaks %q: %s", leak, body)
				}
			}
			var p map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			traceID, _ := p["trace_id"].(string)
			if len(traceID) != 32 || p["status"] != float64(500) {
				t.Errorf("problem %v", p)
			}
			if rec.Header().Get("Content-Disposition") != "" || rec.Header().Get("X-Frame-Options") != "DENY" {
				t.Errorf("headers after panic: %v", rec.Header())
			}
			recs := sink.records(t)
			if len(recs) != 1 {
				t.Fatalf("%d log records, want 1", len(recs))
			}
			got := recs[0]
			stack, _ := got["stack"].(string)
			if got["level"] != "ERROR" || got["trace_id"] != traceID || !strings.Contains(stack, "TestRecoverBeforeHeader") {
				t.Errorf("log record %v", got)
			}
			if got["response_started"] != false {
				t.Errorf("response_started = %v", got["response_started"])
			}
		})
	}
}

// TestRecoverAfterHeader: a real client must see a broken response, not a
// short body that looks complete, and nothing is appended to the body.
func TestRecoverAfterHeader(t *testing.T) {
	var sink logSink
	h := Recover{Logger: sink.logger()}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic("after the header")
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Errorf("client read a complete response %q; want the connection cut", body)
	}
	if string(body) != "partial" {
		t.Errorf("body %q: nothing may be written after the panic", body)
	}
	recs := sink.records(t)
	if len(recs) != 1 || recs[0]["response_started"] != true || recs[0]["panic"] != "after the header" {
		t.Errorf("log records %v", recs)
	}
}

func TestRecoverRepanicsAbortHandler(t *testing.T) {
	var sink logSink
	h := Recover{Logger: sink.logger()}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler re-panicked", v)
		}
		if n := len(sink.records(t)); n != 0 {
			t.Errorf("%d log records for an intentional abort, want 0", n)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	t.Error("ServeHTTP returned normally")
}

func TestRecoverNoPanic(t *testing.T) {
	h := Recover{}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("status %d", rec.Code)
	}
}
