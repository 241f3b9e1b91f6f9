package serve

import (
	"net/http"
	"strconv"

	"github.com/golocal/golocal/problem"
)

// netHTTPHeaderLimit is the MaxHeaderBytes given to net/http for a
// configured cap: twice the cap, so that a request head between the cap
// and net/http's own limit reaches [capHeaders] and is refused with a
// problem+json 431 like every other error of a golocal service. Only
// heads past net/http's limit (which also allows itself 4 KiB of read
// buffer on top) get net/http's own text/plain 431: net/http stops reading
// there and answers before any handler runs, and has no hook to change
// that answer; reading further to answer otherwise would pin the very
// memory the limit protects.
func netHTTPHeaderLimit(limit int) int {
	if limit <= 0 {
		return 0 // net/http's default (1 MiB)
	}
	return 2 * limit
}

// capHeaders refuses requests whose head (request line and header
// fields, counted as sent on the wire in HTTP/1.1) is over limit with 431
// Request Header Fields Too Large (RFC 6585 §5) as problem+json.
func capHeaders(h http.Handler, limit int) http.Handler {
	if limit <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, over := headBytes(r, limit); over {
			if r.ProtoMajor == 1 {
				w.Header().Set("Connection", "close")
			}
			problem.Write(w, r, &problem.Details{
				Status: http.StatusRequestHeaderFieldsTooLarge,
				Detail: "the request's header section is over " + strconv.Itoa(n) + " bytes, above this server's limit of " +
					strconv.Itoa(limit) + " bytes; send fewer or smaller headers (oversized cookies are the usual cause)",
			})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// headBytes counts the request head as "METHOD URI PROTO\r\n", "Host:
// host\r\n" and "Name: value\r\n" per field value, stopping as soon as the
// count passes limit. It allocates nothing.
func headBytes(r *http.Request, limit int) (int, bool) {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	n += len("Host: ") + len(r.Host) + 2
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
		if n > limit {
			return n, true
		}
	}
	n += 2
	return n, n > limit
}
