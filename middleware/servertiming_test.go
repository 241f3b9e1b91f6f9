package middleware

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func timingStack(t *testing.T, opts StackOptions, handler http.HandlerFunc) http.Handler {
	t.Helper()
	opts.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	stack, err := Stack(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t", handler)
	return stack(mux)
}

const testTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

func serveTiming(h http.Handler) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/t", nil)
	req.Header.Set("Traceparent", testTraceparent)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestServerTimingHeader(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    []string
		notWant []string
	}{
		{"phases summed across goroutines", func(w http.ResponseWriter, r *http.Request) {
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() { ServerTimingFrom(r.Context()).Add("db", time.Millisecond) })
			}
			wg.Wait()
			ServerTimingFrom(r.Context()).Add("tpl", 2500*time.Microsecond)
			io.WriteString(w, "ok")
		}, []string{"db;dur=10, tpl;dur=2.5, total;dur=", `;desc="trace 0af7651916cd43dd8448eb211c80319c"`}, nil},
		{"stopwatch", func(w http.ResponseWriter, r *http.Request) {
			if d := Time(r.Context(), "db").Stop(); d <= 0 {
				t.Errorf("stopwatch measured %s", d)
			}
			w.WriteHeader(http.StatusNoContent)
		}, []string{"db;dur=", "total;dur="}, nil},
		{"names made tokens", func(w http.ResponseWriter, r *http.Request) {
			ServerTimingFrom(r.Context()).Add(`my "db", x`, time.Millisecond)
			ServerTimingFrom(r.Context()).Add("", time.Millisecond)
		}, []string{"my__db___x;dur=1, unnamed;dur=1, total"}, nil},
		{"handler wrote nothing", func(http.ResponseWriter, *http.Request) {}, []string{"total;dur="}, nil},
		{"phase after the first byte left out", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			ServerTimingFrom(r.Context()).Add("late", time.Millisecond)
		}, []string{"total;dur="}, []string{"late"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := serveTiming(timingStack(t, StackOptions{Profile: "dev"}, tc.handler))
			got := rec.Header().Values("Server-Timing")
			if len(got) != 1 {
				t.Fatalf("Server-Timing %q, want one header", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got[0], w) {
					t.Errorf("Server-Timing %q lacks %q", got[0], w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got[0], w) {
					t.Errorf("Server-Timing %q has %q", got[0], w)
				}
			}
		})
	}
}

func TestServerTimingProfiles(t *testing.T) {
	cases := []struct {
		profile, mode string
		want          bool
	}{
		{"", "", false}, {"prod", "", false}, {"staging", "", false},
		{"local", "", true}, {"dev", "", true}, {"development", "", true}, {"test", "", true},
		{"prod", "on", true}, {"dev", "off", false}, {"DEV", "", true},
	}
	for _, tc := range cases {
		h := timingStack(t, StackOptions{Profile: tc.profile, ServerTiming: tc.mode}, func(w http.ResponseWriter, r *http.Request) {
			ServerTimingFrom(r.Context()).Add("db", time.Millisecond)
		})
		if got := serveTiming(h).Header().Get("Server-Timing") != ""; got != tc.want {
			t.Errorf("profile %q, ServerTiming %q: header sent %v, want %v", tc.profile, tc.mode, got, tc.want)
		}
	}
	if _, err := Stack(StackOptions{ServerTiming: "yes"}); err == nil || !strings.Contains(err.Error(), `"on", "off"`) {
		t.Errorf("bad ServerTiming value: %v", err)
	}
}

func TestServerTimingOutsideStack(t *testing.T) {
	ctx := context.Background()
	if ServerTimingFrom(ctx) != nil {
		t.Fatal("a record outside the middleware")
	}
	if d := Time(ctx, "db").Stop(); d != 0 {
		t.Errorf("stopwatch outside the middleware measured %s", d)
	}
	ServerTimingFrom(ctx).Add("db", time.Second) // must not panic
}

// TestServerTimingOffAllocations: recording phases costs no allocation
// when Server-Timing is off (the default in production).
func TestServerTimingOffAllocations(t *testing.T) {
	var ctx context.Context
	h := timingStack(t, StackOptions{Profile: "prod"}, func(w http.ResponseWriter, r *http.Request) { ctx = r.Context() })
	serveTiming(h)
	allocs := testing.AllocsPerRun(200, func() {
		Time(ctx, "db").Stop()
		ServerTimingFrom(ctx).Add("tpl", time.Millisecond)
	})
	if allocs != 0 {
		t.Errorf("%.0f allocations per phase with Server-Timing off, want 0", allocs)
	}
}

func FuzzServerTimingName(f *testing.F) {
	for _, s := range []string{"db", "", "a b", `"`, "ü", "\x00;dur=1,", "total"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		var b strings.Builder
		writeMetricName(&b, name)
		out := b.String()
		if out == "" {
			t.Fatal("empty metric name")
		}
		for i := 0; i < len(out); i++ {
			if !isTokenChar(out[i]) {
				t.Fatalf("metric name %q has a non-token byte %q", out, out[i])
			}
		}
	})
}
