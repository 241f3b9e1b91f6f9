package otel

import (
	"context"
	"log/slog"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// warnLimiter logs export failures at most once per interval: a collector
// that is down must not turn every batch into a log line. The first failure
// is logged at once; later ones within the interval are counted and
// reported with the next line.
type warnLimiter struct {
	logger   *slog.Logger
	interval time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func newWarnLimiter(logger *slog.Logger, interval time.Duration) *warnLimiter {
	if interval <= 0 {
		interval = time.Minute
	}
	return &warnLimiter{logger: logger, interval: interval}
}

// report logs err unless a warning went out less than an interval ago.
func (w *warnLimiter) report(err error) {
	now := time.Now()
	w.mu.Lock()
	if !w.last.IsZero() && now.Sub(w.last) < w.interval {
		w.suppressed++
		w.mu.Unlock()
		return
	}
	suppressed := w.suppressed
	w.last, w.suppressed = now, 0
	w.mu.Unlock()
	logger := w.logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.Warn("otel: exporting spans failed; requests are unaffected, spans are dropped",
		"error", err.Error(), "suppressed_since_last_warning", suppressed, "next_warning_after", w.interval.String())
}

// reportingExporter hands export errors to the limiter instead of the
// global OpenTelemetry error handler (which would print each one).
type reportingExporter struct {
	sdktrace.SpanExporter
	warn *warnLimiter
}

func (e *reportingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := e.SpanExporter.ExportSpans(ctx, spans); err != nil {
		e.warn.report(err)
	}
	return nil
}
