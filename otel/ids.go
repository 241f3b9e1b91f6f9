package otel

import (
	"context"
	crand "crypto/rand"

	"github.com/golocal/golocal/trace"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// kitSpanKey marks the context a server span is started from: the ID
// generator then hands out the kit's ids for that one span, so the span
// the backend shows has the trace and span id the logs already carry. The
// context the handler continues with does not carry the key, so child
// spans get fresh ids.
type kitSpanKey struct{}

// kitIDs is the SDK's IDGenerator.
type kitIDs struct{}

func (kitIDs) NewIDs(ctx context.Context) (oteltrace.TraceID, oteltrace.SpanID) {
	if s, ok := ctx.Value(kitSpanKey{}).(*trace.Span); ok && !s.TraceID.IsZero() && !s.ID.IsZero() {
		return oteltrace.TraceID(s.TraceID), oteltrace.SpanID(s.ID)
	}
	var tid oteltrace.TraceID
	for tid == (oteltrace.TraceID{}) {
		_, _ = crand.Read(tid[:])
	}
	return tid, newSpanID()
}

func (kitIDs) NewSpanID(ctx context.Context, traceID oteltrace.TraceID) oteltrace.SpanID {
	if s, ok := ctx.Value(kitSpanKey{}).(*trace.Span); ok && oteltrace.TraceID(s.TraceID) == traceID && !s.ID.IsZero() {
		return oteltrace.SpanID(s.ID)
	}
	return newSpanID()
}

func newSpanID() oteltrace.SpanID {
	var sid oteltrace.SpanID
	for sid == (oteltrace.SpanID{}) {
		_, _ = crand.Read(sid[:])
	}
	return sid
}

// parentContext returns ctx with a parent for a client span: the OTel span
// already in ctx, or else the kit's request span (as a remote span
// context: the server span was sampled out or tracing sits outside the
// stack), or ctx unchanged outside any request.
func parentContext(ctx context.Context) (context.Context, bool) {
	if oteltrace.SpanContextFromContext(ctx).IsValid() {
		return ctx, true
	}
	s := trace.FromContext(ctx)
	if s == nil || s.TraceID.IsZero() || s.ID.IsZero() {
		return ctx, false
	}
	sc := oteltrace.NewSpanContext(oteltrace.SpanContextConfig{
		TraceID:    oteltrace.TraceID(s.TraceID),
		SpanID:     oteltrace.SpanID(s.ID),
		TraceFlags: oteltrace.TraceFlags(s.Flags) & oteltrace.FlagsSampled,
		Remote:     true,
	})
	return oteltrace.ContextWithRemoteSpanContext(ctx, sc), true
}
