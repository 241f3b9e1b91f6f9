package probe

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/golocal/golocal/internal/lint"
)

// Defaults of [Options].
const (
	DefaultTimeout        = 30 * time.Second
	DefaultMaxRedirects   = 10
	DefaultMaxHeaderBytes = 1 << 20  // a larger response head is refused
	DefaultMaxBodyBytes   = 64 << 20 // reading stops here: the body is larger or endless
	DefaultKeepBodyBytes  = 1 << 20  // body prefix kept for the linter
	// UserAgent is sent unless the caller sets one.
	UserAgent = "golocal-probe/1"
)

// Options configure a probe. The zero value makes a GET with curl-like
// defaults (30 s timeout, redirects not followed).
type Options struct {
	Method string      // "" means GET, or POST when Body is set (like curl -d)
	Header http.Header // extra request headers (-H); Host overrides the host sent
	Body   []byte      // request body (-d); sets Content-Type to form-urlencoded unless given
	// HTTP selects the protocol: "" offers h2 and http/1.1 over TLS (ALPN)
	// and speaks HTTP/1.1 over plain TCP; "1.1" only HTTP/1.1; "2" offers
	// h2 over TLS and uses HTTP/2 with prior knowledge over plain TCP.
	HTTP      string
	Insecure  bool           // -k: do not verify the certificate (still reported)
	RootCAs   *x509.CertPool // nil means the system roots
	Resolve   []Resolve
	ConnectTo []ConnectTo
	IPVersion int           // 0 any, 4 or 6 (-4/-6)
	Timeout   time.Duration // per run, every hop included; 0 means DefaultTimeout
	// FollowRedirects follows Location hop by hop (-L), at most
	// MaxRedirects times (0 means DefaultMaxRedirects).
	FollowRedirects bool
	MaxRedirects    int
	MaxHeaderBytes  int64 // 0 means DefaultMaxHeaderBytes
	MaxBodyBytes    int64 // 0 means DefaultMaxBodyBytes
	KeepBodyBytes   int   // 0 means DefaultKeepBodyBytes

	// noRawH2 skips the extra raw HTTP/2 exchange (see h2raw.go): set for
	// the repeats of -n and the active checks, whose responses are not
	// linted for HTTP/2 field syntax.
	noRawH2 bool
}

func (o Options) withDefaults() Options {
	o.Timeout = cmp.Or(o.Timeout, DefaultTimeout)
	o.MaxRedirects = cmp.Or(o.MaxRedirects, DefaultMaxRedirects)
	o.MaxHeaderBytes = cmp.Or(o.MaxHeaderBytes, DefaultMaxHeaderBytes)
	o.MaxBodyBytes = cmp.Or(o.MaxBodyBytes, DefaultMaxBodyBytes)
	o.KeepBodyBytes = cmp.Or(o.KeepBodyBytes, DefaultKeepBodyBytes)
	if o.Method == "" {
		o.Method = "GET"
		if o.Body != nil {
			o.Method = "POST"
		}
	}
	o.Method = strings.ToUpper(o.Method)
	return o
}

// captureLimit is how many raw bytes are kept per connection: the largest
// head allowed plus the body prefix.
func (o Options) captureLimit() int { return int(o.MaxHeaderBytes) + o.KeepBodyBytes }

// ParseURL parses what the user typed. Without a scheme it assumes
// http:// and returns a note saying so; schemes other than http and https
// are an error.
func ParseURL(s string) (u *url.URL, note string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, "", errors.New("the URL is empty; give one like http://localhost:8080/")
	}
	if !utf8.ValidString(s) {
		return nil, "", fmt.Errorf("the URL %q is not valid UTF-8; percent-encode non-ASCII bytes", clip(s))
	}
	if strings.ContainsAny(s, " \t\r\n\x00") {
		return nil, "", fmt.Errorf("the URL %q holds whitespace or control characters; percent-encode them", clip(s))
	}
	if !strings.Contains(s, "://") {
		if i := strings.IndexByte(s, ':'); i > 0 && !strings.ContainsAny(s[:i], "./[") && !isPortStart(s[i+1:]) {
			return nil, "", fmt.Errorf("unsupported URL scheme %q in %q: golocal probe speaks http and https", clip(s[:i]), clip(s))
		}
		s = "http://" + s
		note = "no scheme given: assuming http://"
	}
	u, err = url.Parse(s)
	if err != nil {
		return nil, "", fmt.Errorf("the URL %q does not parse: %v", clip(s), unwrapURLError(err))
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		u.Scheme = strings.ToLower(u.Scheme)
	default:
		return nil, "", fmt.Errorf("unsupported URL scheme %q in %q: golocal probe speaks http and https", clip(u.Scheme), clip(s))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, "", fmt.Errorf("the URL %q has no host; give one like http://localhost:8080/", clip(s))
	}
	if u.User != nil {
		return nil, "", fmt.Errorf("the URL %q holds user info; send credentials with -H \"Authorization: ...\" instead", clip(u.Redacted()))
	}
	if p := u.Port(); p != "" {
		if _, err := parsePort(p); err != nil {
			return nil, "", fmt.Errorf("the URL %q: %v", clip(s), err)
		}
	}
	return u, note, nil
}

func isPortStart(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ErrorKind classifies why a request failed.
type ErrorKind string

// Kinds of request failure.
const (
	ErrDNS          ErrorKind = "dns"            // the host name did not resolve
	ErrRefused      ErrorKind = "refused"        // nothing listens at the address
	ErrConnect      ErrorKind = "connect"        // another connection failure
	ErrTLS          ErrorKind = "tls"            // the TLS handshake failed
	ErrTimeout      ErrorKind = "timeout"        // --timeout passed
	ErrHeadTooLarge ErrorKind = "head-too-large" // the response head passed MaxHeaderBytes
	ErrBodyTooLarge ErrorKind = "body-too-large" // the body passed MaxBodyBytes
	ErrProtocol     ErrorKind = "protocol"       // no HTTP response could be read
	ErrRedirect     ErrorKind = "redirect"       // too many redirects or a bad Location
	ErrURL          ErrorKind = "url"            // the URL cannot be probed (no host, unsupported scheme, …)
)

// Error is a failed request: what happened, in words a user can act on.
type Error struct {
	Kind    ErrorKind
	Message string
	Err     error // the underlying error, if any
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Hop is one request and response of a probe; a probe that follows
// redirects has one hop per request.
type Hop struct {
	URL     *url.URL
	Method  string
	Timings Timings
	// RemoteAddr and LocalAddr are the connection's addresses, "" when no
	// connection was made.
	RemoteAddr, LocalAddr string
	Proto                 string // "HTTP/1.1", "HTTP/2.0"; "" when no response
	ALPN                  string // the protocol TLS negotiated, "" without TLS or ALPN
	TLS                   *tls.ConnectionState
	// VerifyError is, with Insecure, why the certificate would not have
	// been trusted ("" when it would).
	VerifyError string
	Status      int // 0 when no response or Go's client refused it
	Header      http.Header
	// HeadBytes is the size of the response head: as received for
	// HTTP/1.x, the uncompressed field sizes (name + value + 4) for HTTP/2.
	HeadBytes int64
	// BodyBytes is the body as received: content-coded (never
	// decompressed), after removing chunked framing.
	BodyBytes int64
	// WireBytes is every byte read off the connection (HTTP/1.x only).
	WireBytes int64
	// Raw is the response parsed from the bytes off the wire (HTTP/1.x).
	Raw *lint.RawResponse
	// H2Fields are, over HTTP/2, the response's header fields as a second,
	// untimed raw exchange decoded them from HPACK: names exactly as sent,
	// ":status" included. Nil when that exchange did not run or failed
	// (H2Error then says why).
	H2Fields []lint.Field
	H2Error  string
	// ClientError is what Go's client said when it refused the response
	// although bytes arrived (the raw view then still has them).
	ClientError string
	// Exchange is what the linter reads.
	Exchange *lint.Exchange
	// Err is set when the request failed.
	Err *Error
}

// Result is one run of a probe: its hops, in order.
type Result struct {
	Hops []*Hop
	// Err is set when the run failed: the last hop's error, or a redirect
	// error.
	Err *Error
}

// Final returns the last hop.
func (r *Result) Final() *Hop {
	if r == nil || len(r.Hops) == 0 {
		return nil
	}
	return r.Hops[len(r.Hops)-1]
}

// Run makes one probe of u: a fresh transport per request, each phase
// timed, redirects followed hop by hop when asked. It never panics and is
// bounded by opts.Timeout in time and by the size caps in memory; a
// failure is reported in Result.Err.
func Run(ctx context.Context, u *url.URL, opts Options) *Result {
	opts = opts.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	res := &Result{}
	method, body := opts.Method, opts.Body
	hdr := opts.Header.Clone()
	cur := u
	for i := 0; ; i++ {
		h := do(ctx, opts, method, cur, hdr, body)
		res.Hops = append(res.Hops, h)
		if h.Err != nil {
			res.Err = h.Err
			return res
		}
		if !opts.FollowRedirects {
			return res
		}
		loc := redirectLocation(h)
		if loc == "" {
			return res
		}
		if i >= opts.MaxRedirects {
			res.Err = &Error{Kind: ErrRedirect, Message: fmt.Sprintf("more than %d redirects; stopped at %s (raise --max-redirs or fix the loop)", opts.MaxRedirects, lint.Escape(cur.String()))}
			return res
		}
		next, err := cur.Parse(loc)
		if err != nil || (next.Scheme != "http" && next.Scheme != "https") || next.Host == "" {
			res.Err = &Error{Kind: ErrRedirect, Message: fmt.Sprintf("cannot follow Location %q: not an http(s) URL", lint.Escape(loc)), Err: err}
			return res
		}
		switch h.Status {
		case 301, 302, 303:
			if h.Status == 303 || method == "POST" {
				if method != "HEAD" {
					method = "GET"
				}
				body = nil
				hdr.Del("Content-Type")
			}
		}
		if !strings.EqualFold(next.Hostname(), cur.Hostname()) {
			hdr.Del("Authorization")
			hdr.Del("Cookie")
			hdr.Del("Host")
		}
		cur = next
	}
}

func redirectLocation(h *Hop) string {
	switch h.Status {
	case 301, 302, 303, 307, 308:
		return h.Header.Get("Location")
	}
	return ""
}

// hopState collects what the trace hooks and dialers see; hooks can fire
// late and concurrently, so everything is under mu.
type hopState struct {
	mu                                                          sync.Mutex
	dnsDone, connectStart, connectDone, tlsDone, gotConn, wrote time.Time
	firstByte, first1xx                                         time.Time
	dns                                                         bool
	remote, local                                               string
	tls                                                         *tls.ConnectionState
	captures                                                    []*captureConn
}

func (s *hopState) markFirst(t *time.Time) {
	now := time.Now()
	s.mu.Lock()
	if t.IsZero() {
		*t = now
	}
	s.mu.Unlock()
}

func (s *hopState) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSDone: func(info httptrace.DNSDoneInfo) {
			if info.Err != nil {
				return
			}
			s.markFirst(&s.dnsDone)
			s.mu.Lock()
			s.dns = true
			s.mu.Unlock()
		},
		ConnectStart: func(string, string) { s.markFirst(&s.connectStart) },
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				s.markFirst(&s.connectDone)
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			s.markFirst(&s.gotConn)
			s.mu.Lock()
			if info.Conn != nil && s.remote == "" {
				s.remote, s.local = info.Conn.RemoteAddr().String(), info.Conn.LocalAddr().String()
			}
			s.mu.Unlock()
		},
		WroteRequest:         func(httptrace.WroteRequestInfo) { s.markFirst(&s.wrote) },
		Got1xxResponse:       func(int, textproto.MIMEHeader) error { s.markFirst(&s.first1xx); return nil },
		GotFirstResponseByte: func() { s.markFirst(&s.firstByte) },
	}
}

func (s *hopState) addCapture(c *captureConn) {
	s.mu.Lock()
	s.captures = append(s.captures, c)
	s.mu.Unlock()
}

// timings converts the marks to curl's cumulative phases.
func (s *hopState) timings(start, end time.Time, bodyDone bool) Timings {
	s.mu.Lock()
	defer s.mu.Unlock()
	since := func(t time.Time) time.Duration {
		if t.IsZero() {
			return 0
		}
		return t.Sub(start)
	}
	t := Timings{DNS: s.dns}
	// Without a lookup (an IP literal or --resolve) curl's namelookup is
	// the moment it had the address, i.e. just before connecting.
	t.NameLookup = since(cmp.Or(s.dnsDone, s.connectStart))
	t.Connect = since(s.connectDone)
	t.AppConnect = since(s.tlsDone)
	t.PreTransfer = since(s.gotConn)
	t.PostTransfer = since(s.wrote)
	t.StartTransfer = since(s.firstByte)
	t.FirstInterim = since(s.first1xx)
	// Over HTTP/2 the read loop can see the response before the writing
	// goroutine reports WroteRequest; the request was necessarily sent by
	// the time an answer arrived, so posttransfer is at most starttransfer.
	if t.StartTransfer > 0 && t.PostTransfer > t.StartTransfer {
		t.PostTransfer = t.StartTransfer
	}
	if bodyDone {
		t.Total = end.Sub(start)
	}
	for _, p := range []struct {
		ph Phase
		v  time.Duration
	}{{PhaseNameLookup, t.NameLookup}, {PhaseConnect, t.Connect}, {PhaseAppConnect, t.AppConnect}, {PhasePreTransfer, t.PreTransfer}, {PhasePostTransfer, t.PostTransfer}, {PhaseStartTransfer, t.StartTransfer}, {PhaseTotal, t.Total}} {
		if p.v > 0 {
			t.Reached = p.ph
		}
	}
	return t
}

// dialTCP applies --connect-to, --resolve and -4/-6, then connects. The
// context carries the trace, so DNS and connect hooks fire.
func dialTCP(ctx context.Context, opts Options, addr string, deadline time.Time) (net.Conn, error) {
	targets, err := dialTarget(addr, opts.ConnectTo, opts.Resolve)
	if err != nil {
		return nil, err
	}
	network := "tcp"
	switch opts.IPVersion {
	case 4:
		network = "tcp4"
	case 6:
		network = "tcp6"
	}
	d := &net.Dialer{Deadline: deadline}
	var first error
	for _, t := range targets {
		c, err := d.DialContext(ctx, network, t)
		if err == nil {
			return c, nil
		}
		first = cmp.Or(first, err)
	}
	return nil, first
}

// tlsHandshakeError marks an error of the TLS handshake itself.
type tlsHandshakeError struct{ err error }

func (e *tlsHandshakeError) Error() string { return e.err.Error() }
func (e *tlsHandshakeError) Unwrap() error { return e.err }

func do(ctx context.Context, opts Options, method string, u *url.URL, hdr http.Header, body []byte) *Hop {
	h := &Hop{URL: u, Method: method}
	st := &hopState{}
	deadline, _ := ctx.Deadline()
	limit := opts.captureLimit()

	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	if opts.HTTP != "1.1" {
		protocols.SetHTTP2(true)
	}
	if opts.HTTP == "2" && u.Scheme == "http" {
		protocols = new(http.Protocols)
		protocols.SetUnencryptedHTTP2(true)
	}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			c, err := dialTCP(ctx, opts, addr, deadline)
			if err != nil || (opts.HTTP == "2" && u.Scheme == "http") {
				return c, err
			}
			cc := newCaptureConn(c, limit)
			st.addCapture(cc)
			return cc, nil
		},
		DialTLSContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			c, err := dialTCP(ctx, opts, addr, deadline)
			if err != nil {
				return nil, err
			}
			protos := []string{"h2", "http/1.1"}
			if opts.HTTP == "1.1" {
				protos = []string{"http/1.1"}
			}
			cfg := &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: opts.Insecure, RootCAs: opts.RootCAs, NextProtos: protos}
			tc := tls.Client(c, cfg)
			_ = c.SetDeadline(deadline)
			err = tc.HandshakeContext(ctx)
			if err != nil {
				_ = c.Close()
				return nil, &tlsHandshakeError{err}
			}
			st.markFirst(&st.tlsDone)
			_ = c.SetDeadline(time.Time{})
			cs := tc.ConnectionState()
			st.mu.Lock()
			st.tls = &cs
			st.mu.Unlock()
			// With -k the chain is verified after the exchange (see below),
			// off the clock: curl -k does not verify at all, and loading the
			// system roots takes tens of milliseconds that would otherwise
			// land in pretransfer.
			if cs.NegotiatedProtocol == "h2" {
				return tc, nil
			}
			cc := newCaptureConn(tc, limit)
			st.addCapture(cc)
			return cc, nil
		},
		ForceAttemptHTTP2:      true,
		Protocols:              protocols,
		DisableCompression:     true,
		MaxResponseHeaderBytes: opts.MaxHeaderBytes,
	}
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	var bodyReader io.Reader
	if body != nil {
		bodyReader = bytes.NewReader(body)
	}
	start := time.Now() // curl's clock starts before name resolution
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, st.trace()), method, u.String(), bodyReader)
	if err != nil {
		h.Err = &Error{Kind: ErrProtocol, Message: fmt.Sprintf("cannot build the request: %v", err), Err: err}
		return h
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

	resp, doErr := client.Do(req)
	var kept []byte
	var bodyErr error
	bodyDone := false
	if doErr == nil {
		h.Status, h.Header, h.Proto = resp.StatusCode, resp.Header, resp.Proto
		kept, h.BodyBytes, bodyErr = readBody(resp.Body, opts.KeepBodyBytes, opts.MaxBodyBytes)
		_ = resp.Body.Close()
		bodyDone = bodyErr == nil
	}
	end := time.Now()
	tr.CloseIdleConnections()

	// Collect the raw capture. When Go refused the response, keep reading
	// a little so the raw view holds the whole of it.
	var capture *captureConn
	st.mu.Lock()
	if n := len(st.captures); n > 0 {
		capture = st.captures[n-1]
	}
	captures := st.captures
	st.mu.Unlock()
	var raw []byte
	var wire int64
	if capture != nil {
		if doErr != nil {
			drain(capture, method, earliest(deadline, time.Now().Add(time.Second)))
		}
		raw, wire, _, _ = capture.snapshot()
	}
	for _, c := range captures {
		c.finish()
	}

	h.Timings = st.timings(start, end, bodyDone)
	st.mu.Lock()
	h.RemoteAddr, h.LocalAddr, h.TLS = st.remote, st.local, st.tls
	st.mu.Unlock()
	if opts.Insecure && h.TLS != nil {
		if err := verifyChain(*h.TLS, u.Hostname(), opts.RootCAs); err != nil {
			h.VerifyError = err.Error()
		}
	}
	if h.TLS != nil {
		h.ALPN = h.TLS.NegotiatedProtocol
	}
	if capture != nil && len(raw) > 0 {
		h.WireBytes = wire
		h.Raw = parseCapture(method, raw, wire, limit)
		if h.Proto == "" && h.Raw.HeadComplete {
			h.Proto = cmp.Or(h.Raw.Proto, "HTTP/1.1")
		}
		h.HeadBytes = int64(h.Raw.HeadBytes)
		if doErr != nil {
			h.BodyBytes = h.Raw.BodyBytes
		}
	} else if h.Header != nil {
		h.HeadBytes = headerSize(h.Header)
	}

	// The raw HTTP/2 view: one more exchange, after the clock stopped,
	// when the connection spoke HTTP/2 and Go's client either accepted
	// the response or refused it with an HTTP/2 stream or connection error.
	h2Conn := h.ALPN == "h2" || (opts.HTTP == "2" && u.Scheme == "http")
	if h2Conn && h.Raw == nil && !opts.noRawH2 && (doErr == nil || isH2ClientError(doErr)) {
		head, err := rawH2Exchange(ctx, opts, method, u, req.Host, req.Header, body)
		if err != nil {
			h.H2Error = "the raw HTTP/2 exchange failed: " + err.Error()
		} else {
			h.H2Fields = head.Fields
			if h.Proto == "" {
				h.Proto = "HTTP/2.0"
				h.HeadBytes = fieldsSize(head.Fields)
			}
		}
	}

	ex := &lint.Exchange{
		URL: u, Method: method, RequestHeader: req.Header, Proto: h.Proto, TLS: h.TLS, Raw: h.Raw,
		H2Fields: h.H2Fields, H2Error: h.H2Error,
		Status: h.Status, Header: h.Header, Body: kept, BodyTruncated: h.BodyBytes > int64(len(kept)),
		Received: start.Add(h.Timings.StartTransfer),
	}
	if h.Proto == "" {
		ex.Proto = "HTTP/1.1"
	}
	h.Exchange = ex

	switch {
	case doErr != nil && h.Raw != nil && h.Raw.HeadComplete && !isTimeout(doErr) && !isHeadTooLarge(doErr):
		// Go refused what the server sent: that is a finding, not a
		// failed request. The raw view says what was wrong.
		h.ClientError = doErr.Error()
		ex.ClientError = h.ClientError
	case doErr != nil && h.H2Fields != nil:
		// Go's HTTP/2 client refused the response; the raw HTTP/2 view
		// has its head, so this too is a finding.
		h.ClientError = doErr.Error()
		ex.ClientError = h.ClientError
	case doErr != nil:
		h.Err = classify(doErr, h, opts, wire)
		if h.H2Error != "" && isH2ClientError(doErr) {
			h.Err.Message += " (" + lint.Escape(h.H2Error) + ")"
		}
		ex.ClientError = doErr.Error()
	case bodyErr != nil:
		h.Err = classify(bodyErr, h, opts, wire)
		ex.ClientError = "reading the body: " + bodyErr.Error()
	}
	return h
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

// drain waits, bounded by deadline, until the capture holds a complete
// response, the peer closed, or nothing arrived for 200 ms.
func drain(c *captureConn, method string, deadline time.Time) {
	for {
		kept, _, ended, _ := c.snapshot()
		if ended || len(kept) >= c.limit {
			return
		}
		if r, err := lint.ParseRawFor(method, kept); err == nil && r.Complete {
			return
		}
		if !c.wait(earliest(deadline, time.Now().Add(200*time.Millisecond))) {
			return
		}
	}
}

// parseCapture parses the raw bytes and, when the capture was cut at its
// limit, corrects what the cut made look wrong: the body did not end
// early, it was only not all kept.
func parseCapture(method string, raw []byte, wire int64, limit int) *lint.RawResponse {
	r, _ := lint.ParseRawFor(method, raw)
	if wire <= int64(len(raw)) || !r.HeadComplete {
		return r
	}
	r.BodyTruncated = true
	r.Errors = append(r.Errors, fmt.Sprintf("only the first %d of %d bytes were kept", limit, wire))
	if r.BodyFraming == "content-length" || (r.BodyFraming == "close" && r.ExpectedLength < 0) {
		got := wire - int64(r.HeadBytes)
		r.BodyBytes = got
		if r.ExpectedLength >= 0 {
			r.BodyBytes = min(got, r.ExpectedLength)
			r.ClosedEarly = got < r.ExpectedLength
			r.ExtraBytes = max(0, got-r.ExpectedLength)
			r.Complete = !r.ClosedEarly
		}
	} else if r.BodyFraming == "chunked" {
		// The end of the chunked body was beyond what was kept.
		r.ClosedEarly = false
	}
	return r
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

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isHeadTooLarge(err error) bool {
	return err != nil && strings.Contains(err.Error(), "server response headers exceeded")
}

// classify turns a client error into an [Error] with a message that says
// what happened and what to do.
func classify(err error, h *Hop, opts Options, wire int64) *Error {
	host := h.URL.Host
	var dnsErr *net.DNSError
	var tlsErr *tlsHandshakeError
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, errBodyCap):
		return &Error{Kind: ErrBodyTooLarge, Err: err, Message: fmt.Sprintf(
			"stopped reading the body after %d bytes (--max-body %d): the body is larger or endless", h.BodyBytes, opts.MaxBodyBytes)}
	case isHeadTooLarge(err):
		return &Error{Kind: ErrHeadTooLarge, Err: err, Message: fmt.Sprintf(
			"the response head is larger than %d bytes (%d bytes received); browsers refuse heads far smaller (Chromium: 256 KiB)", opts.MaxHeaderBytes, wire)}
	case isTimeout(err):
		return &Error{Kind: ErrTimeout, Err: err, Message: timeoutMessage(h, opts, wire)}
	case errors.As(err, &dnsErr):
		return &Error{Kind: ErrDNS, Err: err, Message: fmt.Sprintf(
			"cannot resolve host %q: %s; check the name, or pin it with --resolve %s:ADDR", lint.Escape(h.URL.Hostname()), lint.Escape(dnsErr.Err), hostPort(h.URL))}
	case errors.As(err, &certErr):
		return &Error{Kind: ErrTLS, Err: err, Message: fmt.Sprintf(
			"TLS handshake with %s failed: the certificate is not trusted (%s); fix the certificate, or pass -k to probe anyway (the certificate is still reported)", lint.Escape(host), lint.Escape(certErr.Err.Error()))}
	case errors.As(err, &tlsErr):
		return &Error{Kind: ErrTLS, Err: err, Message: fmt.Sprintf(
			"TLS handshake with %s failed: %s; is the server speaking TLS on this port (try http://)?", lint.Escape(host), lint.Escape(tlsErr.err.Error()))}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Error{Kind: ErrRefused, Err: err, Message: fmt.Sprintf(
			"connection to %s refused: nothing listens there; is the server running on that port?", lint.Escape(host))}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return &Error{Kind: ErrConnect, Err: err, Message: fmt.Sprintf("cannot connect to %s: %s", lint.Escape(host), lint.Escape(opErr.Err.Error()))}
	}
	msg := fmt.Sprintf("no valid HTTP response from %s: %s", lint.Escape(host), lint.Escape(err.Error()))
	if h.Raw != nil && len(h.Raw.Errors) > 0 {
		msg += " (raw view: " + lint.Escape(strings.Join(h.Raw.Errors[:min(3, len(h.Raw.Errors))], "; ")) + ")"
	} else if wire == 0 && h.Proto == "" {
		msg += " (the server closed the connection without answering)"
	}
	return &Error{Kind: ErrProtocol, Err: err, Message: msg}
}

func hostPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return u.Hostname() + ":" + p
	}
	if u.Scheme == "https" {
		return u.Hostname() + ":443"
	}
	return u.Hostname() + ":80"
}

func timeoutMessage(h *Hop, opts Options, wire int64) string {
	t := h.Timings
	var where string
	switch {
	case t.StartTransfer > 0 && (h.Status != 0 || (h.Raw != nil && h.Raw.HeadComplete)):
		where = fmt.Sprintf("the body was still arriving (%d bytes so far): the server trickles or never ends the body", h.BodyBytes)
	case t.StartTransfer > 0:
		where = fmt.Sprintf("the response head was still arriving (%d bytes so far): the server trickles bytes", wire)
	case t.PostTransfer > 0:
		where = "the request was sent but no response byte came: the server never answers"
	case t.PreTransfer > 0 || t.AppConnect > 0:
		where = "connected, but the request could not be sent"
	case t.Connect > 0:
		where = "connected, but the TLS handshake did not finish"
	case t.NameLookup > 0:
		where = "the connection was not established"
	default:
		where = "the host name did not resolve in time"
	}
	return fmt.Sprintf("no complete response from %s within %s (--timeout): %s", lint.Escape(h.URL.Host), opts.Timeout, where)
}

// earliest returns the earlier of two times, ignoring a zero one.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// escape makes server-controlled text safe to print.
func escape(s string) string { return lint.Escape(s) }
