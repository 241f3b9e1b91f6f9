package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// copyingMiddleware stands for any third-party layer that passes on a
// r.WithContext copy, which hides r.Pattern from outer layers.
func copyingMiddleware(next http.Handler) http.Handler {
	type key struct{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, 1)))
	})
}

func TestAccessLog(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "order "+r.PathValue("id"))
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("secret db password in here") })
	mux.HandleFunc("GET /empty", func(w http.ResponseWriter, r *http.Request) {})

	tests := []struct {
		name, method, path string
		wantRoute          string
		wantStatus         int
		wantBytes          float64
		wantPanic          bool
	}{
		{"route with wildcard", "GET", "/orders/42", "/orders/{id}", 200, 8, false},
		{"created", "POST", "/orders", "/orders", 201, 0, false},
		{"not found is unmatched", "GET", "/nope", "unmatched", 404, 19, false},
		{"method not allowed", "DELETE", "/orders/1", "unmatched", 405, 19, false},
		{"panic", "GET", "/boom", "/boom", 500, 0, true},
		{"handler wrote nothing", "GET", "/empty", "/empty", 200, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sink logSink
			h := Recover{Logger: sink.logger()}.Handler(TraceID{}.Handler(
				AccessLog{Logger: sink.logger()}.Handler(copyingMiddleware(CaptureRoute(mux)))))
			req := httptest.NewRequest(tt.method, tt.path, nil)
			req.RemoteAddr = "192.0.2.7:5555"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			var access []map[string]any
			for _, rec := range sink.records(t) {
				if rec["msg"] == "request" {
					access = append(access, rec)
				}
			}
			if len(access) != 1 {
				t.Fatalf("%d access records, want exactly 1", len(access))
			}
			got := access[0]
			if got["route"] != tt.wantRoute || got["status"] != float64(tt.wantStatus) ||
				got["method"] != tt.method || got["path"] != tt.path || got["remote"] != "192.0.2.7:5555" {
				t.Errorf("record %v", got)
			}
			if got["bytes"] != tt.wantBytes {
				t.Errorf("bytes %v, want %v", got["bytes"], tt.wantBytes)
			}
			if id, _ := got["trace_id"].(string); len(id) != 32 || got["request_id"] != nil {
				t.Errorf("trace_id %v request_id %v", got["trace_id"], got["request_id"])
			}
			if _, ok := got["duration"].(float64); !ok {
				t.Errorf("duration %v", got["duration"])
			}
			if (got["panic"] == true) != tt.wantPanic {
				t.Errorf("panic = %v, want %v", got["panic"], tt.wantPanic)
			}
			if rec.Code != tt.wantStatus {
				t.Errorf("client saw %d, log says %d", rec.Code, tt.wantStatus)
			}
		})
	}
}

// TestAccessLogClientGone uses a real connection that the client drops
// while the handler waits: the record must say 499.
func TestAccessLogClientGone(t *testing.T) {
	var sink logSink
	entered := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	})
	srv := httptest.NewServer(AccessLog{Logger: sink.logger()}.Handler(CaptureRoute(mux)))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow", nil)
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-entered
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("request succeeded although the client canceled it")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := sink.records(t)
		if len(recs) == 1 {
			if recs[0]["status"] != float64(StatusClientClosedRequest) || recs[0]["route"] != "/slow" {
				t.Errorf("record %v, want status 499 and route", recs[0])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access record after the client left (%d records)", len(recs))
		}
		time.Sleep(10 * time.Millisecond) // polling the log with a deadline
	}
}

func TestAccessLogOptions(t *testing.T) {
	var sink logSink
	h := AccessLog{Logger: sink.logger(), Message: "http", Level: -4}.Handler(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	recs := sink.records(t)
	if len(recs) != 1 || recs[0]["msg"] != "http" || recs[0]["level"] != "DEBUG" {
		t.Errorf("records %v", recs)
	}
	// Disabled level: no record, request still served.
	var quiet logSink
	h = AccessLog{Logger: quiet.logger(), Level: -8}.Handler(http.NotFoundHandler())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 404 || len(quiet.records(t)) != 0 {
		t.Errorf("disabled level: code %d, %d records", rec.Code, len(quiet.records(t)))
	}
	if !strings.Contains(rec.Body.String(), "not found") {
		t.Errorf("body %q", rec.Body.String())
	}
}

// TestAccessLogJSONHandlerMatchesSlog runs the same requests through an
// access log writing with JSONHandler (its fast path, no slog.Record) and
// one writing with slog.JSONHandler: the lines must be the same bytes apart
// from the time, duration and span id values (span ids are random per request).
func TestAccessLogJSONHandlerMatchesSlog(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "order") })
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	requests := []struct {
		target string
		header http.Header
	}{
		{"/orders/42", nil},
		{"/nope", nil},
		{"/boom", nil},
		{"/orders/%22%5C%0A%C3%A9%FF", http.Header{"X-Request-Id": {"client-chosen-id"}}},
		{"/orders/1", http.Header{"X-Request-Id": {"bad id with spaces"}}},
	}
	clock := regexp.MustCompile(`"time":"[^"]*","|"duration":-?[0-9]+,|"span_id":"[0-9a-f]{16}",`)
	run := func(logger *slog.Logger) {
		for _, rq := range requests {
			// Recover only around the access log, so the panic record
			// (not an access record) goes nowhere.
			h := Recover{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}.Handler(TraceID{}.Handler(
				AccessLog{Logger: logger}.Handler(CaptureRoute(mux))))
			r := httptest.NewRequest("GET", rq.target, nil)
			r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			for k, v := range rq.header {
				r.Header[k] = v
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
		}
	}
	var slogOut, ourOut bytes.Buffer
	run(slog.New(slog.NewJSONHandler(&slogOut, nil)))
	run(slog.New(NewJSONHandler(&ourOut, nil)))
	want := clock.ReplaceAllString(slogOut.String(), "")
	got := clock.ReplaceAllString(ourOut.String(), "")
	if strings.Count(got, "\n") != len(requests) {
		t.Fatalf("%d lines for %d requests:\n%s", strings.Count(got, "\n"), len(requests), ourOut.String())
	}
	if got != want {
		t.Errorf("JSONHandler access lines differ from slog.JSONHandler's\nslog:\n%s\nours:\n%s", want, got)
	}
	for _, line := range strings.Split(strings.TrimSpace(ourOut.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("invalid line %q: %v", line, err)
		}
		if _, ok := m["time"].(string); !ok {
			t.Errorf("no time in %q", line)
		}
		if _, ok := m["duration"].(float64); !ok {
			t.Errorf("no duration in %q", line)
		}
	}
}

// TestDefaultLoggerIsJSONHandler: a nil Logger gets golocal's JSONHandler
// (on standard error), the fast path of the access log.
func TestDefaultLoggerIsJSONHandler(t *testing.T) {
	if _, ok := defaultLogger().Handler().(*JSONHandler); !ok {
		t.Fatalf("default handler is %T, want *JSONHandler", defaultLogger().Handler())
	}
}
