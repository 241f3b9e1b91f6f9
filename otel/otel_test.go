package otel_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/otel"
	"github.com/golocal/golocal/otel/otlptest"
	_ "modernc.org/sqlite"
)

const (
	incomingTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	incomingParent = "00f067aa0ba902b7"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// syncBuffer is a log destination several goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// service is a small kit service: the stack with tracing, a metrics
// middleware, a route that queries SQLite and calls a downstream server.
type service struct {
	url        string
	logs       *syncBuffer
	metrics    *metrics.Metrics
	downstream chan http.Header
	tracing    *otel.Tracing
}

func startService(t *testing.T, getenv func(string) string, opts otel.Options) *service {
	t.Helper()
	opts.Getenv = getenv
	if opts.BatchTimeout == 0 {
		opts.BatchTimeout = 50 * time.Millisecond
	}
	tr, err := otel.Setup(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = tr.Shutdown(ctx)
	})
	s := &service{logs: &syncBuffer{}, downstream: make(chan http.Header, 16), tracing: tr}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.downstream <- r.Header.Clone():
		default: // a test that does not read them
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(down.Close)

	probe, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	connector, err := tr.WrapDriver(probe.Driver(), "file:otel-test?mode=memory&cache=shared", "sqlite")
	_ = probe.Close()
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, secret TEXT)`); err != nil {
		t.Fatal(err)
	}
	m, err := metrics.New(metrics.Options{NoRuntimeCollectors: true})
	if err != nil {
		t.Fatal(err)
	}
	s.metrics = m
	logger := slog.New(middleware.NewJSONHandler(s.logs, nil))
	client := &http.Client{Transport: tr.Transport(nil)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if _, err := db.ExecContext(ctx, `INSERT INTO orders (secret) VALUES (?)`, "parameter-value-never-recorded"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM orders WHERE secret = ?`, "parameter-value-never-recorded").Scan(&n); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", down.URL+"/stock?token=query-never-recorded", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_ = resp.Body.Close()
		logger.InfoContext(ctx, "order created", "n", n)
		w.WriteHeader(http.StatusCreated)
	})
	stack, err := middleware.Stack(middleware.StackOptions{Logger: logger, Metrics: m.Middleware, Tracing: tr.Handler})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(stack(mux))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *service) post(t *testing.T, traceparent, tracestate string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.url+"/orders/7", nil)
	if traceparent != "" {
		req.Header.Set("Traceparent", traceparent)
	}
	if tracestate != "" {
		req.Header.Set("Tracestate", tracestate)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %d %s", resp.StatusCode, body)
	}
}

func find(spans []otlptest.Span, pred func(otlptest.Span) bool) []otlptest.Span {
	var out []otlptest.Span
	for _, s := range spans {
		if pred(s) {
			out = append(out, s)
		}
	}
	return out
}

// TestServerSpanJoinsLogsMetricsAndChildren is the whole chain: the caller's
// trace continued, the server span named after the route with the kit's
// span id, SQL and HTTP client spans as its children, the same ids in the
// log lines and as an exemplar in /metrics.
func TestServerSpanJoinsLogsMetricsAndChildren(t *testing.T) {
	rcv, err := otlptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	s := startService(t, env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL(), "OTEL_SERVICE_NAME": "orders-test"}), otel.Options{})
	s.post(t, "00-"+incomingTrace+"-"+incomingParent+"-01", "vendor=abc")

	spans, err := rcv.WaitFor(10*time.Second, func(sp []otlptest.Span) bool {
		return len(find(sp, func(s otlptest.Span) bool { return s.Kind == "server" })) == 1 &&
			len(find(sp, func(s otlptest.Span) bool { return s.Kind == "client" })) >= 3
	})
	if err != nil {
		t.Fatalf("%v: %+v", err, spans)
	}
	server := find(spans, func(s otlptest.Span) bool { return s.Kind == "server" })[0]
	if server.Name != "POST /orders/{id}" || server.Attributes["http.route"] != "/orders/{id}" {
		t.Errorf("server span name %q, http.route %q; want the route", server.Name, server.Attributes["http.route"])
	}
	if server.TraceID != incomingTrace || server.ParentSpanID != incomingParent {
		t.Errorf("server span trace %s parent %s; want the caller's %s / %s", server.TraceID, server.ParentSpanID, incomingTrace, incomingParent)
	}
	if server.Attributes["http.response.status_code"] != "201" || server.Resource["service.name"] != "orders-test" {
		t.Errorf("status %q, service.name %q", server.Attributes["http.response.status_code"], server.Resource["service.name"])
	}
	children := find(spans, func(c otlptest.Span) bool { return c.ParentSpanID == server.SpanID })
	var sqlOps []string
	for _, c := range children {
		if c.TraceID != incomingTrace {
			t.Errorf("child %q in trace %s", c.Name, c.TraceID)
		}
		for k, v := range c.Attributes {
			if strings.Contains(v, "parameter-value-never-recorded") || strings.Contains(v, "query-never-recorded") {
				t.Errorf("child %q attribute %s records a parameter or query value: %q", c.Name, k, v)
			}
		}
		if c.Attributes["db.system.name"] == "sqlite" {
			sqlOps = append(sqlOps, c.Name)
		}
	}
	if strings.Join(sqlOps, ",") != "INSERT,SELECT" {
		t.Errorf("SQL child spans %v; want INSERT,SELECT", sqlOps)
	}
	httpChild := find(children, func(c otlptest.Span) bool { return c.Attributes["url.full"] != "" })
	if len(httpChild) != 1 {
		t.Fatalf("HTTP client spans under the server span: %+v", httpChild)
	}
	got := <-s.downstream
	if want := "00-" + incomingTrace + "-" + httpChild[0].SpanID + "-01"; got.Get("Traceparent") != want {
		t.Errorf("downstream traceparent %q; want %q (the client span)", got.Get("Traceparent"), want)
	}
	if got.Get("Tracestate") != "vendor=abc" {
		t.Errorf("downstream tracestate %q; want the caller's", got.Get("Tracestate"))
	}

	// Logs: the handler's own line and the access line carry both ids.
	var joined int
	for _, l := range s.logs.lines(t) {
		if l["trace_id"] == incomingTrace && l["span_id"] == server.SpanID {
			joined++
		}
	}
	if joined != 2 {
		t.Errorf("%d log lines carry trace_id %s and span_id %s; want 2 (handler + access)\n%v", joined, incomingTrace, server.SpanID, s.logs.lines(t))
	}

	// Metrics: an exemplar with the trace id, in OpenMetrics only.
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	rec := httptest.NewRecorder()
	s.metrics.Handler().ServeHTTP(rec, req)
	if want := `trace_id="` + incomingTrace + `"`; !strings.Contains(rec.Body.String(), want) || !strings.Contains(rec.Body.String(), `span_id="`+server.SpanID+`"`) {
		t.Errorf("OpenMetrics exposition has no exemplar %s:\n%s", want, rec.Body.String())
	}
}

// TestSampledOutKeepsIDsExportsNothing: ratio 0 exports no span, but logs
// still carry the trace id and calls still propagate it (unsampled).
func TestSampledOutKeepsIDsExportsNothing(t *testing.T) {
	rcv, err := otlptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	s := startService(t, env(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL(),
		"OTEL_TRACES_SAMPLER":         "parentbased_traceidratio",
		"OTEL_TRACES_SAMPLER_ARG":     "0",
	}), otel.Options{})
	for range 5 {
		s.post(t, "", "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := s.tracing.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.Spans()); n != 0 {
		t.Errorf("%d spans exported with ratio 0", n)
	}
	var withID int
	for _, l := range s.logs.lines(t) {
		if id, _ := l["trace_id"].(string); len(id) == 32 {
			withID++
		}
	}
	if withID != 10 {
		t.Errorf("%d of 10 log lines carry a trace id", withID)
	}
	for range 5 {
		tp := (<-s.downstream).Get("Traceparent")
		if len(tp) != 55 || !strings.HasSuffix(tp, "-00") && !strings.HasSuffix(tp, "-02") {
			t.Errorf("downstream traceparent %q; want one with the sampled flag off", tp)
		}
	}
}

// TestMalformedTraceContextStartsNewTrace: Trace Context says an invalid
// traceparent (and any tracestate with it) is ignored.
func TestMalformedTraceContextStartsNewTrace(t *testing.T) {
	rcv, err := otlptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	s := startService(t, env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL()}), otel.Options{})
	tests := []struct{ traceparent, tracestate string }{
		{"00-" + strings.ToUpper(incomingTrace) + "-" + incomingParent + "-01", "vendor=abc"},
		{"00-00000000000000000000000000000000-" + incomingParent + "-01", ""},
		{"ff-" + incomingTrace + "-" + incomingParent + "-01", ""},
		{"00-" + incomingTrace + "-" + incomingParent + "-01", "=broken,,==;"},
	}
	for _, tt := range tests {
		s.post(t, tt.traceparent, tt.tracestate)
	}
	spans, err := rcv.WaitFor(10*time.Second, func(sp []otlptest.Span) bool {
		return len(find(sp, func(s otlptest.Span) bool { return s.Kind == "server" })) == len(tests)
	})
	if err != nil {
		t.Fatal(err)
	}
	servers := find(spans, func(s otlptest.Span) bool { return s.Kind == "server" })
	continued := 0
	for _, sp := range servers {
		if sp.TraceID == incomingTrace {
			continued++
			if sp.ParentSpanID != incomingParent {
				t.Errorf("continued span parent %s", sp.ParentSpanID)
			}
		} else if sp.ParentSpanID != "" {
			t.Errorf("new trace %s has parent %s", sp.TraceID, sp.ParentSpanID)
		}
	}
	if continued != 1 {
		t.Errorf("%d spans continued the caller's trace; want 1 (the valid traceparent with a broken tracestate)", continued)
	}
	for range tests {
		if ts := (<-s.downstream).Get("Tracestate"); ts != "" {
			t.Errorf("downstream got tracestate %q from a malformed or dropped one", ts)
		}
	}
}

// TestUnreachableCollector: requests are unaffected, one warning per
// interval, shutdown bounded.
func TestUnreachableCollector(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	_ = ln.Close() // nothing listens there now: connections are refused
	warnings := &syncBuffer{}
	s := startService(t, env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": dead, "OTEL_EXPORTER_OTLP_TIMEOUT": "500"}),
		otel.Options{Logger: slog.New(slog.NewJSONHandler(warnings, nil)), WarnInterval: time.Hour, BatchTimeout: 10 * time.Millisecond})
	start := time.Now()
	for range 30 {
		s.post(t, "", "")
		time.Sleep(10 * time.Millisecond) // several batches
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("30 requests took %v with the collector down", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	t0 := time.Now()
	_ = s.tracing.Shutdown(ctx)
	if d := time.Since(t0); d > 2500*time.Millisecond {
		t.Errorf("Shutdown took %v past its 2 s context", d)
	}
	lines := warnings.lines(t)
	if len(lines) != 1 {
		t.Errorf("%d warnings for a collector down during one interval; want 1:\n%v", len(lines), lines)
	}
}

// TestHangingCollectorDoesNotDelayShutdown: Shutdown returns when its
// context ends even while an export hangs.
func TestHangingCollectorDoesNotDelayShutdown(t *testing.T) {
	rcv, err := otlptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	rcv.SetMode(otlptest.Hang)
	s := startService(t, env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL()}),
		otel.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), BatchTimeout: 10 * time.Millisecond})
	s.post(t, "", "")
	deadline := time.Now().Add(5 * time.Second)
	for rcv.Requests() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err = s.tracing.Shutdown(ctx)
	if d := time.Since(t0); d > time.Second {
		t.Errorf("Shutdown took %v with a 500 ms context", d)
	}
	if err == nil {
		t.Error("Shutdown cut short by its context returned no error")
	}
}

func TestSetupErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // in the error; "" means no error
	}{
		{"no endpoint", nil, ""},
		{"disabled", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "::bad"}, ""},
		{"good", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, ""},
		{"grpc", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, ""},
		{"no scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.1:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{"garbage", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://[::1"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{"ftp", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://collector"}, "http:// or https://"},
		{"port", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:99999"}, "port"},
		{"credentials", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://u:secretpw@collector:4318"}, "OTEL_EXPORTER_OTLP_HEADERS"},
		{"protocol", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "http/protobuf or grpc"},
		{"sampler", map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER"},
		{"ratio", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}, "OTEL_TRACES_SAMPLER_ARG"},
		{"timeout", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}, "OTEL_EXPORTER_OTLP_TIMEOUT"},
		{"headers", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, "OTEL_EXPORTER_OTLP_HEADERS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := otel.Setup(context.Background(), otel.Options{Getenv: env(tt.env)})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v; want one mentioning %q", err, tt.want)
			case tt.want != "" && strings.Contains(err.Error(), "secretpw"):
				t.Fatalf("error leaks the password: %v", err)
			}
			if err == nil {
				_ = tr.Shutdown(context.Background())
			}
		})
	}
}

// TestEndpointPath: the generic endpoint gets /v1/traces, the signal one is
// used as is.
func TestEndpointPath(t *testing.T) {
	for _, tt := range []struct{ key, val, want string }{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "http://c:4318/v1/traces"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/base/", "http://c:4318/base/v1/traces"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/custom", "http://c:4318/custom"},
	} {
		tr, err := otel.Setup(context.Background(), otel.Options{Getenv: env(map[string]string{tt.key: tt.val})})
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.Endpoint(); got != tt.want {
			t.Errorf("%s=%s: endpoint %s; want %s", tt.key, tt.val, got, tt.want)
		}
		_ = tr.Shutdown(context.Background())
	}
}

// TestSampledOutAllocatesNothing: a request that is not sampled costs the
// stack no allocation beyond what it costs without tracing.
func TestSampledOutAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	tr, err := otel.Setup(context.Background(), otel.Options{Getenv: env(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_TRACES_SAMPLER": "always_off"})})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tr.Shutdown(context.Background()) }()
	logger := slog.New(middleware.NewJSONHandler(io.Discard, nil))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	with, _ := middleware.Stack(middleware.StackOptions{Logger: logger, Tracing: tr.Handler})
	without, _ := middleware.Stack(middleware.StackOptions{Logger: logger})
	allocs := func(handler http.Handler) float64 {
		req := httptest.NewRequest("GET", "/", nil)
		w := httptest.NewRecorder()
		return testing.AllocsPerRun(200, func() {
			w.Header().Del("Content-Security-Policy")
			handler.ServeHTTP(w, req)
		})
	}
	a, b := allocs(with(h)), allocs(without(h))
	if a > b {
		t.Errorf("sampled-out request: %v allocations with tracing, %v without", a, b)
	}
}

// TestGRPCExport: OTEL_EXPORTER_OTLP_PROTOCOL=grpc reaches a real OTLP/gRPC
// TraceService with the same server span.
func TestGRPCExport(t *testing.T) {
	rcv, err := otlptest.StartGRPC()
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	s := startService(t, env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL(), "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}), otel.Options{})
	s.post(t, "00-"+incomingTrace+"-"+incomingParent+"-01", "")
	spans, err := rcv.WaitFor(10*time.Second, func(sp []otlptest.Span) bool {
		return len(find(sp, func(s otlptest.Span) bool { return s.Kind == "server" && s.TraceID == incomingTrace })) == 1
	})
	if err != nil {
		t.Fatalf("%v: %+v", err, spans)
	}
}
