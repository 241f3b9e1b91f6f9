package middleware

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// readAllHandler reads the body, then answers as a careless handler would:
// with its own error text, which Limit must not let through after a 413.
func readAllHandler(reached *bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*reached = true
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "internal: "+err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte("got " + string(rune('0'+len(b)%10))))
	})
}

func TestLimit(t *testing.T) {
	tests := []struct {
		name        string
		max         int64
		body        io.Reader
		wantStatus  int
		wantReached bool
	}{
		{"under cap", 10, strings.NewReader("12345"), 200, true},
		{"exactly cap", 10, strings.NewReader("1234567890"), 200, true},
		{"content-length over cap", 10, strings.NewReader("12345678901"), 413, false},
		{"chunked over cap", 10, io.MultiReader(strings.NewReader("123456"), strings.NewReader("789012")), 413, true},
		{"no body", 10, nil, 200, true},
		{"default cap passes 1 MiB", 0, bytes.NewReader(make([]byte, DefaultMaxBodyBytes)), 200, true},
		{"default cap refuses 1 MiB + 1", 0, bytes.NewReader(make([]byte, DefaultMaxBodyBytes+1)), 413, false},
		{"no cap", -1, bytes.NewReader(make([]byte, DefaultMaxBodyBytes+1)), 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached := false
			h := TraceID{}.Handler(Limit{MaxBytes: tt.max}.Handler(readAllHandler(&reached)))
			req := httptest.NewRequest("POST", "/upload", tt.body)
			if _, ok := tt.body.(interface{ Len() int }); !ok && tt.body != nil {
				req.ContentLength = -1 // chunked: size unknown up front
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || reached != tt.wantReached {
				t.Fatalf("status %d reached %v, want %d %v; body %q", rec.Code, reached, tt.wantStatus, tt.wantReached, rec.Body.String())
			}
			if tt.wantStatus != 413 {
				return
			}
			// Result() has the header as sent; rec.Header() shows later edits.
			if ct := rec.Result().Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			body := rec.Body.String()
			if strings.Contains(body, "internal") {
				t.Errorf("handler output leaked after the 413: %q", body)
			}
			var p map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("413 body is not one JSON document: %q", body)
			}
			if p["status"] != float64(413) || p["trace_id"] == nil {
				t.Errorf("problem %v", p)
			}
		})
	}
}

// TestLimitRealServer sends an over-cap chunked body over a socket.
func TestLimitRealServer(t *testing.T) {
	reached := false
	srv := httptest.NewServer(Limit{MaxBytes: 1024}.Handler(readAllHandler(&reached)))
	defer srv.Close()
	pr, pw := io.Pipe()
	go func() {
		for range 64 {
			if _, err := pw.Write(make([]byte, 512)); err != nil {
				return // server closed the connection after the 413
			}
		}
		pw.Close()
	}()
	resp, err := http.Post(srv.URL, "application/octet-stream", pr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 413 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("got %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	_ = pr.Close()
}

// A handler that already answered keeps its answer: Limit never writes
// over a started response.
func TestLimitAfterHandlerStarted(t *testing.T) {
	h := Limit{MaxBytes: 4}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, err := io.ReadAll(r.Body)
		if err == nil {
			t.Error("over-cap read succeeded")
		}
	}))
	req := httptest.NewRequest("POST", "/", io.MultiReader(strings.NewReader("123456789")))
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted || rec.Body.Len() != 0 {
		t.Errorf("got %d %q", rec.Code, rec.Body.String())
	}
}
