package middleware

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ServerTiming adds a Server-Timing header ([W3C Server Timing]) to every
// response: the phases handlers record through the request context (db,
// tpl, …) and "total", the time from this layer to the response head,
// with the trace id as its description. Browsers show it in DevTools
// (Network → Timing) and to scripts through
// performance.getEntriesByType("navigation")[0].serverTiming, so a slow
// page tells which part was the Go server.
//
// Handlers record phases with [Time] (a stopwatch) or [ServerTimingFrom]:
//
//	defer middleware.Time(r.Context(), "db").Stop()
//	middleware.ServerTimingFrom(ctx).Add("cache", d)
//
// Both are safe from several goroutines at once, and cost nothing (no
// allocation, no clock read) when ServerTiming is not in the chain. A
// phase recorded more than once (several queries) is summed. The header
// goes out with the response head, so a phase that ends after the first
// byte (a template streaming its output) is not in it: record it before
// writing, or render into a buffer.
//
// [Stack] adds it under the local, dev, development and test profiles and
// leaves it out otherwise: timings of each request are a side channel
// (they tell a cache hit from a miss, a known user from an unknown one),
// so production sends them only when StackOptions.ServerTiming is "on".
// Its zero value is ready to use.
//
// [W3C Server Timing]: https://www.w3.org/TR/server-timing/
type ServerTiming struct{}

// Handler returns next wrapped by the Server-Timing middleware.
func (ServerTiming) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, w, r := begin(w, r)
		if st.writer.timing == nil {
			st.writer.timing = &Timings{st: st, start: time.Now()}
		}
		next.ServeHTTP(w, r)
		// A handler that wrote nothing gets its 200 from net/http after
		// this returns, past the wrapper: send it here, with the header.
		if !st.writer.wroteHeader && !st.writer.hijacked && !st.writer.sealed {
			st.writer.WriteHeader(http.StatusOK)
		}
	})
}

// Timings is one request's Server-Timing record. A nil *Timings (Server
// Timing off, or outside golocal's middleware) ignores every call.
type Timings struct {
	st    *requestState
	start time.Time

	mu      sync.Mutex
	entries []timingEntry
	sent    bool
}

type timingEntry struct {
	name string
	dur  time.Duration
}

// ServerTimingFrom returns the request's Server-Timing record, or nil when
// [ServerTiming] is not in the chain.
func ServerTimingFrom(ctx context.Context) *Timings {
	if st := stateFrom(ctx); st != nil {
		return st.writer.timing
	}
	return nil
}

// Add records d under name (a token: letters, digits and !#$%&'*+-.^_`|~;
// other characters become '_'). Adding to a name again sums the
// durations. After the response head went out, Add records nothing.
func (t *Timings) Add(name string, d time.Duration) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sent {
		return
	}
	for i := range t.entries {
		if t.entries[i].name == name {
			t.entries[i].dur += d
			return
		}
	}
	t.entries = append(t.entries, timingEntry{name: name, dur: d})
}

// Start returns a stopwatch for name; its Stop records the time since
// Start.
func (t *Timings) Start(name string) Stopwatch {
	if t == nil {
		return Stopwatch{}
	}
	return Stopwatch{t: t, name: name, start: time.Now()}
}

// Time starts a stopwatch for name on the request of ctx:
//
//	defer middleware.Time(ctx, "db").Stop()
func Time(ctx context.Context, name string) Stopwatch { return ServerTimingFrom(ctx).Start(name) }

// Stopwatch times one phase; its zero value (Server-Timing off) does
// nothing.
type Stopwatch struct {
	t     *Timings
	name  string
	start time.Time
}

// Stop records the phase and returns its duration (0 when Server-Timing
// is off).
func (s Stopwatch) Stop() time.Duration {
	if s.t == nil {
		return 0
	}
	d := time.Since(s.start)
	s.t.Add(s.name, d)
	return d
}

// writeHeader sets Server-Timing on h; the response writer calls it once,
// right before the response head goes out.
func (t *Timings) writeHeader(h http.Header) {
	total := time.Since(t.start)
	t.mu.Lock()
	t.sent = true
	entries := t.entries
	t.mu.Unlock()
	var b strings.Builder
	for _, e := range entries {
		writeMetricName(&b, e.name)
		b.WriteString(";dur=")
		b.WriteString(formatMillis(e.dur))
		b.WriteString(", ")
	}
	b.WriteString("total;dur=")
	b.WriteString(formatMillis(total))
	if id := t.st.traceID(); id != "" {
		b.WriteString(`;desc="trace `)
		b.WriteString(id) // hex: nothing to escape in a quoted-string
		b.WriteByte('"')
	}
	h.Add("Server-Timing", b.String())
}

// formatMillis writes d in milliseconds with up to three decimals, the
// unit Server-Timing's dur has.
func formatMillis(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', -1, 64)
}

// writeMetricName writes name as an RFC 9110 token (the metric-name of
// Server-Timing), replacing any other byte with '_'.
func writeMetricName(b *strings.Builder, name string) {
	if name == "" {
		b.WriteString("unnamed")
		return
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isTokenChar(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
		}
	}
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
