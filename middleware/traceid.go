package middleware

import (
	"net/http"

	"github.com/golocal/golocal/trace"
)

// MaxRequestIDLength bounds an accepted X-Request-Id. Longer values are
// replaced, so a client cannot make every log line carry kilobytes.
const MaxRequestIDLength = 128

// TraceID gives every request a W3C Trace Context span
// (https://www.w3.org/TR/trace-context/) and a request id. Its zero value
// is ready to use.
//
// A valid incoming traceparent is continued (same trace id, new span id);
// a missing, repeated or invalid one (wrong length, uppercase hex, version
// ff, all-zero ids) starts a new trace — never an error response, since a
// broken upstream must not break the request. The trace id is then
// available from [trace.IDFromContext] (logs, problem responses) and
// [trace.FromContext] (for the traceparent of outgoing calls).
//
// X-Request-Id: a client's value is kept if it is one header of at most
// [MaxRequestIDLength] characters from [A-Za-z0-9._~:+/=@-]; anything else
// (control bytes, spaces, quotes, overlong) is replaced by the trace id, so
// the value is always safe to log and to echo. When the request carried an
// X-Request-Id, the response carries the chosen one (the client's, or the
// replacement).
type TraceID struct {
	// IgnoreIncoming starts a new trace for every request, ignoring the
	// client's traceparent. Set it on a public edge whose clients should
	// not pick trace ids.
	IgnoreIncoming bool
}

// Handler returns next wrapped by the trace-id middleware.
func (t TraceID) Handler(next http.Handler) http.Handler {
	random := newRandomSource()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, w, r := begin(w, r)
		if !st.hasSpan {
			var tp trace.Traceparent
			if !t.IgnoreIncoming {
				// Trace Context §3.2: several traceparent headers are
				// invalid together, so only exactly one is parsed.
				if v := r.Header["Traceparent"]; len(v) == 1 {
					if parsed, err := trace.ParseTraceparent(v[0]); err == nil {
						tp = parsed
					}
				}
			}
			var ids [24]byte
			random.read(ids[:])
			st.Span = trace.NewSpanFrom(tp, ids)
			st.hasSpan = true
			// The request id is the trace id unless the client chose a
			// valid one; st.requestID stays "" then, so the trace id is
			// encoded only when someone asks for it as a string.
			st.requestID = ""
			if v, ok := r.Header["X-Request-Id"]; ok {
				id := ""
				if len(v) == 1 && ValidRequestID(v[0]) {
					id = v[0]
					st.requestID = id
				} else {
					id = st.TraceIDString()
				}
				// Echoed (or its replacement shown) only to clients that
				// sent one: the others find the trace id in problem
				// responses, and every header costs on every response.
				st.setHeader(w.Header(), "X-Request-Id", id)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// ValidRequestID reports whether s is acceptable as an X-Request-Id: 1 to
// [MaxRequestIDLength] characters from [A-Za-z0-9._~:+/=@-]. The set covers
// UUIDs, ULIDs, hex and base64 ids and excludes everything that could forge
// a log line or break a header (control bytes, spaces, quotes, commas).
func ValidRequestID(s string) bool {
	if len(s) == 0 || len(s) > MaxRequestIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == '.', c == '~', c == ':', c == '+', c == '/', c == '=', c == '@':
		default:
			return false
		}
	}
	return true
}
