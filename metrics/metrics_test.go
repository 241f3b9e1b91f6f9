package metrics_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/middleware"
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

func testApp(m *metrics.Metrics) http.Handler { return m.Middleware(testMux()) }

func testMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "item") })
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusBadGateway) })
	mux.HandleFunc("GET /silent", func(w http.ResponseWriter, r *http.Request) {})
	return mux
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

	// 10,000 requests over loopback to random unmatched paths with random
	// odd methods add no series. Every other request goes to a second
	// server of the same Metrics whose mux sits behind a request-copying
	// layer and Route, so that path is bounded too.
	routed := httptest.NewServer(m.Middleware(copying(m.Route(testMux()))))
	defer routed.Close()
	var wg sync.WaitGroup
	var errs atomic.Int64
	const workers, total = 4, 10000
	for w := range workers {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(1, uint64(w)))
			client := &http.Client{Timeout: 10 * time.Second}
			for i := w; i < total; i += workers {
				base := app.URL
				if i%2 == 1 {
					base = routed.URL
				}
				method := []string{"GET", "POST", "X" + fmt.Sprint(rnd.IntN(1e6))}[i%3]
				req, _ := http.NewRequest(method, fmt.Sprintf("%s/r%d/%x?q=%d", base, rnd.Int(), rnd.Uint64(), i), nil)
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if n := errs.Load(); n > 0 {
		t.Fatalf("%d of %d requests failed", n, total)
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

// copying is the kind of middleware that hides r.Pattern from outer
// layers: it hands next a copy of the request (as session, CSRF and
// tracing middleware do with r.WithContext).
func copying(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), copyKey{}, 1)))
	})
}

type copyKey struct{}

// detaching replaces the context altogether and wraps the writer (with
// Unwrap, as http.ResponseController expects): Route must then find
// Middleware through the writer chain.
func detaching(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&unwrapper{w}, r.WithContext(context.Background()))
	})
}

type unwrapper struct{ http.ResponseWriter }

func (u *unwrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }

func TestRouteThroughRequestCopies(t *testing.T) {
	stack, err := middleware.Stack(middleware.StackOptions{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// build returns the handler to serve, given the Metrics and the mux.
		build func(m *metrics.Metrics, mux http.Handler) http.Handler
		want  string // route label of GET /items/7
	}{
		{"directly around the mux", func(m *metrics.Metrics, mux http.Handler) http.Handler { return m.Middleware(mux) }, "/items/{id}"},
		{"copy in between without Route: the known pitfall", func(m *metrics.Metrics, mux http.Handler) http.Handler {
			return m.Middleware(copying(mux))
		}, metrics.Unmatched},
		{"copy in between with Route", func(m *metrics.Metrics, mux http.Handler) http.Handler {
			return m.Middleware(copying(copying(m.Route(mux))))
		}, "/items/{id}"},
		{"context replaced, found through Unwrap", func(m *metrics.Metrics, mux http.Handler) http.Handler {
			return m.Middleware(detaching(m.Route(mux)))
		}, "/items/{id}"},
		{"Route without copies", func(m *metrics.Metrics, mux http.Handler) http.Handler { return m.Middleware(m.Route(mux)) }, "/items/{id}"},
		{"inside middleware.Stack with a copying layer", func(m *metrics.Metrics, mux http.Handler) http.Handler {
			s, err := middleware.Stack(middleware.StackOptions{
				Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
				Metrics: m.Middleware,
			})
			if err != nil {
				t.Fatal(err)
			}
			return s(copying(m.Route(mux)))
		}, "/items/{id}"},
		{"Stack outside, Middleware and Route inside the user's layers", func(m *metrics.Metrics, mux http.Handler) http.Handler {
			return stack(copying(m.Middleware(copying(m.Route(mux)))))
		}, "/items/{id}"},
		{"nested muxes, innermost Route wins", func(m *metrics.Metrics, mux http.Handler) http.Handler {
			outer := http.NewServeMux()
			outer.Handle("/", copying(m.Route(mux)))
			return m.Middleware(copying(m.Route(outer)))
		}, "/items/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMetrics(t, metrics.Options{NoRuntimeCollectors: true})
			mux := http.NewServeMux()
			mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
				if r.PathValue("id") != "7" {
					t.Errorf("path value %q", r.PathValue("id"))
				}
				io.WriteString(w, "item")
			})
			mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
			app := httptest.NewServer(tt.build(m, mux))
			defer app.Close()
			// No keep-alive: the client would retry the GET whose handler
			// aborted on a reused connection, counting it twice.
			app.Client().Transport.(*http.Transport).DisableKeepAlives = true
			admin := httptest.NewServer(m.Handler())
			defer admin.Close()
			for _, path := range []string{"/items/7", "/nowhere", "/panic"} {
				resp, err := app.Client().Get(app.URL + path)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
			fams := scrape(t, admin.URL)
			if got := counter(fams, "http_requests_total", map[string]string{"method": "GET", "route": tt.want, "status": "2xx"}); got != 1 {
				t.Errorf("GET /items/7 counted %v times under route %q, want 1; series %v", got, tt.want, seriesOf(fams["http_requests_total"]))
			}
			if got := counter(fams, "http_requests_total", map[string]string{"method": "GET", "route": metrics.Unmatched, "status": "4xx"}); got != 1 {
				t.Errorf("GET /nowhere counted %v times as unmatched 4xx, want 1; series %v", got, seriesOf(fams["http_requests_total"]))
			}
			if tt.want != metrics.Unmatched {
				// A panicking handler still has its route recorded (as a 500).
				if got := counter(fams, "http_requests_total", map[string]string{"route": "/panic", "status": "5xx"}); got != 1 {
					t.Errorf("panic counted %v times under /panic, want 1; series %v", got, seriesOf(fams["http_requests_total"]))
				}
			}
		})
	}
}

func TestRouteWithoutMiddlewareAndAcrossInstances(t *testing.T) {
	m1 := newMetrics(t, metrics.Options{NoRuntimeCollectors: true})
	m2 := newMetrics(t, metrics.Options{NoRuntimeCollectors: true})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "a") })

	// Route alone just serves.
	rec := httptest.NewRecorder()
	m1.Route(mux).ServeHTTP(rec, httptest.NewRequest("GET", "/a", nil))
	if rec.Body.String() != "a" {
		t.Errorf("Route alone served %q", rec.Body)
	}
	// Route is one mechanism shared by every reader (it is
	// middleware.CaptureRoute): m2's Route feeds m1's Middleware, and both
	// of two nested Middlewares.
	m1.Middleware(copying(m2.Route(mux))).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/a", nil))
	m1.Middleware(copying(m2.Middleware(copying(middleware.CaptureRoute(mux))))).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/a", nil))
	for i, m := range []*metrics.Metrics{m1, m2} {
		srv := httptest.NewServer(m.Handler())
		fams := scrape(t, srv.URL)
		srv.Close()
		want := float64(2 - i)
		if got := counter(fams, "http_requests_total", map[string]string{"route": "/a"}); got != want {
			t.Errorf("m%d counted %v under /a, want %v; series %v", i+1, got, want, seriesOf(fams["http_requests_total"]))
		}
	}
}

// seriesOf lists the label sets of a family, for error messages.
func seriesOf(f *dto.MetricFamily) []string {
	if f == nil {
		return nil
	}
	var out []string
	for _, m := range f.Metric {
		var ls []string
		for _, l := range m.Label {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		out = append(out, fmt.Sprintf("{%s}=%v", strings.Join(ls, ","), m.GetCounter().GetValue()))
	}
	return out
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
	// Route costs nothing when nothing copies the request: it finds the
	// slot by unwrapping the writer.
	hr := m.Middleware(m.Route(mux))
	b.Run("with-metrics-and-route", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hr.ServeHTTP(w, req)
		}
	})
	// Inside middleware.Stack, Middleware reads the stack's state and
	// allocates nothing; compare the stack with and without it.
	stack := func(mm *metrics.Metrics) http.Handler {
		opts := middleware.StackOptions{Logger: slog.New(middleware.NewJSONHandler(io.Discard, nil))}
		if mm != nil {
			opts.Metrics = mm.Middleware
		}
		s, err := middleware.Stack(opts)
		if err != nil {
			b.Fatal(err)
		}
		return s(mux)
	}
	ns := map[string]float64{}
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"stack", stack(nil)}, {"stack-with-metrics", stack(m)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				c.h.ServeHTTP(w, req)
			}
			ns[c.name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
	}
	if a, b := ns["stack"], ns["stack-with-metrics"]; a > 0 && b > 0 {
		fmt.Printf("middleware.Stack %.0f ns, with metrics %.0f ns: metrics add %.0f ns (%.2fx)\n", a, b, b-a, b/a)
	}
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}
