package middleware

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/golocal/golocal/problem"
)

// Recover turns a panic in a handler into a logged error and, when nothing
// was sent yet, a 500 application/problem+json response (RFC 9457) whose
// detail says only that the failure was logged, plus the trace id — never
// the panic value, which may hold internal data. Its zero value logs JSON to
// standard error.
//
// The log record (level error, message "panic") carries the panic value,
// the stack, the call site that panicked, method, path and trace_id. Logs
// are bounded per call site: within RepeatInterval only a site's first
// panic is logged with its stack, the repeats are counted, and one
// "panic repeated" record per site (count, last value, last trace_id)
// ends the interval — so a handler panicking on every request cannot
// flood the log (10,000 panics wrote 32 MB of stacks before).
//
// Two panics are handled differently, following net/http and chi:
//   - http.ErrAbortHandler is re-panicked untouched: it is the documented
//     way to abort a response, and net/http handles it quietly.
//   - a panic after the header was sent cannot become a 500; writing more
//     would append an error to a half-sent body that the client might
//     accept as complete. Recover logs it and re-panics with
//     http.ErrAbortHandler so net/http cuts the connection (HTTP/1.x) or
//     resets the stream (HTTP/2), and the client sees a failed response.
type Recover struct {
	// Logger receives one error record per panic; nil means JSON on
	// standard error through [JSONHandler].
	Logger *slog.Logger
	// RepeatInterval is the window in which a call site's repeated panics
	// are counted instead of logged; 0 means
	// [DefaultPanicRepeatInterval], negative logs every panic in full.
	RepeatInterval time.Duration
}

// Handler returns next wrapped by the panic recoverer.
func (rc Recover) Handler(next http.Handler) http.Handler {
	logger := rc.Logger
	if logger == nil {
		logger = defaultLogger()
	}
	interval := rc.RepeatInterval
	if interval == 0 {
		interval = DefaultPanicRepeatInterval
	}
	plog := newPanicLog(logger, interval)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, w, r := begin(w, r)
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // net/http compares by identity too.
				panic(v)
			}
			ww := &st.writer
			sent := ww.wroteHeader || ww.hijacked || ww.sealed
			traceID := st.traceID()
			plog.log(r.Context(), panicRecord{value: v, method: r.Method, path: r.URL.Path, traceID: traceID, responseStarted: sent})
			if sent {
				panic(http.ErrAbortHandler)
			}
			detail := "The server failed to complete the request. The failure has been logged"
			if traceID != "" {
				detail += "; quote the trace_id when reporting it."
			} else {
				detail += "."
			}
			// Headers a handler set before panicking (Content-Disposition,
			// Location, cookies) describe a response that is not coming.
			h := w.Header()
			for k := range h {
				if !keepOnError[k] {
					delete(h, k)
				}
			}
			problem.Write(w, r, &problem.Details{Status: http.StatusInternalServerError, Detail: detail})
		}()
		next.ServeHTTP(w, r)
	})
}

// keepOnError are the headers set by outer middleware (security headers,
// CORS, request id) that still apply to an error response.
var keepOnError = map[string]bool{
	"Content-Security-Policy":             true,
	"Content-Security-Policy-Report-Only": true,
	"Strict-Transport-Security":           true,
	"X-Content-Type-Options":              true,
	"X-Frame-Options":                     true,
	"Referrer-Policy":                     true,
	"Cross-Origin-Opener-Policy":          true,
	"Cross-Origin-Resource-Policy":        true,
	"Permissions-Policy":                  true,
	"Access-Control-Allow-Origin":         true,
	"Access-Control-Allow-Credentials":    true,
	"Access-Control-Expose-Headers":       true,
	"Vary":                                true,
	"X-Request-Id":                        true,
}
