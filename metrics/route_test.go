package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/middleware"
)

// accessSink collects the access log's JSON lines.
type accessSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *accessSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// requests returns the access-log records (msg "request") as
// "METHOD route class" strings.
func (s *accessSink) requests(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for line := range strings.SplitSeq(strings.TrimSpace(s.buf.String()), "\n") {
		if line == "" { // nothing logged yet
			continue
		}
		var rec struct {
			Msg, Method, Route string
			Status             int
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		if rec.Msg == "request" {
			out = append(out, fmt.Sprintf("%s %s %dxx", rec.Method, rec.Route, rec.Status/100))
		}
	}
	slices.Sort(out)
	return out
}

// counted returns every request counted by http_requests_total as
// "METHOD route class" strings, one per request.
func counted(t *testing.T, m *metrics.Metrics) []string {
	t.Helper()
	admin := httptest.NewServer(m.Handler())
	defer admin.Close()
	var out []string
	f := scrape(t, admin.URL)["http_requests_total"]
	if f == nil {
		return nil
	}
	for _, s := range f.Metric {
		l := map[string]string{}
		for _, p := range s.Label {
			l[p.GetName()] = p.GetValue()
		}
		for range int(s.GetCounter().GetValue()) {
			out = append(out, l["method"]+" "+l["route"]+" "+l["status"])
		}
	}
	slices.Sort(out)
	return out
}

// contextValue adds a context value, handing next a copy of the request:
// what session, CSRF and authentication middleware do.
func contextValue(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), copyKey{}, 1)))
	})
}

// replacedContext replaces the context altogether, wrapping the writer
// with Unwrap (as http.ResponseController expects wrappers to).
func replacedContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&unwrapper{w}, r.WithContext(context.Background()))
	})
}

// env is what a test case assembles its handler from.
type env struct {
	stack func(*metrics.Metrics) func(http.Handler) http.Handler // middleware.Stack, with that Metrics when not nil
	m     *metrics.Metrics
	mux   http.Handler
	log   *slog.Logger // the access log's sink
}

// TestAccessLogAndMetricsAgreeOnRoute checks that, however the layers are
// arranged, the access log record and the metric series of each request
// show the same route and status class — because both read one slot.
func TestAccessLogAndMetricsAgreeOnRoute(t *testing.T) {
	const item = "/items/{id}"
	tests := []struct {
		name string
		// build assembles the handler from a stack-builder, the Metrics and the mux.
		build func(e env) http.Handler
		// itemRoute is the route of GET /items/7 in both places.
		itemRoute string
	}{
		{"Stack around the mux", func(e env) http.Handler {
			return e.stack(e.m)(e.mux)
		}, item},
		{"copying layer, CaptureRoute innermost", func(e env) http.Handler {
			return e.stack(e.m)(contextValue(contextValue(middleware.CaptureRoute(e.mux))))
		}, item},
		{"copying layer, metrics' Route innermost (the same layer)", func(e env) http.Handler {
			return e.stack(e.m)(contextValue(e.m.Route(e.mux)))
		}, item},
		{"replaced context, found through the writer", func(e env) http.Handler {
			return e.stack(e.m)(replacedContext(middleware.CaptureRoute(e.mux)))
		}, item},
		{"copying layer and no capture: both unmatched", func(e env) http.Handler {
			return e.stack(e.m)(contextValue(e.mux))
		}, metrics.Unmatched},
		{"nested muxes sharing the request", func(e env) http.Handler {
			outer := http.NewServeMux()
			outer.Handle("/", e.mux)
			return e.stack(e.m)(outer)
		}, item},
		{"nested muxes behind StripPrefix and a copy, innermost capture wins", func(e env) http.Handler {
			outer := http.NewServeMux()
			outer.Handle("/v1/", http.StripPrefix("/v1", contextValue(middleware.CaptureRoute(e.mux))))
			return e.stack(e.m)(outer) // the requests' paths get /v1 in front
		}, item},
		{"Metrics inside the user's layers, Stack outside", func(e env) http.Handler {
			return e.stack(nil)(contextValue(e.m.Middleware(contextValue(middleware.CaptureRoute(e.mux)))))
		}, item},
		{"hand-assembled: AccessLog, Metrics, copy, CaptureRoute", func(e env) http.Handler {
			return middleware.Recover{Logger: e.log}.Handler(middleware.AccessLog{Logger: e.log}.Handler(
				e.m.Middleware(contextValue(middleware.CaptureRoute(e.mux)))))
		}, item},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &accessSink{}
			log := slog.New(middleware.NewJSONHandler(sink, nil))
			m := newMetrics(t, metrics.Options{NoRuntimeCollectors: true})
			stack := func(mm *metrics.Metrics) func(http.Handler) http.Handler {
				opts := middleware.StackOptions{Logger: log}
				if mm != nil {
					opts.Metrics = mm.Middleware
				}
				s, err := middleware.Stack(opts)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			mux := http.NewServeMux()
			mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "item") })
			mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
			srv := httptest.NewServer(tt.build(env{stack: stack, m: m, mux: mux, log: log}))
			defer srv.Close()
			client := srv.Client()
			prefix := ""
			if strings.Contains(tt.name, "StripPrefix") {
				prefix = "/v1"
			}
			route := func(r string) string {
				if tt.itemRoute == metrics.Unmatched {
					return metrics.Unmatched
				}
				return r
			}
			requests := []struct {
				method, path string
				want         string // "METHOD route class", in the log and the metrics
			}{
				{"GET", "/items/7", "GET " + tt.itemRoute + " 2xx"},
				{"GET", "/nowhere", "GET unmatched 4xx"},
				{"DELETE", "/items/7", "DELETE unmatched 4xx"}, // 405
				{"GET", "/panic", "GET " + route("/panic") + " 5xx"},
			}
			var want []string
			for _, rq := range requests {
				req, _ := http.NewRequest(rq.method, srv.URL+prefix+rq.path, nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				want = append(want, rq.want)
			}
			slices.Sort(want)
			logged, metered := sink.requests(t), counted(t, m)
			if !slices.Equal(logged, metered) {
				t.Errorf("access log and metrics disagree:\nlog:     %q\nmetrics: %q", logged, metered)
			}
			if !slices.Equal(logged, want) {
				t.Errorf("access log %q, want %q", logged, want)
			}
		})
	}
}

// TestClientGoneAgrees: a client that leaves before the handler answers is
// a 499 in the access log and a 4xx in the metrics, under the route.
func TestClientGoneAgrees(t *testing.T) {
	sink := &accessSink{}
	m := newMetrics(t, metrics.Options{NoRuntimeCollectors: true})
	stack, err := middleware.Stack(middleware.StackOptions{Logger: slog.New(middleware.NewJSONHandler(sink, nil)), Metrics: m.Middleware})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		<-r.Context().Done()
	})
	srv := httptest.NewServer(stack(contextValue(middleware.CaptureRoute(mux))))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow", nil)
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the request should have timed out")
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handler never saw the client leave")
	}
	// The handler returned; the stack's deferred records follow at once.
	deadline := time.Now().Add(5 * time.Second)
	for len(sink.requests(t)) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	want := []string{"GET /slow 4xx"}
	if got := sink.requests(t); !slices.Equal(got, want) {
		t.Errorf("access log %q, want %q", got, want)
	}
	sink.mu.Lock()
	logged := sink.buf.String()
	sink.mu.Unlock()
	if !strings.Contains(logged, `"status":499`) {
		t.Errorf("access log lacks status 499: %s", logged)
	}
	if got := counted(t, m); !slices.Equal(got, want) {
		t.Errorf("metrics %q, want %q", got, want)
	}
}

// TestNoAllocationInsideStack: inside middleware.Stack, Middleware reads
// the stack's state instead of wrapping the writer, so it adds no
// allocation per request.
func TestNoAllocationInsideStack(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector adds allocations of its own; run without -race")
	}
	m := newMetrics(t, metrics.Options{NoRuntimeCollectors: true})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "item") })
	build := func(mm *metrics.Metrics) http.Handler {
		opts := middleware.StackOptions{Logger: discardLogger()}
		if mm != nil {
			opts.Metrics = mm.Middleware
		}
		s, err := middleware.Stack(opts)
		if err != nil {
			t.Fatal(err)
		}
		return s(mux)
	}
	req := httptest.NewRequest("GET", "/items/7", nil)
	w := discardWriter{http.Header{}}
	allocs := func(h http.Handler) float64 {
		h.ServeHTTP(w, req) // creates the series
		return testing.AllocsPerRun(200, func() { clear(w.h); h.ServeHTTP(w, req) })
	}
	without, with := allocs(build(nil)), allocs(build(m))
	if with != without {
		t.Errorf("the stack makes %.0f allocations per request with metrics, %.0f without; want no difference", with, without)
	}
}

func discardLogger() *slog.Logger { return slog.New(middleware.NewJSONHandler(io.Discard, nil)) }
