package middleware_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/middleware"
)

// TestFaultsShowInMetrics: injected failures and latency are what a
// developer watches the RED metrics for, so requests failed or slowed by
// X-Golocal-Fault must be counted, under their route, in the request
// metrics scraped from the registry (over a real socket). With Fault
// outside Metrics (the order before issue 14) the 503s and the panic were
// missing and the latency absent from the histogram.
func TestFaultsShowInMetrics(t *testing.T) {
	m, err := metrics.New(metrics.Options{NoRuntimeCollectors: true})
	if err != nil {
		t.Fatal(err)
	}
	stack, err := middleware.Stack(middleware.StackOptions{
		Logger:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Fault:   &middleware.FaultOptions{Profile: "dev"},
		Metrics: m.Middleware,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := httptest.NewServer(stack(mux))
	defer srv.Close()

	send := func(fault string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/items/7", nil)
		if fault != "" {
			req.Header.Set(middleware.FaultHeader, fault)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	const latency = 300 * time.Millisecond
	for _, tt := range []struct {
		fault  string
		status int
	}{
		{"", 200},
		{"status=503", 503},
		{"status=503", 503},
		{"status=429", 429},
		{"panic", 500},
		{"latency=" + latency.String(), 200},
	} {
		if got := send(tt.fault); got != tt.status {
			t.Fatalf("fault %q: status %d, want %d", tt.fault, got, tt.status)
		}
	}

	scrape := scrapeMetrics(t, m)
	for _, tt := range []struct {
		series string
		want   float64
	}{
		{`http_requests_total{method="GET",route="/items/{id}",status="2xx"}`, 2},
		{`http_requests_total{method="GET",route="/items/{id}",status="5xx"}`, 3},
		{`http_requests_total{method="GET",route="/items/{id}",status="4xx"}`, 1},
	} {
		if got, ok := scrape[tt.series]; !ok || got != tt.want {
			t.Errorf("%s = %v (present %v), want %v", tt.series, got, ok, tt.want)
		}
	}
	sum := scrape[`http_request_duration_seconds_sum{method="GET",route="/items/{id}",status="2xx"}`]
	if sum < latency.Seconds() {
		t.Errorf("2xx duration sum %.3fs, want at least the injected %v", sum, latency)
	}
	for k := range scrape {
		if strings.Contains(k, `route="unmatched"`) {
			t.Errorf("an injected fault was counted as unmatched: %s", k)
		}
	}
}

var sampleLine = regexp.MustCompile(`^(\S+\{[^}]*\}|\S+) (\S+)$`)

// scrapeMetrics reads the registry as Prometheus does, over HTTP, and
// returns each sample by its series name.
func scrapeMetrics(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(body), "\n") {
		mm := sampleLine.FindStringSubmatch(line)
		if mm == nil || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := strconv.ParseFloat(mm[2], 64)
		if err == nil {
			out[mm[1]] = v
		}
	}
	return out
}
