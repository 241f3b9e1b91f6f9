package otel

import (
	"context"
	"net"
	"net/http"
	"strconv"

	"github.com/golocal/golocal/internal/route"
	"github.com/golocal/golocal/trace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// Handler returns next wrapped in a server span per request, following the
// [HTTP server span conventions]. Inside middleware.Stack pass it as
// StackOptions.Tracing: it then sits right inside TraceID, so the span has
// the request's kit ids and covers everything the access log times. Alone,
// it extracts traceparent/tracestate itself.
//
// Sampled-out requests pass through with no span and no allocation; their
// kit span's sampled flag is cleared so that outgoing calls propagate the
// decision.
//
// [HTTP server span conventions]: https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-server
func (t *Tracing) Handler(next http.Handler) http.Handler {
	if !t.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks := trace.FromContext(r.Context())
		if ks == nil {
			t.serveStandalone(next, w, r)
			return
		}
		pctx := withRemoteParent(r.Context(), ks, r.Header)
		if !t.sampled(pctx, ks, r.Method) {
			ks.Flags &^= trace.Flags(oteltrace.FlagsSampled)
			next.ServeHTTP(w, r)
			return
		}
		ks.Flags |= trace.Flags(oteltrace.FlagsSampled)
		_, span := t.tracer.Start(context.WithValue(pctx, kitSpanKey{}, ks), r.Method,
			oteltrace.WithSpanKind(oteltrace.SpanKindServer), oteltrace.WithAttributes(requestAttributes(r)...))
		// The handler's context descends from the request's, not from
		// pctx: the kit's per-request state stays the first thing lookups
		// find, and kitSpanKey does not leak to child spans.
		r2 := r.WithContext(oteltrace.ContextWithSpan(r.Context(), span))
		finished := false
		defer func() { t.endServerSpan(span, w, r2, nil, !finished) }()
		next.ServeHTTP(w, r2)
		finished = true
	})
}

// sampled asks the sampler before any span exists, so that a sampled-out
// request costs no span at all. The name is the method: the route is
// known only after the mux ran (samplers that look at names see it so).
func (t *Tracing) sampled(pctx context.Context, ks *trace.Span, method string) bool {
	res := t.sampler.ShouldSample(sdktrace.SamplingParameters{
		ParentContext: pctx,
		TraceID:       oteltrace.TraceID(ks.TraceID),
		Name:          method,
		Kind:          oteltrace.SpanKindServer,
	})
	return res.Decision == sdktrace.RecordAndSample
}

// withRemoteParent puts the caller's span (the kit span's parent, with the
// incoming tracestate) in ctx. A request that started a new trace (no or
// invalid traceparent) has none.
func withRemoteParent(ctx context.Context, ks *trace.Span, h http.Header) context.Context {
	if ks.ParentID.IsZero() {
		return ctx
	}
	cfg := oteltrace.SpanContextConfig{
		TraceID:    oteltrace.TraceID(ks.TraceID),
		SpanID:     oteltrace.SpanID(ks.ParentID),
		TraceFlags: oteltrace.TraceFlags(ks.Flags) & oteltrace.FlagsSampled,
		Remote:     true,
	}
	// Trace Context §3.3: tracestate is kept only with a valid
	// traceparent, and a malformed one is dropped, not an error.
	if v := h.Values("Tracestate"); len(v) > 0 {
		if ts, err := oteltrace.ParseTraceState(joinComma(v)); err == nil {
			cfg.TraceState = ts
		}
	}
	return oteltrace.ContextWithRemoteSpanContext(ctx, oteltrace.NewSpanContext(cfg))
}

func joinComma(v []string) string {
	if len(v) == 1 {
		return v[0]
	}
	n := 0
	for _, s := range v {
		n += len(s) + 1
	}
	b := make([]byte, 0, n)
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, s...)
	}
	return string(b)
}

// serveStandalone is Handler outside middleware.Stack: ids come from the
// SDK, the parent from the W3C propagator, the status from a writer of its own.
func (t *Tracing) serveStandalone(next http.Handler, w http.ResponseWriter, r *http.Request) {
	pctx := t.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := t.tracer.Start(pctx, r.Method,
		oteltrace.WithSpanKind(oteltrace.SpanKindServer), oteltrace.WithAttributes(requestAttributes(r)...))
	if !span.IsRecording() {
		next.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	r2 := r.WithContext(ctx)
	finished := false
	defer func() { t.endServerSpan(span, rec, r2, rec, !finished) }()
	next.ServeHTTP(rec, r2)
	finished = true
}

// endServerSpan names the span after the route and records the outcome.
// The route and status come from the stack's per-request state (the values
// the access log and the metrics use) or from rec outside the stack.
func (t *Tracing) endServerSpan(span oteltrace.Span, w http.ResponseWriter, r *http.Request, rec *statusRecorder, panicked bool) {
	pattern := r.Pattern
	if slot := route.Find(w, r); slot != nil {
		if p, ok := slot.Pattern(); ok {
			pattern = p
		}
	}
	status := http.StatusOK
	var size int64 = -1
	switch {
	case rec != nil:
		status, size = rec.result(panicked)
	default:
		if ex, ok := route.FromContext(r.Context()).(route.Exchange); ok {
			status = ex.ResponseStatus(panicked)
		}
		if b, ok := route.FromContext(r.Context()).(interface{ ResponseBytes() int64 }); ok {
			size = b.ResponseBytes()
		}
	}
	if pattern != "" {
		label := route.Label(pattern)
		span.SetName(r.Method + " " + label)
		span.SetAttributes(attribute.String("http.route", label))
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if size >= 0 {
		span.SetAttributes(attribute.Int64("http.response.body.size", size))
	}
	if panicked {
		span.SetStatus(codes.Error, "handler panicked")
	} else if status >= 500 {
		// Server spans: only 5xx is an error (4xx is the client's).
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// requestAttributes are the attributes known before the handler runs.
func requestAttributes(r *http.Request) []attribute.KeyValue {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs,
		attribute.String("http.request.method", r.Method),
		attribute.String("url.path", r.URL.Path),
		attribute.String("url.scheme", scheme),
		attribute.String("network.protocol.version", protocolVersion(r)),
	)
	if host, port, err := net.SplitHostPort(r.Host); err == nil {
		attrs = append(attrs, attribute.String("server.address", host))
		if p, err := strconv.Atoi(port); err == nil {
			attrs = append(attrs, attribute.Int("server.port", p))
		}
	} else if r.Host != "" {
		attrs = append(attrs, attribute.String("server.address", r.Host))
	}
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, attribute.String("user_agent.original", ua))
	}
	if r.ContentLength > 0 {
		attrs = append(attrs, attribute.Int64("http.request.body.size", r.ContentLength))
	}
	return attrs
}

func protocolVersion(r *http.Request) string {
	switch {
	case r.ProtoMajor == 2:
		return "2"
	case r.ProtoMajor == 3:
		return "3"
	case r.ProtoMinor == 0:
		return "1.0"
	}
	return "1.1"
}

// statusRecorder records status and size outside middleware.Stack.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush, Hijack and deadlines.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) result(panicked bool) (int, int64) {
	switch {
	case s.status != 0:
		return s.status, s.bytes
	case panicked:
		return http.StatusInternalServerError, s.bytes
	}
	return http.StatusOK, s.bytes
}
