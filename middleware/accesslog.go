package middleware

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/golocal/golocal/internal/route"
	"github.com/golocal/golocal/problem"
)

// StatusClientClosedRequest (499, nginx's convention) is logged when the
// client went away before the handler wrote a status.
const StatusClientClosedRequest = problem.StatusClientClosedRequest

// AccessLog writes one slog record per request after it finished. Its zero
// value logs JSON to standard error.
//
// The record's attributes: method, route, path, status, bytes (body bytes
// written), duration, trace_id, remote (the peer address), and request_id
// when the client sent its own X-Request-Id. status is 499 when the client
// disconnected before the handler wrote a status, 500 with panic=true when
// the handler panicked before writing one (Recover, outside, then sends
// that 500).
//
// route is the ServeMux pattern that matched, read after the handler ran,
// without its method (the method attribute has it): "GET /items/{id}" is
// logged as "/items/{id}", and a request no pattern matched as
// "unmatched". The metrics package labels its series with exactly the same
// value, read from the same place, so a log line and a series can be
// matched; behind layers that copy the request, wrap the mux with
// [CaptureRoute] (see there).
type AccessLog struct {
	// Logger receives the records; nil means JSON on standard error
	// through [JSONHandler], the fastest choice: with it the access log
	// hands its attributes over without building a slog.Record.
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
	// With golocal's own JSON handler (the default) the record goes to it
	// field by field, without a slog.Record (which would allocate for more
	// than five attributes); the output is the same.
	fast, _ := handler.(*JSONHandler)
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
			panicked := !finished
			// The end time from the monotonic clock alone: time.Since reads
			// one clock where time.Now reads two (half the cost), and the
			// record's wall time is then start's plus the elapsed time.
			elapsed := time.Since(start)
			end := start.Add(elapsed)
			rec := accessRecord{
				method:   r.Method,
				route:    route.Label(RoutePattern(r)),
				path:     r.URL.Path,
				status:   st.ResponseStatus(panicked),
				bytes:    ww.bytes,
				duration: elapsed,
				span:     &st.Span,
				remote:   r.RemoteAddr,
				// request_id only when the client chose its own; otherwise
				// it equals trace_id and would only lengthen every line.
				requestID: st.requestID,
				panicked:  panicked,
			}
			if fast != nil {
				_ = fast.handleAccess(end, level, msg, &rec)
				return
			}
			var buf [11]slog.Attr
			record := slog.NewRecord(end, level, msg, 0)
			record.AddAttrs(rec.attrs(&buf)...)
			_ = handler.Handle(ctx, record)
		}()
		next.ServeHTTP(w, r)
		finished = true
	})
}
