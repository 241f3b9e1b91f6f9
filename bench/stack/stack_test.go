package stack

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"

	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Every stack serves the same route and body.
const body = "hello, world\n"

func bareMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, body)
	})
	return mux
}

// tracing modes for golocalStack.
type tracing int

const (
	noTracing tracing = iota
	tracingSampledOut
	tracingSampledIn
)

// discardExporter takes finished spans and drops them: the cost measured
// is making and batching spans, not a network.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

func golocalStack(withMetrics bool) http.Handler { return golocalStackTraced(withMetrics, noTracing) }

func golocalStackTraced(withMetrics bool, tr tracing) http.Handler {
	opts := middleware.StackOptions{
		// golocal's default JSON handler (what a nil Logger gets), writing
		// to io.Discard as the other stacks' loggers do.
		Logger: slog.New(middleware.NewJSONHandler(io.Discard, nil)),
		// A configured CORS layer; the benchmark request carries no Origin,
		// so it passes through (adding only Vary: Origin).
		CORS: &middleware.CORSOptions{AllowedOrigins: []string{"https://app.example.com"}},
	}
	if withMetrics {
		m, err := metrics.New(metrics.Options{NoRuntimeCollectors: true})
		if err != nil {
			panic(err)
		}
		opts.Metrics = m.Middleware
	}
	if tr != noTracing {
		sampler := "always_on"
		if tr == tracingSampledOut {
			sampler = "always_off"
		}
		t, err := otel.Setup(context.Background(), otel.Options{
			Exporter: discardExporter{},
			Getenv:   func(k string) string { return map[string]string{"OTEL_TRACES_SAMPLER": sampler}[k] },
		})
		if err != nil {
			panic(err)
		}
		opts.Tracing = t.Handler
	}
	stack, err := middleware.Stack(opts)
	if err != nil {
		panic(err)
	}
	return stack(bareMux())
}

func chiStack(withMiddleware bool) http.Handler {
	r := chi.NewRouter()
	if withMiddleware {
		r.Use(chimw.RequestID)
		r.Use(chimw.RequestLogger(&chimw.DefaultLogFormatter{Logger: log.New(io.Discard, "", log.LstdFlags), NoColor: true}))
		r.Use(chimw.Recoverer)
	}
	r.Get("/hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, body)
	})
	return r
}

func ginStack(withMiddleware bool) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	g := gin.New()
	if withMiddleware {
		g.Use(gin.LoggerWithWriter(io.Discard), gin.Recovery())
	}
	g.GET("/hello/:name", func(c *gin.Context) {
		c.Header("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(c.Writer, body)
	})
	return g
}

func echoStack(withMiddleware bool) http.Handler {
	e := echo.New()
	e.Logger.SetOutput(io.Discard)
	if withMiddleware {
		e.Use(echomw.RequestID())
		//lint:ignore SA1019 the classic Logger is the comparable text access log.
		e.Use(echomw.LoggerWithConfig(echomw.LoggerConfig{Output: io.Discard}))
		e.Use(echomw.Recover())
	}
	e.GET("/hello/:name", func(c echo.Context) error {
		c.Response().Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err := io.WriteString(c.Response(), body)
		return err
	})
	return e
}

// stacks in the order of the printed table; "bare" is the baseline. base
// names the same router without middleware, so "middleware overhead" is
// what the middleware alone costs: a framework whose router is faster
// than ServeMux would otherwise have its router's speed subtracted from
// its middleware's cost.
var stacks = []struct {
	name    string
	base    string
	handler func() http.Handler
}{
	{"bare net/http ServeMux", "bare net/http ServeMux", bareMux},
	{"golocal full stack", "bare net/http ServeMux", func() http.Handler { return golocalStack(false) }},
	{"golocal full stack + metrics", "bare net/http ServeMux", func() http.Handler { return golocalStack(true) }},
	{"golocal full stack + metrics + otel (sampled out)", "bare net/http ServeMux", func() http.Handler { return golocalStackTraced(true, tracingSampledOut) }},
	{"golocal full stack + metrics + otel (sampled in, exporter discarding)", "bare net/http ServeMux", func() http.Handler { return golocalStackTraced(true, tracingSampledIn) }},
	{"chi router only", "chi router only", func() http.Handler { return chiStack(false) }},
	{"chi RequestID+Logger+Recoverer", "chi router only", func() http.Handler { return chiStack(true) }},
	{"gin router only", "gin router only", func() http.Handler { return ginStack(false) }},
	{"gin Logger+Recovery", "gin router only", func() http.Handler { return ginStack(true) }},
	{"echo router only", "echo router only", func() http.Handler { return echoStack(false) }},
	{"echo RequestID+Logger+Recover", "echo router only", func() http.Handler { return echoStack(true) }},
}

// discardWriter is a ResponseWriter that costs nothing, so the figures are
// the stacks' own cost, not a recorder's.
type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }

type result struct {
	nsPerOp, allocsPerOp, bytesPerOp float64
}

var (
	resultsMu sync.Mutex
	results   = map[string]result{}
)

// TestStacksServe checks that every stack really serves the route, so the
// benchmark never measures a 404.
func TestStacksServe(t *testing.T) {
	for _, s := range stacks {
		rec := httptest.NewRecorder()
		s.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/hello/world", nil))
		if rec.Code != 200 || rec.Body.String() != body {
			t.Errorf("%s: %d %q", s.name, rec.Code, rec.Body.String())
		}
	}
}

func BenchmarkStack(b *testing.B) {
	for _, s := range stacks {
		b.Run(strings.ReplaceAll(s.name, " ", "_"), func(b *testing.B) {
			h := s.handler()
			req := httptest.NewRequest("GET", "/hello/world", nil)
			req.RemoteAddr = "192.0.2.1:1234"
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				clear(w.h)
				w.status = 0
				h.ServeHTTP(w, req)
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			if w.status != 0 && w.status != 200 {
				b.Fatalf("%s answered %d", s.name, w.status)
			}
			if b.N < 1000 {
				return // a calibration run: too short to mean anything
			}
			n := float64(b.N)
			r := result{
				nsPerOp:     float64(b.Elapsed().Nanoseconds()) / n,
				allocsPerOp: float64(after.Mallocs-before.Mallocs) / n,
				bytesPerOp:  float64(after.TotalAlloc-before.TotalAlloc) / n,
			}
			resultsMu.Lock()
			// With -count N the fastest run is kept: on a shared machine
			// the slow runs measure the neighbours, not the stack.
			if old, ok := results[s.name]; !ok || r.nsPerOp < old.nsPerOp {
				results[s.name] = r
			}
			resultsMu.Unlock()
		})
	}
}

// TestMain prints the comparison table after the benchmarks ran (the
// fastest of the -count runs of each sub-benchmark), then measures the
// stacks again interleaved and prints that table too.
func TestMain(m *testing.M) {
	code := m.Run()
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if len(results) > 0 {
		printTable(os.Stdout, results, "GET /hello/{name}, same body; fastest of the -count runs of each sub-benchmark")
	}
	if len(results) == len(stacks) { // only after a run of all stacks
		printTable(os.Stdout, interleaved(), fmt.Sprintf(
			"the same, measured interleaved: %d rounds, each running every stack for about %v in turn, fastest round of each", interleavedRounds, interleavedSlice))
	}
	os.Exit(code)
}

const (
	interleavedRounds = 40
	interleavedSlice  = 10 * time.Millisecond
)

// interleaved measures every stack in rounds: each round runs each stack
// for about interleavedSlice, in an order rotated per round, and the
// fastest round of each stack is kept. The -count runs of BenchmarkStack
// run each stack's repetitions back to back, so a burst of load from other
// processes can land on all runs of one stack and none of another; here
// every stack is measured throughout the same seconds, so such a burst
// slows a round of each of them, and the fastest rounds compare like with
// like. It takes about rounds × stacks × slice (4 s).
func interleaved() map[string]result {
	type subject struct {
		name string
		h    http.Handler
		req  *http.Request
		w    *discardWriter
		n    int // iterations per slice, calibrated
	}
	subjects := make([]*subject, len(stacks))
	for i, s := range stacks {
		req := httptest.NewRequest("GET", "/hello/world", nil)
		req.RemoteAddr = "192.0.2.1:1234"
		subjects[i] = &subject{name: s.name, h: s.handler(), req: req, w: &discardWriter{h: http.Header{}}}
	}
	run := func(s *subject, n int) time.Duration {
		start := time.Now()
		for range n {
			clear(s.w.h)
			s.h.ServeHTTP(s.w, s.req)
		}
		return time.Since(start)
	}
	for _, s := range subjects { // calibrate (and warm up)
		n := 100
		for {
			d := run(s, n)
			if d >= interleavedSlice/4 || n >= 1<<24 {
				s.n = max(100, int(float64(n)*float64(interleavedSlice)/float64(max(d, time.Microsecond))))
				break
			}
			n *= 4
		}
	}
	out := map[string]result{}
	for round := range interleavedRounds {
		for k := range subjects {
			s := subjects[(k+round)%len(subjects)]
			ns := float64(run(s, s.n).Nanoseconds()) / float64(s.n)
			if old, ok := out[s.name]; !ok || ns < old.nsPerOp {
				out[s.name] = result{nsPerOp: ns}
			}
		}
	}
	for _, s := range subjects {
		r := out[s.name]
		r.allocsPerOp = testing.AllocsPerRun(1000, func() {
			clear(s.w.h)
			s.h.ServeHTTP(s.w, s.req)
		})
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		run(s, 1000)
		runtime.ReadMemStats(&after)
		r.bytesPerOp = float64(after.TotalAlloc-before.TotalAlloc) / 1000
		out[s.name] = r
	}
	return out
}

func printTable(out io.Writer, results map[string]result, title string) {
	bare, ok := results[stacks[0].name]
	if !ok {
		return
	}
	fmt.Fprintf(out, "\n%s; overhead over a bare http.ServeMux, and middleware overhead over the same router without middleware:\n", title)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stack\tns/op\tallocs/op\tB/op\tvs ServeMux ns\tvs ServeMux allocs\tmiddleware ns\tmiddleware allocs\t")
	for _, s := range stacks {
		r, ok := results[s.name]
		if !ok {
			continue
		}
		mwNs, mwAllocs := "", ""
		if base, ok := results[s.base]; ok && s.base != s.name {
			mwNs = fmt.Sprintf("%+.0f", r.nsPerOp-base.nsPerOp)
			mwAllocs = fmt.Sprintf("%+.1f", r.allocsPerOp-base.allocsPerOp)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.0f\t%+.0f\t%+.1f\t%s\t%s\t\n", s.name, r.nsPerOp, r.allocsPerOp, r.bytesPerOp,
			r.nsPerOp-bare.nsPerOp, r.allocsPerOp-bare.allocsPerOp, mwNs, mwAllocs)
	}
	_ = tw.Flush()

	// OpenTelemetry's target: a request that is sampled out costs within
	// 10% of the same stack without tracing (middleware overhead over the
	// bare mux).
	if plain, ok := results["golocal full stack + metrics"]; ok {
		if traced, ok := results["golocal full stack + metrics + otel (sampled out)"]; ok {
			p, o := plain.nsPerOp-bare.nsPerOp, traced.nsPerOp-bare.nsPerOp
			verdict := "MET"
			if o > 1.10*p {
				verdict = "MISSED"
			}
			fmt.Fprintf(out, "\ntarget, otel sampled out within 10%% of the stack without it: %s — %+.0f ns %+.1f allocs vs %+.0f ns %+.1f allocs (%.2fx)\n",
				verdict, o, traced.allocsPerOp-bare.allocsPerOp, p, plain.allocsPerOp-bare.allocsPerOp, o/p)
		}
	}

	gin, okGin := results["gin Logger+Recovery"]
	ginRouter, okRouter := results["gin router only"]
	if !okGin || !okRouter {
		return
	}
	// The issue's target is the full production stack "and metrics once
	// they exist"; both rows are judged, the one with metrics is the
	// acceptance.
	for _, name := range []string{"golocal full stack", "golocal full stack + metrics"} {
		g, ok := results[name]
		if !ok {
			continue
		}
		gNs, gAl := g.nsPerOp-bare.nsPerOp, g.allocsPerOp-bare.allocsPerOp
		verdict := func(ginNs, ginAl float64) string {
			if gNs < ginNs && gAl < ginAl {
				return "MET"
			}
			return "MISSED"
		}
		ginNs, ginAl := gin.nsPerOp-ginRouter.nsPerOp, gin.allocsPerOp-ginRouter.allocsPerOp
		fmt.Fprintf(out, "\ntarget, %s (middleware overhead below gin Logger+Recovery's, in ns and allocs): %s — golocal %+.0f ns %+.1f allocs, gin %+.0f ns %+.1f allocs (each over its own bare router)\n",
			name, verdict(ginNs, ginAl), gNs, gAl, ginNs, ginAl)
		ginNs, ginAl = gin.nsPerOp-bare.nsPerOp, gin.allocsPerOp-bare.allocsPerOp
		fmt.Fprintf(out, "  stricter reading (gin measured over ServeMux, crediting gin's faster router to its middleware): %s — golocal %+.0f ns %+.1f allocs, gin %+.0f ns %+.1f allocs\n",
			verdict(ginNs, ginAl), gNs, gAl, ginNs, ginAl)
	}
}
