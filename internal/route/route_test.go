package route

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strings"
	"testing"
)

func TestLabel(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"", Unmatched},
		{"GET /items/{id}", "/items/{id}"},
		{"POST  /items", "/items"},
		{"GET\t/tab", "/tab"},
		{"/any/method/", "/any/method/"},
		{"GET example.com/x", "example.com/x"},
		{"example.com/", "example.com/"},
	}
	for _, tt := range tests {
		if got := Label(tt.pattern); got != tt.want {
			t.Errorf("Label(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestSlotInnermostWins(t *testing.T) {
	var s Slot
	if _, ok := s.Pattern(); ok {
		t.Error("zero slot reports a pattern")
	}
	s.Record("") // an inner mux that matched nothing
	s.Record("/")
	if p, ok := s.Pattern(); p != "" || !ok {
		t.Errorf("Pattern() = %q, %v; want the first record, \"\"", p, ok)
	}
	s.Reset()
	if _, ok := s.Pattern(); ok {
		t.Error("Reset left a pattern")
	}
}

type holderWriter struct {
	http.ResponseWriter
	slot Slot
}

func (h *holderWriter) RouteSlot() *Slot { return &h.slot }

type unwrapper struct{ http.ResponseWriter }

func (u *unwrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// cycle unwraps to itself forever.
type cycle struct{ http.ResponseWriter }

func (c *cycle) Unwrap() http.ResponseWriter { return c }

type otherKey struct{}

type ctxHolder struct {
	context.Context
	slot Slot
}

func (c *ctxHolder) RouteSlot() *Slot { return &c.slot }

func TestFindAndCapture(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	tests := []struct {
		name string
		path string
		// serve runs Capture(mux) and returns the slot it should fill (nil: none).
		serve func(h http.Handler, r *http.Request) *Slot
		want  string
	}{
		{"holder in the context (the context itself)", "/items/1", func(h http.Handler, r *http.Request) *Slot {
			c := &ctxHolder{Context: r.Context()}
			h.ServeHTTP(httptest.NewRecorder(), r.WithContext(context.WithValue(c, ContextKey{}, c)))
			return &c.slot
		}, "GET /items/{id}"},
		{"holder under ContextKey behind a derived context", "/items/1", func(h http.Handler, r *http.Request) *Slot {
			c := &ctxHolder{Context: r.Context()}
			ctx := context.WithValue(context.WithValue(r.Context(), ContextKey{}, c), otherKey{}, 1)
			h.ServeHTTP(httptest.NewRecorder(), r.WithContext(ctx))
			return &c.slot
		}, "GET /items/{id}"},
		{"holder found by unwrapping the writer", "/items/1", func(h http.Handler, r *http.Request) *Slot {
			hw := &holderWriter{ResponseWriter: httptest.NewRecorder()}
			h.ServeHTTP(&unwrapper{&unwrapper{hw}}, r)
			return &hw.slot
		}, "GET /items/{id}"},
		{"unmatched is recorded as empty", "/nowhere", func(h http.Handler, r *http.Request) *Slot {
			hw := &holderWriter{ResponseWriter: httptest.NewRecorder()}
			h.ServeHTTP(hw, r)
			return &hw.slot
		}, ""},
		{"recorded while a panic unwinds", "/panic", func(h http.Handler, r *http.Request) *Slot {
			hw := &holderWriter{ResponseWriter: httptest.NewRecorder()}
			func() {
				defer func() { _ = recover() }()
				h.ServeHTTP(hw, r)
			}()
			return &hw.slot
		}, "GET /panic"},
		{"no holder: just serves", "/items/1", func(h http.Handler, r *http.Request) *Slot {
			h.ServeHTTP(httptest.NewRecorder(), r)
			return nil
		}, ""},
		{"cyclic Unwrap is bounded", "/items/1", func(h http.Handler, r *http.Request) *Slot {
			h.ServeHTTP(&cycle{httptest.NewRecorder()}, r)
			return nil
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slot := tt.serve(Capture(mux), httptest.NewRequest("GET", tt.path, nil))
			if slot == nil {
				return
			}
			if got, ok := slot.Pattern(); !ok || got != tt.want {
				t.Errorf("slot = %q, %v; want %q, true", got, ok, tt.want)
			}
		})
	}
}

// TestProfilingLabelsRoute: while profiling, the handler's goroutine
// carries the pprof label route=PATTERN (what CPU samples record), and
// the pattern still reaches the slot; outside profiling there is no label.
func TestProfilingLabelsRoute(t *testing.T) {
	var got string
	var ok bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		got, ok = pprof.Label(r.Context(), "route")
		if r.PathValue("id") != "7" {
			t.Errorf("path value %q", r.PathValue("id"))
		}
		var buf bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
		if !strings.Contains(buf.String(), `"route":"GET /orders/{id}"`) {
			t.Error("no goroutine carries the route label")
		}
	})
	h := Capture(mux)
	serve := func() *Slot {
		st := &testHolder{}
		r := httptest.NewRequest("GET", "/orders/7", nil)
		h.ServeHTTP(httptest.NewRecorder(), r.WithContext(context.WithValue(r.Context(), ContextKey{}, Holder(st))))
		return &st.slot
	}
	stop := StartProfiling()
	slot := serve()
	stop()
	stop() // a second stop is harmless
	if !ok || got != "GET /orders/{id}" {
		t.Errorf("label route = %q, %v", got, ok)
	}
	if p, _ := slot.Pattern(); p != "GET /orders/{id}" {
		t.Errorf("slot pattern %q", p)
	}
	mux2 := http.NewServeMux()
	mux2.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { _, ok = pprof.Label(r.Context(), "route") })
	Capture(mux2).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if ok {
		t.Error("labelled while no profile is taken")
	}
}

type testHolder struct{ slot Slot }

func (h *testHolder) RouteSlot() *Slot { return &h.slot }

// BenchmarkCaptureProfiling prints what route labels cost: "off" is every
// request outside a CPU profile (one atomic load), "profiling" is while
// /debug/pprof/profile runs (a second match and pprof.Do).
func BenchmarkCaptureProfiling(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(http.ResponseWriter, *http.Request) {})
	h := Capture(mux)
	req := httptest.NewRequest("GET", "/hello/world", nil)
	w := httptest.NewRecorder()
	b.Run("off", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
	b.Run("profiling", func(b *testing.B) {
		defer StartProfiling()()
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
}
