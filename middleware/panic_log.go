package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// DefaultPanicRepeatInterval is the window of a zero [Recover]: within it,
// each call site's first panic is logged with its stack and the repeats
// are counted into one summary record.
const DefaultPanicRepeatInterval = time.Minute

// maxPanicSites bounds the sites tracked in one interval; panics at
// further sites are counted together ("other sites") without a stack.
const maxPanicSites = 256

// panicLog writes Recover's records, bounded per call site and interval:
// a handler that panics on every request would otherwise write a full
// stack (3 KB and more) per request — 10,000 panics wrote 32 MB — and bury
// every other record.
//
// Per interval and call site, the first panic is logged in full; the
// others only increment a counter. When the interval ends (a timer armed
// by the first panic of the interval, so a quiet service holds no timer),
// each site that repeated gets one "panic repeated" record with the count
// and the last panic's trace id and value, and the table is cleared, so
// the next panic at that site is logged in full again. The bytes logged
// are thus bounded by sites × intervals, whatever the number of panics.
// Every panicking request still has its own access-log record (status
// 500, trace id).
type panicLog struct {
	logger   *slog.Logger
	interval time.Duration // ≤ 0: every panic in full

	mu      sync.Mutex
	sites   map[string]*panicSite
	armed   bool // a flush is scheduled
	started time.Time
}

// panicSite is one call site's repeats within the current interval.
type panicSite struct {
	repeats   int
	lastValue string
	lastTrace string
}

// otherSites is the key of panics beyond maxPanicSites distinct sites.
const otherSites = "(other sites)"

// panicRecord is one panic as Recover reports it.
type panicRecord struct {
	value           any
	method, path    string
	traceID         string
	responseStarted bool
}

func newPanicLog(logger *slog.Logger, interval time.Duration) *panicLog {
	return &panicLog{logger: logger, interval: interval, sites: map[string]*panicSite{}}
}

// log records one panic; call it from the deferred function that
// recovered it, so the panicking frame is still on the stack.
func (l *panicLog) log(ctx context.Context, p panicRecord) {
	site := panicSiteOf()
	if l.interval > 0 && !l.first(site, p) {
		return
	}
	l.logger.LogAttrs(ctx, slog.LevelError, "panic",
		slog.String("panic", fmt.Sprint(p.value)),
		slog.String("method", p.method),
		slog.String("path", p.path),
		slog.String("trace_id", p.traceID),
		slog.Bool("response_started", p.responseStarted),
		slog.String("site", site),
		slog.String("stack", string(debug.Stack())),
	)
}

// first reports whether this is the site's first panic of the interval
// (to be logged in full); otherwise it counts the repeat.
func (l *panicLog) first(site string, p panicRecord) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.armed {
		l.armed, l.started = true, time.Now()
		time.AfterFunc(l.interval, l.flush)
	}
	s := l.sites[site]
	if s == nil && len(l.sites) >= maxPanicSites {
		site = otherSites
		s = l.sites[site]
	}
	if s == nil {
		l.sites[site] = &panicSite{}
		return site != otherSites
	}
	s.repeats++
	s.lastTrace = p.traceID
	s.lastValue = fmt.Sprint(p.value)
	return false
}

// flush ends the interval: one summary record per site that repeated.
func (l *panicLog) flush() {
	l.mu.Lock()
	sites, started := l.sites, l.started
	l.sites, l.armed = map[string]*panicSite{}, false
	l.mu.Unlock()
	for site, s := range sites {
		if s.repeats == 0 {
			continue
		}
		l.logger.LogAttrs(context.Background(), slog.LevelError, "panic repeated",
			slog.String("site", site),
			slog.Int("repeats", s.repeats),
			slog.String("since", started.UTC().Format(time.RFC3339)),
			slog.String("last_panic", s.lastValue),
			slog.String("last_trace_id", s.lastTrace),
			slog.String("note", "the first panic at this site was logged with its stack; each repeat has an access-log record with status 500 and its trace id"),
		)
	}
}

// panicSiteOf names the frame that panicked ("pkg.Func file.go:42"): the
// first frame below runtime.gopanic that is not the runtime's own (a nil
// dereference panics through runtime.sigpanic and runtime.panicmem).
func panicSiteOf() string {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	inPanic := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			inPanic = true
		case inPanic && !strings.HasPrefix(f.Function, "runtime."):
			return fmt.Sprintf("%s %s:%d", f.Function, f.File, f.Line)
		}
		if !more {
			return "(unknown)"
		}
	}
}
