package middleware

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/golocal/golocal/problem"
)

// StatusClientClosedRequest (499, nginx's convention) is logged when the
// client went away before the handler wrote a status.
const StatusClientClosedRequest = problem.StatusClientClosedRequest

// AccessLog writes one slog record per request after it finished. Its zero
// value logs JSON to standard error.
//
// The record's attributes: method, route (the ServeMux pattern, read after
// the handler ran, "" when nothing matched), path, status, bytes (body
// bytes written), duration, trace_id, remote (the peer address), and
// request_id when the client sent its own X-Request-Id. status is 499 when the client disconnected before the handler
// wrote a status, 500 with panic=true when the handler panicked before
// writing one (Recover, outside, then sends that 500).
type AccessLog struct {
	// Logger receives the records; nil means JSON on standard error.
	Logger *slog.Logger
	// Level of the records; the zero value is slog.LevelInfo.
	Level slog.Level
	// Message of the records; "" means "request".
	Message string
}

// Handler returns next wrapped by the access log.
func (a AccessLog) Handler(next http.Handler) http.Handler {
	logger := a.Logger
	if logger == nil {
		logger = defaultLogger()
	}
	msg := a.Message
	if msg == "" {
		msg = "request"
	}
	level := a.Level
	// The handler is called directly rather than through logger.LogAttrs:
	// Logger.log captures the caller's program counter on every record
	// (runtime.Callers), which an access log never needs and which costs a
	// stack walk per request.
	handler := logger.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st, w, r := begin(w, r)
		finished := false
		defer func() {
			ctx := r.Context()
			if !handler.Enabled(ctx, level) {
				return
			}
			ww := &st.writer
			status := ww.status
			panicked := !finished
			switch {
			case ww.wroteHeader:
			case panicked:
				status = http.StatusInternalServerError
			case ww.hijacked:
				status = http.StatusSwitchingProtocols
			case errors.Is(ctx.Err(), context.Canceled):
				status = StatusClientClosedRequest
			default:
				status = http.StatusOK // net/http sends 200 for a handler that wrote nothing
			}
			end := time.Now()
			traceID := st.TraceIDString()
			rec := slog.NewRecord(end, level, msg, 0)
			rec.AddAttrs(
				slog.String("method", r.Method),
				slog.String("route", RoutePattern(r)),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int64("bytes", ww.bytes),
				slog.Duration("duration", end.Sub(start)),
				slog.String("trace_id", traceID),
				slog.String("remote", r.RemoteAddr),
			)
			// request_id only when the client chose its own; otherwise it
			// equals trace_id and would only lengthen every line.
			if st.requestID != traceID && st.requestID != "" {
				rec.AddAttrs(slog.String("request_id", st.requestID))
			}
			if panicked {
				rec.AddAttrs(slog.Bool("panic", true))
			}
			_ = handler.Handle(ctx, rec)
		}()
		next.ServeHTTP(w, r)
		finished = true
	})
}
