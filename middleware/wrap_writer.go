package middleware

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/golocal/golocal/internal/route"
)

// ErrResponseSealed is returned by writes after a middleware has already
// answered the request on the handler's behalf (Limit's 413 when the body
// went over the cap). The handler's own output is discarded, as with
// http.TimeoutHandler, so the client gets one coherent response.
var ErrResponseSealed = errors.New("middleware: response already sent by middleware; handler output discarded")

// responseWriter is the single wrapper golocal puts around an
// http.ResponseWriter. It records the status, the body bytes and whether the
// header went out, which Recover, AccessLog and Limit need.
//
// Optional interfaces: it has Unwrap, so http.ResponseController (the
// modern way: Flush, Hijack, SetReadDeadline, SetWriteDeadline,
// EnableFullDuplex) reaches the underlying writer through it. It also
// implements http.Flusher, http.Hijacker and io.ReaderFrom directly,
// delegating when the underlying writer supports them, because older code
// type-asserts for them. This avoids chi-style combinatorial wrapper types;
// the price is that w.(http.Hijacker) succeeds on HTTP/2 and Hijack then
// returns http.ErrNotSupported, exactly as ResponseController does.
type responseWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
	hijacked    bool
	sealed      bool

	// route is the request's matched pattern, recorded by CaptureRoute.
	// It lives here rather than beside the writer in requestState so that
	// CaptureRoute finds it by unwrapping the writer when a layer replaced
	// the request's context instead of deriving from it.
	route route.Slot

	// timing is the request's Server-Timing record when [ServerTiming]
	// is on (nil otherwise); its header is set right before the head
	// goes out.
	timing *Timings
}

// RouteSlot returns the request's route slot (route.Holder).
func (w *responseWriter) RouteSlot() *route.Slot { return &w.route }

func (w *responseWriter) WriteHeader(code int) {
	if w.sealed || w.wroteHeader {
		// A second WriteHeader is a handler bug that net/http only logs;
		// dropping it here keeps the recorded status the one that was sent.
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// 1xx informational (103 Early Hints) may repeat and is not the
		// final status.
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.status = code
	w.wroteHeader = true
	if w.timing != nil {
		w.timing.writeHeader(w.ResponseWriter.Header())
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.sealed {
		return 0, ErrResponseSealed
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom keeps the sendfile/splice fast path of *http.response (used by
// io.Copy from an *os.File) and still counts bytes.
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.sealed {
		return 0, ErrResponseSealed
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		// writerOnly hides our own ReadFrom so io.Copy cannot recurse.
		n, err = io.Copy(writerOnly{w.ResponseWriter}, src)
	}
	w.bytes += n
	return n, err
}

type writerOnly struct{ io.Writer }

// Flush sends buffered data; a Flush before any Write commits status 200,
// as net/http does.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError is the error-returning flush that http.ResponseController
// prefers.
func (w *responseWriter) FlushError() error {
	if w.sealed {
		return ErrResponseSealed
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack takes over the connection (HTTP/1.x only); it returns
// http.ErrNotSupported when the underlying writer cannot be hijacked.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.sealed {
		return nil, nil, ErrResponseSealed
	}
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, rw, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
