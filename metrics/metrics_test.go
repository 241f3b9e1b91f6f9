package metrics_test

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/golocal/golocal/metrics"
)

func newMetrics(t testing.TB, opts metrics.Options) *metrics.Metrics {
	t.Helper()
	m, err := metrics.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// scrape fetches /metrics over a real connection and parses it with
// expfmt, failing on any syntax error.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

func testApp(m *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "item") })
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusBadGateway) })
	mux.HandleFunc("GET /silent", func(w http.ResponseWriter, r *http.Request) {})
	return m.Middleware(mux)
}

func counter(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		return m.GetCounter().GetValue()
	}
	return 0
}

func TestREDMetricsAndBoundedCardinality(t *testing.T) {
	m := newMetrics(t, metrics.Options{Namespace: "shop", Version: "v1.2.3", Revision: "abc123"})
	app := httptest.NewServer(testApp(m))
	defer app.Close()
	admin := httptest.NewServer(m.Handler())
	defer admin.Close()

	do := func(method, path string) {
		req, _ := http.NewRequest(method, app.URL+path, nil)
		resp, err := app.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	do("GET", "/items/1")
	do("GET", "/items/2")
	do("POST", "/items")
	do("GET", "/fail")
	do("GET", "/silent")
	do("BREW", "/items/3") // unknown method: 405 from the mux, unmatched
	do("GET", "/nowhere")

	fams := scrape(t, admin.URL)
	tests := []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"method": "GET", "route": "/items/{id}", "status": "2xx"}, 2},
		{map[string]string{"method": "POST", "route": "/items", "status": "2xx"}, 1},
		{map[string]string{"method": "GET", "route": "/fail", "status": "5xx"}, 1},
		{map[string]string{"method": "GET", "route": "/silent", "status": "2xx"}, 1},
		{map[string]string{"method": "other", "route": "unmatched", "status": "4xx"}, 1},
		{map[string]string{"method": "GET", "route": "unmatched", "status": "4xx"}, 1},
	}
	for _, tt := range tests {
		if got := counter(fams, "shop_http_requests_total", tt.labels); got != tt.want {
			t.Errorf("shop_http_requests_total%v = %v, want %v", tt.labels, got, tt.want)
		}
	}
	for _, name := range []string{"shop_http_request_duration_seconds", "shop_http_requests_in_flight", "shop_build_info", "go_goroutines", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("metric %s missing", name)
		}
	}
	bi := fams["shop_build_info"].Metric[0]
	labels := map[string]string{}
	for _, l := range bi.Label {
		labels[l.GetName()] = l.GetValue()
	}
	if labels["version"] != "v1.2.3" || labels["revision"] != "abc123" || !strings.HasPrefix(labels["goversion"], "go") || bi.GetGauge().GetValue() != 1 {
		t.Errorf("build_info = %v %v", labels, bi.GetGauge().GetValue())
	}
	if got := fams["shop_http_request_duration_seconds"].Metric[0].GetHistogram().GetSampleCount(); got < 1 {
		t.Errorf("histogram sample count = %d", got)
	}
	before := len(fams["shop_http_requests_total"].Metric)
	beforeHist := len(fams["shop_http_request_duration_seconds"].Metric)

	// 10,000 requests to random unmatched paths with random odd methods add
	// no series. Sent through the handler in-process to keep the test
	// fast on a shared machine; the scrape above already crossed a socket.
	h := testApp(m)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 10000 {
		method := []string{"GET", "POST", "X" + fmt.Sprint(rnd.IntN(1e6))}[i%3]
		req := httptest.NewRequest(method, fmt.Sprintf("/r%d/%x?q=%d", rnd.Int(), rnd.Uint64(), i), nil)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	fams = scrape(t, admin.URL)
	if after := len(fams["shop_http_requests_total"].Metric); after != before+1 { // + POST unmatched
		t.Errorf("series after 10,000 random paths: %d, before %d; want only POST/unmatched added", after, before)
	}
	if after := len(fams["shop_http_request_duration_seconds"].Metric); after != beforeHist+1 {
		t.Errorf("histogram series %d, before %d", after, beforeHist)
	}
	if got := counter(fams, "shop_http_requests_total", map[string]string{"method": "other", "route": "unmatched", "status": "4xx"}); got != 1+3333 {
		t.Errorf("other/unmatched = %v, want 3334", got)
	}
}

func TestPatternSeenOnlyInnermost(t *testing.T) {
	// Documented pitfall: a layer between Middleware and the mux that
	// copies the request hides r.Pattern. Middleware directly around the
	// mux sees it.
	m := newMetrics(t, metrics.Options{NoRuntimeCollectors: true})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a", func(http.ResponseWriter, *http.Request) {})
	copying := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r.WithContext(r.Context())) })
	}
	copying(m.Middleware(mux)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/a", nil))
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	fams := scrape(t, srv.URL)
	if got := counter(fams, "http_requests_total", map[string]string{"route": "/a"}); got != 1 {
		t.Errorf("route /a counted %v times, want 1", got)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		opts metrics.Options
		want string
	}{
		{metrics.Options{Namespace: "my-app"}, `Namespace "my-app" is not a valid Prometheus name prefix; use letters, digits and '_', not starting with a digit (for example "my_app")`},
		{metrics.Options{Namespace: "9x"}, `(for example "app_9x")`},
		{metrics.Options{Namespace: "a b"}, `"a_b"`},
		{metrics.Options{Buckets: []float64{1, 0.5}}, "Buckets must be strictly increasing; 0.5 follows 1 at index 1"},
	}
	for _, tt := range tests {
		_, err := metrics.New(tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want error containing %q", tt.opts, err, tt.want)
		}
	}
	// Two instances never collide (no global registry).
	newMetrics(t, metrics.Options{})
	newMetrics(t, metrics.Options{})
}

func TestPanicIsCountedAndReraised(t *testing.T) {
	m := newMetrics(t, metrics.Options{NoRuntimeCollectors: true})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the original panic", p)
			}
		}()
		m.Middleware(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/panic", nil))
	}()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	if got := counter(scrape(t, srv.URL), "http_requests_total", map[string]string{"route": "/panic", "status": "5xx"}); got != 1 {
		t.Errorf("panic counted %v, want 1 as 5xx", got)
	}
}

func TestWriterKeepsFlushAndHijack(t *testing.T) {
	m := newMetrics(t, metrics.Options{NoRuntimeCollectors: true})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
	})
	mux.HandleFunc("GET /hijack", func(w http.ResponseWriter, r *http.Request) {
		c, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer c.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: close\r\n\r\n")
		rw.Flush()
	})
	srv := httptest.NewServer(m.Middleware(mux))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	resp.Body.Close()
	if line != "a\n" {
		t.Errorf("stream got %q", line)
	}
	resp, err = http.Get(srv.URL + "/hijack")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 101 {
		t.Errorf("hijack status %d", resp.StatusCode)
	}
}

func BenchmarkMiddleware(b *testing.B) {
	m := newMetrics(b, metrics.Options{NoRuntimeCollectors: true})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	h := m.Middleware(mux)
	bare := http.Handler(mux)
	req := httptest.NewRequest("GET", "/items/42", nil)
	w := discardWriter{http.Header{}}
	b.Run("bare-mux", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bare.ServeHTTP(w, req)
		}
	})
	b.Run("with-metrics", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}
