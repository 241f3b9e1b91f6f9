package middleware

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golocal/golocal/trace"
)

const goodTP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestTraceIDTraceparent(t *testing.T) {
	tests := []struct {
		name      string
		headers   []string // traceparent values
		ignore    bool
		continued bool
	}{
		{"valid continued", []string{goodTP}, false, true},
		{"absent", nil, false, false},
		{"ignored on request", []string{goodTP}, true, false},
		{"uppercase hex", []string{strings.ToUpper(goodTP)}, false, false},
		{"version ff", []string{"ff" + goodTP[2:]}, false, false},
		{"zero trace id", []string{"00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, false, false},
		{"zero parent id", []string{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"}, false, false},
		{"overlong", []string{goodTP + strings.Repeat("-a", 4000)}, false, false},
		{"control bytes", []string{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\x01"}, false, false},
		{"two headers", []string{goodTP, goodTP}, false, false},
		{"empty", []string{""}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *trace.Span
			h := TraceID{IgnoreIncoming: tt.ignore}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = trace.FromContext(r.Context())
				if trace.IDFromContext(r.Context()) != got.TraceIDString() {
					t.Error("IDFromContext disagrees with FromContext")
				}
			}))
			req := httptest.NewRequest("GET", "/", nil)
			for _, v := range tt.headers {
				req.Header.Add("Traceparent", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got == nil {
				t.Fatal("no span in the handler's context")
			}
			id := got.TraceIDString()
			if len(id) != 32 || got.ID.IsZero() {
				t.Fatalf("bad span %+v", got)
			}
			if continued := id == "4bf92f3577b34da6a3ce929d0e0e4736"; continued != tt.continued {
				t.Errorf("continued = %v, want %v (trace id %s)", continued, tt.continued, id)
			}
			if tt.continued && got.ParentID.String() != "00f067aa0ba902b7" {
				t.Errorf("parent id %s", got.ParentID)
			}
			if !tt.continued && !got.ParentID.IsZero() {
				t.Errorf("new trace has parent %s", got.ParentID)
			}
			if rec.Code != 200 {
				t.Errorf("status %d: a bad traceparent must never fail the request", rec.Code)
			}
		})
	}
}

func TestTraceIDRequestID(t *testing.T) {
	long := strings.Repeat("a", MaxRequestIDLength)
	tests := []struct {
		name   string
		values []string
		keep   bool
	}{
		{"uuid", []string{"3f1c9b2e-7d4a-4e0b-9a55-0c6f1d2e3b4a"}, true},
		{"base64 and punctuation", []string{"AbC+/=_~.:@-9"}, true},
		{"max length", []string{long}, true},
		{"overlong", []string{long + "a"}, false},
		{"empty", []string{""}, false},
		{"control byte", []string{"abc\x00def"}, false},
		{"newline log forging", []string{"abc\n{\"level\":\"ERROR\"}"}, false},
		{"space", []string{"abc def"}, false},
		{"quote", []string{`abc"def`}, false},
		{"comma", []string{"a,b"}, false},
		{"non-ascii", []string{"idé"}, false},
		{"two headers", []string{"a", "b"}, false},
		{"absent", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inHandler string
			h := TraceID{}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inHandler = RequestID(r.Context())
			}))
			req := httptest.NewRequest("GET", "/", nil)
			for _, v := range tt.values {
				req.Header.Add("X-Request-Id", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			echoed := rec.Header().Values("X-Request-Id")
			if tt.values == nil {
				// Nothing to echo: the trace id is the request id.
				if len(echoed) != 0 || len(inHandler) != 32 {
					t.Errorf("echoed %q, handler saw %q", echoed, inHandler)
				}
				return
			}
			if len(echoed) != 1 || echoed[0] != inHandler {
				t.Fatalf("echoed %q, handler saw %q", echoed, inHandler)
			}
			if tt.keep {
				if inHandler != tt.values[0] {
					t.Errorf("request id %q, want the client's %q", inHandler, tt.values[0])
				}
				return
			}
			if len(inHandler) != 32 || !ValidRequestID(inHandler) {
				t.Errorf("replacement id %q is not a trace id", inHandler)
			}
		})
	}
}

func TestContextAccessorsOutsideMiddleware(t *testing.T) {
	r := httptest.NewRequest("GET", "/x", nil)
	r.Pattern = "GET /x"
	if RequestID(r.Context()) != "" || Nonce(r.Context()) != "" {
		t.Error("accessors must return empty strings outside the middleware")
	}
	if RoutePattern(r) != "GET /x" {
		t.Errorf("RoutePattern fallback = %q", RoutePattern(r))
	}
}

// FuzzTraceIDHeaders feeds arbitrary traceparent and X-Request-Id values
// through the middleware: it must never panic or fail the request, and
// what it echoes must always be a valid request id.
func FuzzTraceIDHeaders(f *testing.F) {
	f.Add(goodTP, "req-1")
	f.Add("ff-"+goodTP[3:], "a\x00b")
	f.Add("", strings.Repeat("x", 200))
	h := TraceID{}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(trace.IDFromContext(r.Context())) != 32 {
			panic("no trace id")
		}
	}))
	f.Fuzz(func(t *testing.T, tp, rid string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["Traceparent"] = []string{tp}
		req.Header["X-Request-Id"] = []string{rid}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
		if got := rec.Header().Get("X-Request-Id"); !ValidRequestID(got) {
			t.Fatalf("echoed invalid request id %q", got)
		}
	})
}
