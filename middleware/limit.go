package middleware

import (
	"errors"
	"io"
	"net/http"

	"github.com/golocal/golocal/problem"
)

// DefaultMaxBodyBytes is the body cap of a zero [Limit]: 1 MiB, plenty for
// JSON and forms; routes taking uploads set their own.
const DefaultMaxBodyBytes = 1 << 20

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
// The zero value caps at [DefaultMaxBodyBytes].
type Limit struct {
	// MaxBytes is the cap; 0 means DefaultMaxBodyBytes, negative means no
	// cap.
	MaxBytes int64
}

// Handler returns next wrapped by the body limit.
func (l Limit) Handler(next http.Handler) http.Handler {
	limit := l.MaxBytes
	if limit == 0 {
		limit = DefaultMaxBodyBytes
	}
	if limit < 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			problem.Error(w, r, &http.MaxBytesError{Limit: limit})
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		st, w, r := begin(w, r)
		// begin's request is golocal's own copy (made by the outermost
		// golocal layer), so replacing its Body does not touch the
		// caller's request. MaxBytesReader gets the innermost writer so
		// that net/http learns to close the connection.
		r.Body = &limitedBody{
			ReadCloser: http.MaxBytesReader(st.writer.ResponseWriter, r.Body, limit),
			st:         st, w: w, r: r,
		}
		next.ServeHTTP(w, r)
	})
}

type limitedBody struct {
	io.ReadCloser
	st   *requestState
	w    http.ResponseWriter
	r    *http.Request
	done bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			b.done = true
			ww := &b.st.writer
			if !ww.wroteHeader && !ww.hijacked && !ww.sealed {
				problem.Error(b.w, b.r, err)
				ww.sealed = true
			}
		}
	}
	return n, err
}
