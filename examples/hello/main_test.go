package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHandlers(t *testing.T) {
	tests := []struct {
		url         string
		status      int
		contentType string
		contains    string
	}{
		{"/", 200, "text/html; charset=utf-8", "<h1>Hello from golocal</h1>"},
		{"/api/hello", 200, "application/json", `"message":"hello, world"`},
		{"/api/hello?name=gopher", 200, "application/json", `"message":"hello, gopher"`},
		{"/api/hello?name=%3Cscript%3E", 200, "application/json", `"message":"hello, \u003cscript\u003e"`},
		{"/api/hello?name=" + strings.Repeat("a", 65), 400, "application/json", "at most 64 characters"},
		{"/api/hello?name=%ff", 400, "application/json", "valid UTF-8"},
		{"/nope", 404, "text/plain; charset=utf-8", "404 page not found"},
	}
	h := newServer()
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.url, nil))
			if rec.Code != tt.status || rec.Header().Get("Content-Type") != tt.contentType || !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("GET %s = %d %q %q; want %d %q containing %q", tt.url, rec.Code, rec.Header().Get("Content-Type"), rec.Body, tt.status, tt.contentType, tt.contains)
			}
			if tt.contentType == "application/json" && !json.Valid(rec.Body.Bytes()) {
				t.Errorf("body is not JSON: %s", rec.Body)
			}
		})
	}
}

// syncBuffer is a concurrency-safe output sink for run.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndStops(t *testing.T) {
	env := map[string]string{"HELLO_ADDR": "127.0.0.1:0", "HELLO_IGNORE_SIGNALS": "1"}
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &stdout, &stderr) }()

	listening := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+/)`)
	var url string
	for deadline := time.Now().Add(5 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("no 'listening on' line within 5s; stdout %q stderr %q", stdout.String(), stderr.String())
	}
	page, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	// The stack is in place: a CSP whose nonce the page's style carries,
	// and the other security headers.
	nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(page.Header.Get("Content-Security-Policy"))
	if nonce == nil || !strings.Contains(string(html), `<style nonce="`+nonce[1]+`">`) {
		t.Errorf("page style does not carry the CSP nonce: CSP %q\n%s", page.Header.Get("Content-Security-Policy"), html)
	}
	if page.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("no nosniff from middleware.Stack: %v", page.Header)
	}
	resp, err := http.Get(url + "api/hello?name=test")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "hello, test") {
		t.Errorf("GET /api/hello = %q", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v, want nil after a clean stop", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s of cancel")
	}
}

func TestRunExplainsBadInput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name string
		args []string
		port string
		want string
	}{
		{"bad PORT", nil, "eighty", `PORT="eighty" from the environment`},
		{"port in use", nil, strconv.Itoa(busyPort), "is already in use"},
		{"argument", []string{"serve"}, "8080", `unexpected argument "serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"PORT": tt.port, "HELLO_IGNORE_SIGNALS": "1"}
			err := run(context.Background(), tt.args, func(k string) string { return env[k] }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
