package otel

import (
	"net"
	"net/http"
	"strconv"

	"github.com/golocal/golocal/trace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// Transport returns an http.RoundTripper that records a client span per
// request, following the [HTTP client span conventions], and propagates
// the trace (traceparent, tracestate, baggage) to the server it calls.
// base nil means http.DefaultTransport. The span ends when the response
// headers arrive (or the request fails).
//
// Outside a traced request no span is made. With tracing disabled the
// request still carries the kit's traceparent, so ids keep flowing between
// services even without a collector.
//
// [HTTP client span conventions]: https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-client
func (t *Tracing) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{t: t, base: base}
}

type transport struct {
	t    *Tracing
	base http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !tr.t.Enabled() {
		return tr.base.RoundTrip(withKitTraceparent(req))
	}
	ctx, ok := parentContext(req.Context())
	if !ok {
		return tr.base.RoundTrip(req)
	}
	ctx, span := tr.t.tracer.Start(ctx, req.Method, oteltrace.WithSpanKind(oteltrace.SpanKindClient),
		oteltrace.WithAttributes(clientAttributes(req)...))
	// RoundTrippers must not modify the caller's request: propagate on a clone.
	out := req.Clone(ctx)
	out.Header.Del("Traceparent")
	out.Header.Del("Tracestate")
	tr.t.propagator.Inject(ctx, propagation.HeaderCarrier(out.Header))
	resp, err := tr.base.RoundTrip(out)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.End()
		return resp, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 400 {
		span.SetStatus(codes.Error, "")
	}
	span.End()
	return resp, nil
}

// withKitTraceparent sets the kit span's traceparent on a clone of req when
// the caller did not set one.
func withKitTraceparent(req *http.Request) *http.Request {
	if req.Header.Get("Traceparent") != "" {
		return req
	}
	tp := trace.FromContext(req.Context()).Traceparent()
	if tp == "" {
		return req
	}
	out := req.Clone(req.Context())
	out.Header.Set("Traceparent", tp)
	return out
}

// clientAttributes names the target without its query or credentials,
// which may hold secrets.
func clientAttributes(req *http.Request) []attribute.KeyValue {
	u := *req.URL
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", req.Method),
		attribute.String("url.full", u.String()),
	}
	host, port := req.URL.Hostname(), req.URL.Port()
	if port == "" {
		port = "80"
		if req.URL.Scheme == "https" {
			port = "443"
		}
	}
	if host != "" {
		attrs = append(attrs, attribute.String("server.address", host))
	}
	if p, err := strconv.Atoi(port); err == nil {
		attrs = append(attrs, attribute.Int("server.port", p))
	}
	if ip := net.ParseIP(host); ip != nil {
		attrs = append(attrs, attribute.String("network.peer.address", host))
	}
	return attrs
}
