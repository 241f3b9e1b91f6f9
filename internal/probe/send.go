package probe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"

	"github.com/golocal/golocal/internal/lint"
)

// The send phase: build the request (curl's defaults: User-Agent, Accept
// */*, form Content-Type with a body), make it with redirects left to
// [Run], and read the body to its end or the read cap, keeping a prefix.

// newRequest builds the request of one hop with st's trace hooks on ctx.
func newRequest(ctx context.Context, st *hopState, method string, u *url.URL, hdr http.Header, body []byte) (*http.Request, error) {
	var bodyReader io.Reader
	if body != nil {
		bodyReader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, st.trace()), method, u.String(), bodyReader)
	if err != nil {
		return nil, err
	}
	for k, vs := range hdr {
		if strings.EqualFold(k, "Host") {
			req.Host = vs[0]
			continue
		}
		req.Header[k] = vs
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header.Set("User-Agent", UserAgent)
	}
	if _, ok := req.Header["Accept"]; !ok {
		req.Header.Set("Accept", "*/*")
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, nil
}

// sent is what the send phase got from Go's client.
type sent struct {
	doErr    error  // the client refused the response or the request failed
	bodyErr  error  // reading the body failed (a short body, a timeout, the cap)
	kept     []byte // the body prefix kept for the linter
	bodyDone bool   // the body was read to its end
	end      time.Time
}

// send makes the request with Go's client and reads the answer into h
// (status, header, protocol, body size).
func send(tr *http.Transport, req *http.Request, opts Options, h *Hop) sent {
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var s sent
	resp, err := client.Do(req)
	s.doErr = err
	if err == nil {
		h.Status, h.Header, h.Proto = resp.StatusCode, resp.Header, resp.Proto
		s.kept, h.BodyBytes, s.bodyErr = readBody(resp.Body, opts.KeepBodyBytes, opts.MaxBodyBytes)
		_ = resp.Body.Close()
		s.bodyDone = s.bodyErr == nil
	}
	s.end = time.Now()
	tr.CloseIdleConnections()
	return s
}

// errBodyCap is returned by readBody when the body passed the read cap.
var errBodyCap = errors.New("body larger than the read cap")

// readBody reads r to EOF or to max bytes, keeping the first keep bytes.
func readBody(r io.Reader, keep int, max int64) ([]byte, int64, error) {
	var kept []byte
	var n int64
	buf := make([]byte, 32<<10)
	for {
		m, err := r.Read(buf)
		if m > 0 {
			if room := keep - len(kept); room > 0 {
				kept = append(kept, buf[:min(m, room)]...)
			}
			n += int64(m)
			if n > max {
				return kept, n, errBodyCap
			}
		}
		if errors.Is(err, io.EOF) {
			return kept, n, nil
		}
		if err != nil {
			return kept, n, err
		}
	}
}

// fieldsSize is headerSize for HTTP/2 fields, pseudo-fields left out.
func fieldsSize(fs []lint.Field) int64 {
	var n int64
	for _, f := range fs {
		if !strings.HasPrefix(f.Name, ":") {
			n += int64(len(f.Name) + len(f.Value) + 4)
		}
	}
	return n
}

func headerSize(h http.Header) int64 {
	var n int64
	for k, vs := range h {
		for _, v := range vs {
			n += int64(len(k) + len(v) + 4)
		}
	}
	return n
}
