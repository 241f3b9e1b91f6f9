package middleware

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPanicFloodBounded: 10,000 panics from one call site, across
// several intervals and from concurrent requests, write one full record
// per interval and a summary of the repeats, not 10,000 stacks. Before the
// per-site bound the same flood wrote a stack per panic (over 30 MB).
func TestPanicFloodBounded(t *testing.T) {
	const panics = 10_000
	const interval = 100 * time.Millisecond
	var sink logSink
	h := Recover{Logger: sink.logger(), RepeatInterval: interval}.Handler(TraceID{}.Handler(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/other" {
				panic("another site")
			}
			panic("flood")
		})))
	start := time.Now()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range panics / 4 {
				path := "/flood"
				if g == 0 && i == 0 {
					path = "/other"
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != 500 {
					t.Errorf("status %d", rec.Code)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	time.Sleep(interval + 200*time.Millisecond) // the last interval's summary

	intervals := int(elapsed/interval) + 2
	var full, repeats, summaries int
	sites := map[string]bool{}
	for _, rec := range sink.records(t) {
		switch rec["msg"] {
		case "panic":
			full++
			site, _ := rec["site"].(string)
			sites[site] = true
			if !strings.Contains(site, "TestPanicFloodBounded") || !strings.Contains(site, "panic_log_test.go:") {
				t.Errorf("site %q does not name the panicking function and line", site)
			}
			if stack, _ := rec["stack"].(string); !strings.Contains(stack, "goroutine") {
				t.Errorf("first record of a site lacks its stack: %v", rec)
			}
		case "panic repeated":
			summaries++
			n, _ := rec["repeats"].(float64)
			repeats += int(n)
			if id, _ := rec["last_trace_id"].(string); len(id) != 32 {
				t.Errorf("summary without the last trace id: %v", rec)
			}
		default:
			t.Errorf("unexpected record %v", rec)
		}
	}
	if full+repeats != panics {
		t.Errorf("%d full records + %d counted repeats = %d, want every one of %d panics accounted for", full, repeats, full+repeats, panics)
	}
	if len(sites) != 2 {
		t.Errorf("sites %v, want the two panicking lines", sites)
	}
	if full > 2*intervals || summaries > 2*intervals {
		t.Errorf("%d full records and %d summaries for %d intervals of %v: want at most one of each per site and interval", full, summaries, intervals, interval)
	}
	sink.mu.Lock()
	size := sink.buf.Len()
	sink.mu.Unlock()
	if bound := intervals * 2 * 8 << 10; size > bound {
		t.Errorf("%d panics wrote %d bytes of log, want at most %d (8 KiB per site and interval)", panics, size, bound)
	}
	t.Logf("%d panics in %v: %d bytes of log, %d full records, %d summaries", panics, elapsed.Round(time.Millisecond), size, full, summaries)
}

// TestPanicRepeatIntervalNegative keeps the old behaviour on request: every
// panic logged with its stack.
func TestPanicRepeatIntervalNegative(t *testing.T) {
	var sink logSink
	h := Recover{Logger: sink.logger(), RepeatInterval: -1}.Handler(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("each") }))
	for range 3 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
	recs := sink.records(t)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for _, r := range recs {
		if r["msg"] != "panic" || r["stack"] == "" {
			t.Errorf("record %v", r)
		}
	}
}
