package probe

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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

// Hop is one request and response of a probe; a probe that follows
// redirects has one hop per request. The request and response are its
// [lint.Exchange] (embedded, so h.Status, h.Header, h.Raw… read it: one
// model from probe to lint to report); Hop adds only what the exchange
// does not describe: timing, the connection, sizes and failure.
type Hop struct {
	// Exchange is what the linter reads; never nil in a Hop from [Run].
	// Its Proto is "" when no response arrived.
	*lint.Exchange
	Timings Timings
	// RemoteAddr and LocalAddr are the connection's addresses, "" when no
	// connection was made.
	RemoteAddr, LocalAddr string
	ALPN                  string // the protocol TLS negotiated, "" without TLS or ALPN
	// VerifyError is, with Insecure, why the certificate would not have
	// been trusted ("" when it would).
	VerifyError string
	// HeadBytes is the size of the response head: as received for
	// HTTP/1.x, the uncompressed field sizes (name + value + 4) for HTTP/2.
	HeadBytes int64
	// BodyBytes is the body as received: content-coded (never
	// decompressed), after removing chunked framing.
	BodyBytes int64
	// WireBytes is every byte read off the connection (HTTP/1.x only).
	WireBytes int64
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

// do makes one request, phase by phase: transport, send, raw capture, the
// HTTP/2 head, then classify what happened. It never panics and always
// returns a Hop with its Exchange.
func do(ctx context.Context, opts Options, method string, u *url.URL, hdr http.Header, body []byte) *Hop {
	h := &Hop{Exchange: &lint.Exchange{URL: u, Method: method}}
	st := &hopState{}
	deadline, _ := ctx.Deadline()
	tr := newTransport(opts, u, st, deadline)
	start := time.Now() // curl's clock starts before name resolution
	req, err := newRequest(ctx, st, method, u, hdr, body)
	if err != nil {
		h.Err = &Error{Kind: ErrProtocol, Message: fmt.Sprintf("cannot build the request: %v", err), Err: err}
		return h
	}
	h.RequestHeader = req.Header
	s := send(tr, req, opts, h)
	raw, wire := st.collectCapture(method, s.doErr != nil, deadline)
	h.Timings = st.timings(start, s.end, s.bodyDone)
	h.setTransport(st, opts)
	h.setRaw(method, raw, wire, opts.captureLimit(), s.doErr != nil)
	if h.wantRawH2(opts, s.doErr) {
		h.readRawH2(ctx, opts, req, body)
	}
	h.Body, h.BodyTruncated = s.kept, h.BodyBytes > int64(len(s.kept))
	h.Received = start.Add(h.Timings.StartTransfer)
	h.classify(s, opts, wire)
	return h
}

// setTransport copies what the dialers saw: addresses, TLS state, ALPN,
// and with -k whether the chain would have been trusted.
func (h *Hop) setTransport(st *hopState, opts Options) {
	st.mu.Lock()
	h.RemoteAddr, h.LocalAddr, h.TLS = st.remote, st.local, st.tls
	st.mu.Unlock()
	if h.TLS == nil {
		return
	}
	h.ALPN = h.TLS.NegotiatedProtocol
	if opts.Insecure {
		if err := verifyChain(*h.TLS, h.URL.Hostname(), opts.RootCAs); err != nil {
			h.VerifyError = err.Error()
		}
	}
}

// setRaw parses the HTTP/1.x bytes captured off the wire into h.Raw and
// takes the sizes (and, when Go refused the response, the protocol and
// body size) from it.
func (h *Hop) setRaw(method string, raw []byte, wire int64, limit int, refused bool) {
	if len(raw) == 0 {
		if h.Header != nil {
			h.HeadBytes = headerSize(h.Header)
		}
		return
	}
	h.WireBytes = wire
	h.Raw = parseCapture(method, raw, wire, limit)
	if h.Proto == "" && h.Raw.HeadComplete {
		h.Proto = cmp.Or(h.Raw.Proto, "HTTP/1.1")
	}
	h.HeadBytes = int64(h.Raw.HeadBytes)
	if refused {
		h.BodyBytes = h.Raw.BodyBytes
	}
}

// classify decides what the hop's outcome is: a response Go's client
// refused while a raw view read it, or whose body ended before its
// framing said, is a finding (ClientError); anything else that failed is
// a failed request (Err).
func (h *Hop) classify(s sent, opts Options, wire int64) {
	switch {
	case s.doErr != nil && h.Raw != nil && h.Raw.HeadComplete && !isTimeout(s.doErr) && !isHeadTooLarge(s.doErr):
		// Go refused what the server sent: the raw view says what was wrong.
		h.ClientError = s.doErr.Error()
	case s.doErr != nil && h.H2Fields != nil:
		// Go's HTTP/2 client refused the response; the raw HTTP/2 view
		// has its head.
		h.ClientError = s.doErr.Error()
	case s.doErr != nil:
		h.Err = classifyError(s.doErr, h, opts, wire)
		if h.H2Error != "" && isH2ClientError(s.doErr) {
			h.Err.Message += " (" + lint.Escape(h.H2Error) + ")"
		}
		h.ClientError = s.doErr.Error()
	case s.bodyErr != nil && h.closedEarly() && !isTimeout(s.bodyErr):
		// The server closed before the body its framing announced: the
		// head and the bytes that came are linted (cl-mismatch).
		h.ClientError = "reading the body: " + s.bodyErr.Error()
	case s.bodyErr != nil:
		h.Err = classifyError(s.bodyErr, h, opts, wire)
		h.ClientError = "reading the body: " + s.bodyErr.Error()
	}
}

// closedEarly reports whether the raw view saw the connection end before
// the body its Content-Length or chunked framing announced.
func (h *Hop) closedEarly() bool {
	return h.Raw != nil && h.Raw.HeadComplete && h.Raw.ClosedEarly && !h.Raw.BodyTruncated
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
