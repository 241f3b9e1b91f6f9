package trace

import (
	"context"
	"strings"
	"sync"
	"testing"
)

func TestNewSpanContinuesTrace(t *testing.T) {
	tp, err := ParseTraceparent(validTP)
	if err != nil {
		t.Fatal(err)
	}
	sp := NewSpan(tp)
	if sp.TraceID != tp.TraceID || sp.ParentID != tp.ParentID || sp.Flags != tp.Flags {
		t.Errorf("span %+v does not continue %+v", sp, tp)
	}
	if sp.ID.IsZero() || sp.ID == tp.ParentID {
		t.Errorf("span id %s must be new and non-zero", sp.ID)
	}
	out := sp.Traceparent()
	if !strings.HasPrefix(out, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || !strings.HasSuffix(out, "-01") {
		t.Errorf("Traceparent() = %q", out)
	}
	if _, err := ParseTraceparent(out); err != nil {
		t.Errorf("outgoing header %q does not parse: %v", out, err)
	}
}

func TestNewSpanStartsTrace(t *testing.T) {
	a, b := NewSpan(Traceparent{}), NewSpan(Traceparent{})
	if a.TraceID.IsZero() || a.TraceID == b.TraceID {
		t.Errorf("new traces must have distinct non-zero ids: %s %s", a.TraceID, b.TraceID)
	}
	if !a.ParentID.IsZero() || a.Flags != FlagRandom {
		t.Errorf("new trace: parent %s flags %02x", a.ParentID, a.Flags)
	}
	if got := a.TraceIDString(); got != a.TraceID.String() || len(got) != 32 {
		t.Errorf("TraceIDString() = %q", got)
	}
}

type bigState struct {
	Span
	other int
}

func TestContext(t *testing.T) {
	ctx := context.Background()
	if got := IDFromContext(ctx); got != "" {
		t.Errorf("empty context: %q", got)
	}
	if FromContext(ctx) != nil {
		t.Error("empty context: FromContext not nil")
	}
	sp := NewSpan(Traceparent{})
	ctx1 := NewContext(ctx, &sp)
	if got := IDFromContext(ctx1); got != sp.TraceID.String() {
		t.Errorf("IDFromContext = %q, want %s", got, sp.TraceID)
	}
	// A larger state carrying the span is found through the same key.
	st := &bigState{Span: NewSpan(Traceparent{}), other: 7}
	ctx2 := NewContext(ctx, st)
	if got := IDFromContext(ctx2); got != st.TraceID.String() {
		t.Errorf("IDFromContext via carrier = %q, want %s", got, st.TraceID)
	}
	if c, ok := CarrierFromContext(ctx2).(*bigState); !ok || c.other != 7 {
		t.Errorf("CarrierFromContext = %#v", CarrierFromContext(ctx2))
	}
	// A nil *Span stored as carrier must not panic.
	var nilSpan *Span
	if got := IDFromContext(NewContext(ctx, nilSpan)); got != "" {
		t.Errorf("nil span: %q", got)
	}
	// A hand-built span reports its id.
	hand := &Span{TraceID: TraceID{1}}
	if got := hand.TraceIDString(); got != "01000000000000000000000000000000" {
		t.Errorf("hand-built span: %q", got)
	}
}

func BenchmarkNewSpan(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = NewSpan(Traceparent{})
	}
}

func BenchmarkParseTraceparent(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ParseTraceparent(validTP)
	}
}

func TestNewSpanFromZeroRandomness(t *testing.T) {
	// All-zero "random" bytes must never produce an invalid span.
	sp := NewSpanFrom(Traceparent{}, [24]byte{})
	if sp.TraceID.IsZero() || sp.ID.IsZero() {
		t.Fatalf("zero ids from zero randomness: %+v", sp)
	}
	var r [24]byte
	for i := range r {
		r[i] = byte(i + 1)
	}
	sp = NewSpanFrom(Traceparent{}, r)
	if sp.TraceID.String() != "0102030405060708090a0b0c0d0e0f10" || sp.ID.String() != "1112131415161718" {
		t.Errorf("ids not taken from the supplied bytes: %s %s", sp.TraceID, sp.ID)
	}
}

// TestSpanIsLazyAndAllocationFree: starting a span encodes nothing and
// allocates nothing; the hex form is made only when asked for, and
// AppendTraceID writes it into a buffer without allocating.
func TestSpanIsLazyAndAllocationFree(t *testing.T) {
	tp, err := ParseTraceparent(validTP)
	if err != nil {
		t.Fatal(err)
	}
	var random [24]byte
	random[23] = 1
	sp := NewSpanFrom(tp, random)
	if !raceEnabled {
		if n := testing.AllocsPerRun(100, func() { sp = NewSpanFrom(tp, random) }); n != 0 {
			t.Errorf("NewSpanFrom allocates %.0f times, want 0", n)
		}
		buf := make([]byte, 0, 64)
		if n := testing.AllocsPerRun(100, func() { buf = sp.AppendTraceID(buf[:0]) }); n != 0 {
			t.Errorf("AppendTraceID allocates %.0f times, want 0", n)
		}
	}
	tests := []struct {
		name string
		span *Span
		want string
	}{
		{"continued", &sp, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"nil", nil, ""},
		{"zero trace id", &Span{}, ""},
		{"hand-built", &Span{TraceID: TraceID{0xab, 15: 0x01}}, "ab000000000000000000000000000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.span.TraceIDString(); got != tt.want {
				t.Errorf("TraceIDString() = %q, want %q", got, tt.want)
			}
			if got := string(tt.span.AppendTraceID([]byte("x="))); got != "x="+tt.want {
				t.Errorf("AppendTraceID = %q, want %q", got, "x="+tt.want)
			}
		})
	}
}

// TestTraceIDStringConcurrent: goroutines of one request may read the
// span's id at once; with no lazily filled cache there is nothing to race
// on (run with -race).
func TestTraceIDStringConcurrent(t *testing.T) {
	sp := NewSpan(Traceparent{})
	ctx := NewContext(context.Background(), &sp)
	want := sp.TraceID.String()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if got := IDFromContext(ctx); got != want {
					t.Errorf("IDFromContext = %q, want %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkNewSpanFrom is the span start the middleware does per request
// (randomness supplied): no hex encoding, no allocation.
func BenchmarkNewSpanFrom(b *testing.B) {
	var random [24]byte
	random[0], random[23] = 1, 1
	b.ReportAllocs()
	for b.Loop() {
		_ = NewSpanFrom(Traceparent{}, random)
	}
}
