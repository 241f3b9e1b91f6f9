package middleware

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLimitInFlight: with a request holding 600 of 1000 bytes in flight,
// the next body that does not fit gets 503 with Retry-After before the
// handler sees it, one that fits passes, a chunked one is refused when
// its chunks go past the cap, and the charge is returned when the holder
// finishes.
func TestLimitInFlight(t *testing.T) {
	release, held := make(chan struct{}), make(chan struct{})
	var reached []string
	h := TraceID{}.Handler(Limit{MaxBytes: 2000, MaxInFlightBytes: 1000}.Handler(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hold" {
				close(held)
				<-release
			}
			if _, err := io.ReadAll(r.Body); err != nil {
				return
			}
			reached = append(reached, r.URL.Path)
			w.WriteHeader(http.StatusNoContent)
		})))
	holder := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/hold", strings.NewReader(strings.Repeat("h", 600))))
		holder <- rec.Code
	}()
	<-held

	chunked := func(n int) io.Reader {
		return io.MultiReader(strings.NewReader(strings.Repeat("c", n/2)), strings.NewReader(strings.Repeat("c", n-n/2)))
	}
	tests := []struct {
		name   string
		body   io.Reader
		status int
	}{
		{"does not fit", strings.NewReader(strings.Repeat("x", 401)), 503},
		{"fits", strings.NewReader(strings.Repeat("x", 400)), 204},
		{"chunked, fits", chunked(300), 204},
		{"chunked, goes past the cap", chunked(900), 503},
		{"no body", nil, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/"+strings.ReplaceAll(tt.name, " ", "-"), tt.body)
			if _, ok := tt.body.(*strings.Reader); !ok && tt.body != nil {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == 503 {
				if rec.Header().Get("Retry-After") != "1" || rec.Header().Get("Content-Type") != "application/problem+json" ||
					!strings.Contains(rec.Body.String(), "too many request bodies") {
					t.Errorf("503 without Retry-After or problem: %v %s", rec.Header(), rec.Body)
				}
			}
		})
	}
	close(release)
	if code := <-holder; code != 204 {
		t.Fatalf("holder: %d", code)
	}
	// All charges returned: a body of the whole cap fits again, and a
	// lone body larger than the cap is admitted when nothing else is in
	// flight.
	for _, n := range []int{1000, 1500} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/after", strings.NewReader(strings.Repeat("a", n))))
		if rec.Code != 204 {
			t.Errorf("%d bytes after the holder finished: status %d %s", n, rec.Code, rec.Body)
		}
	}
	for _, p := range reached {
		if strings.Contains(p, "does-not-fit") {
			t.Errorf("a refused body reached the handler: %v", reached)
		}
	}
}
