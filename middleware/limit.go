package middleware

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/golocal/golocal/problem"
)

// DefaultMaxBodyBytes is the body cap of a zero [Limit]: 1 MiB, plenty for
// JSON and forms; routes taking uploads set their own.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxInFlightBytes is the in-flight cap of a zero [Limit]: 64 MiB
// of request bodies handled at once, 64 bodies at the default body cap.
const DefaultMaxInFlightBytes = 64 << 20

// retryAfterBusy is the Retry-After (seconds) of a 503 for too many body
// bytes in flight: bodies are read in milliseconds, so room is soon back.
const retryAfterBusy = 1

// Limit caps request bodies. A request whose Content-Length is over the cap
// gets 413 Content Too Large (RFC 9110 §15.5.14) as problem+json without
// reaching the handler; a body that turns out larger while the handler reads
// it (chunked uploads, lying Content-Length is impossible but chunked is
// not) makes the read fail with *http.MaxBytesError and Limit answers 413
// at once, unless the handler already started its response. Output the
// handler writes after that is discarded (writes return
// [ErrResponseSealed]), so the client gets one clear answer. net/http also
// closes the connection, so the rest of the body is never read.
//
// Limit also caps the body bytes of all the requests it is handling at
// once (MaxInFlightBytes), because each body under the per-request cap is
// harmless alone but 200 of them at once are not: 200 concurrent 1 MB
// bodies took a service to 381 MB of RSS. A request is charged its
// Content-Length before it reaches the handler (a chunked one, each chunk
// as the handler reads it) until the handler returns; a request that
// would go past the cap gets 503 Service Unavailable (RFC 9110 §15.6.4)
// as problem+json with Retry-After: 1, without its body being read. A
// client that sends Expect: 100-continue does not even send it. One body
// is always admitted when nothing else is in flight, so a cap below
// MaxBytes cannot refuse everything. Slow senders hold their charge only
// as long as the server's read timeout lets them (package serve sets one).
//
// The zero value caps each body at [DefaultMaxBodyBytes] and all bodies in
// flight at [DefaultMaxInFlightBytes]. The in-flight count belongs to the
// handler Handler returns: wrap the whole mux once, not each route.
type Limit struct {
	// MaxBytes is the cap; 0 means DefaultMaxBodyBytes, negative means no
	// cap.
	MaxBytes int64
	// MaxInFlightBytes caps the body bytes of requests being handled at
	// once; 0 means DefaultMaxInFlightBytes, negative means no cap.
	MaxInFlightBytes int64
}

// Handler returns next wrapped by the body limit.
func (l Limit) Handler(next http.Handler) http.Handler {
	limit := l.MaxBytes
	if limit == 0 {
		limit = DefaultMaxBodyBytes
	}
	budget := &bodyBudget{max: l.MaxInFlightBytes}
	if budget.max == 0 {
		budget.max = DefaultMaxInFlightBytes
	}
	if limit < 0 && budget.max < 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if limit >= 0 && r.ContentLength > limit {
			problem.Error(w, r, &http.MaxBytesError{Limit: limit})
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		charged := max(r.ContentLength, 0)
		if !budget.take(charged, 0) {
			refuseBusy(w, r)
			return
		}
		st, w, r := begin(w, r)
		// begin's request is golocal's own copy (made by the outermost
		// golocal layer), so replacing its Body does not touch the
		// caller's request. MaxBytesReader gets the innermost writer so
		// that net/http learns to close the connection.
		body := &limitedBody{ReadCloser: r.Body, st: st, w: w, r: r, charged: charged, budget: budget}
		if limit >= 0 {
			body.ReadCloser = http.MaxBytesReader(st.writer.ResponseWriter, r.Body, limit)
		}
		r.Body = body
		defer budget.give(body)
		next.ServeHTTP(w, r)
	})
}

// bodyBudget counts the body bytes charged to requests in flight.
type bodyBudget struct {
	max   int64 // negative: no cap, only counting
	bytes atomic.Int64
}

// take charges n more bytes to a request already charged own, or reports
// false when that would go past the cap while other bodies are in flight.
func (b *bodyBudget) take(n, own int64) bool {
	for {
		cur := b.bytes.Load()
		if b.max >= 0 && cur > own && cur+n > b.max {
			return false
		}
		if b.bytes.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// give returns a finished request's charge.
func (b *bodyBudget) give(body *limitedBody) { b.bytes.Add(-body.charged) }

// errBusy fails the read of a chunked body that would go past the
// in-flight cap.
var errBusy = errors.New("middleware.Limit: too many request body bytes in flight; retry later")

// refuseBusy answers 503 with Retry-After.
func refuseBusy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterBusy))
	problem.Write(w, r, &problem.Details{Status: http.StatusServiceUnavailable,
		Detail: "the server is receiving too many request bodies at once; retry after " + strconv.Itoa(retryAfterBusy) + " second"})
}

type limitedBody struct {
	io.ReadCloser
	st      *requestState
	w       http.ResponseWriter
	r       *http.Request
	done    bool // the refusal was sent
	busy    bool // refused for the in-flight cap: reads fail from then on
	budget  *bodyBudget
	charged int64 // bytes charged to the budget
	read    int64 // bytes read
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.busy {
		return 0, errBusy
	}
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if extra := b.read - b.charged; extra > 0 {
		// A chunked body (or one longer than declared, which net/http
		// prevents) is charged as it arrives.
		if !b.budget.take(extra, b.charged) {
			b.done, b.busy = true, true
			b.answer(refuseBusy)
			return n, errBusy
		}
		b.charged += extra
	}
	if err != nil && !b.done {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			b.done = true
			b.answer(func(w http.ResponseWriter, r *http.Request) { problem.Error(w, r, err) })
		}
	}
	return n, err
}

// answer sends the refusal unless the handler already started its
// response, and seals the response against the handler's own output.
func (b *limitedBody) answer(send func(http.ResponseWriter, *http.Request)) {
	ww := &b.st.writer
	if !ww.wroteHeader && !ww.hijacked && !ww.sealed {
		send(b.w, b.r)
		ww.sealed = true
	}
}
