package trace

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// Span is this server's part of a trace: the trace id, the span id it
// sends on to the services it calls, and the caller's span id.
type Span struct {
	// TraceID identifies the whole trace.
	TraceID TraceID
	// ID is this server's span id: the parent-id of outgoing calls.
	ID SpanID
	// ParentID is the caller's span id; zero when this request started the
	// trace.
	ParentID SpanID
	// Flags are propagated to outgoing calls.
	Flags Flags
}

// NewSpan starts a span for a request carrying tp: the trace id and flags
// are kept, the caller's span becomes ParentID, and ID is new. A zero tp
// (no valid header) starts a new trace, with FlagRandom set because the id
// comes from crypto/rand.
//
// One 24-byte read from crypto/rand fills both new ids.
func NewSpan(tp Traceparent) Span {
	var buf [24]byte
	_, _ = rand.Read(buf[:]) // never fails since Go 1.24
	return NewSpanFrom(tp, buf)
}

// NewSpanFrom is [NewSpan] with the randomness supplied by the caller:
// random[:16] becomes the trace id of a new trace, random[16:] the span id.
// It lets a caller that needs other random bytes per request (a CSP nonce)
// fetch them all in one crypto/rand call. random must come from
// crypto/rand; in the 2^-64 case that it yields an all-zero id, fresh
// bytes are read.
func NewSpanFrom(tp Traceparent, random [24]byte) Span {
	for {
		sp := Span{TraceID: tp.TraceID, ParentID: tp.ParentID, Flags: tp.Flags}
		copy(sp.ID[:], random[16:])
		if tp.TraceID.IsZero() {
			copy(sp.TraceID[:], random[:16])
			sp.ParentID = SpanID{}
			sp.Flags = FlagRandom
		}
		if !sp.ID.IsZero() && !sp.TraceID.IsZero() {
			// The hex form is not made here: most requests never need it
			// as a string (the access log appends it to its buffer with
			// AppendTraceID), and encoding it would cost an allocation.
			return sp
		}
		_, _ = rand.Read(random[:])
	}
}

// TraceIDString returns the trace id as 32 lowercase hex digits, or "" for
// a nil span or a zero trace id. Each call encodes the id afresh (one
// small allocation); keep the string when you need it repeatedly, or use
// [Span.AppendTraceID] to write it into a buffer without allocating.
//
// It is not cached in the Span on purpose: a cache filled on first use
// would be a data race between the goroutines of one request that read
// the span concurrently.
func (s *Span) TraceIDString() string {
	if s == nil || s.TraceID.IsZero() {
		return ""
	}
	return s.TraceID.String()
}

// AppendTraceID appends the trace id as 32 lowercase hex digits to b (or
// nothing for a nil span or a zero trace id) and returns the extended
// buffer, without allocating when b has room.
func (s *Span) AppendTraceID(b []byte) []byte {
	if s == nil || s.TraceID.IsZero() {
		return b
	}
	return hex.AppendEncode(b, s.TraceID[:])
}

// Traceparent returns the header value to send on an outgoing request made
// on behalf of this span (version 00, this span's id as parent-id), or ""
// for a nil span.
func (s *Span) Traceparent() string {
	if s == nil {
		return ""
	}
	var b [traceparentLen]byte
	return string(appendTraceparent(b[:0], s.TraceID, s.ID, s.Flags))
}

// TraceSpan returns s itself, so that *Span (and any struct embedding a
// Span) is a [Carrier].
func (s *Span) TraceSpan() *Span { return s }

// Carrier is anything that holds the request's [Span]. A per-request state
// struct that embeds a Span can be stored with [NewContext] as one context
// value, instead of one value for the span and another for the rest; the
// middleware package does this to keep allocations per request low.
type Carrier interface {
	TraceSpan() *Span
}

// ContextKey is the context key under which the request's [Carrier] is
// stored. Most code uses [NewContext]; a custom context.Context that holds
// per-request state itself (the middleware package's does, to save an
// allocation per request) answers Value(ContextKey{}) with its Carrier.
type ContextKey struct{}

// NewContext returns a copy of ctx carrying c (usually a *Span).
func NewContext(ctx context.Context, c Carrier) context.Context {
	return context.WithValue(ctx, ContextKey{}, c)
}

// CarrierFromContext returns the Carrier stored by [NewContext], or nil.
func CarrierFromContext(ctx context.Context) Carrier {
	c, _ := ctx.Value(ContextKey{}).(Carrier)
	return c
}

// FromContext returns the request's span, or nil when there is none.
func FromContext(ctx context.Context) *Span {
	if c := CarrierFromContext(ctx); c != nil {
		return c.TraceSpan()
	}
	return nil
}

// IDFromContext returns the trace id of ctx as 32 lowercase hex digits, or
// "" when ctx carries no trace. Logs and problem responses use it so that
// a client's report can be matched with the server's log line.
func IDFromContext(ctx context.Context) string {
	return FromContext(ctx).TraceIDString()
}
