package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/golocal/golocal/internal/lint"
)

// The raw HTTP/2 view.
//
// Go's HTTP/2 client validates and canonicalises response fields before
// anyone sees them: an upper-case field name fails the whole stream with
// PROTOCOL_ERROR, and the names of the fields it accepts come out in
// canonical form. Rules h2-uppercase and h2-conn-specific need the names
// as the server sent them, so after the timed exchange, off the clock, the
// probe makes one more request on a new connection with a minimal HTTP/2
// client of its own: the x/net Framer with ReadMetaHeaders unset (so it
// neither validates nor lower-cases names) and an HPACK decoder whose
// fields are kept verbatim. It reads only up to the end of the final
// response's header block, then cancels the stream and says GOAWAY.

// rawH2SlackBytes is what the raw exchange may read on top of
// MaxHeaderBytes: SETTINGS, PING, WINDOW_UPDATE and frame headers.
const rawH2SlackBytes = 256 << 10

// rawH2MaxFrame is the largest frame the raw client reads. It advertises
// the default (16 KiB), so a conforming server sends nothing larger; a
// little leniency keeps an off-by-a-bit server's headers readable.
const rawH2MaxFrame = 1 << 20

// rawH2MaxBody is the largest request body the raw exchange sends: what
// fits the initial flow-control window, so no WINDOW_UPDATE is awaited.
const rawH2MaxBody = 65535

// rawH2Stream is the stream id of the one request.
const rawH2Stream = 1

// h2Head is the response head the raw HTTP/2 exchange saw.
type h2Head struct {
	// Fields are the final response's header fields in order, names as
	// sent, pseudo-header fields (":status") included.
	Fields []lint.Field
	Status int
	// BlockBytes is the size of the HPACK-encoded header block(s) read,
	// interim (1xx) responses included.
	BlockBytes int64
}

// wantRawH2 reports whether the hop gets the raw HTTP/2 view: its
// connection spoke HTTP/2 and Go's client either accepted the response or
// refused it with an HTTP/2 stream or connection error.
func (h *Hop) wantRawH2(opts Options, doErr error) bool {
	h2Conn := h.ALPN == "h2" || (opts.HTTP == "2" && h.URL.Scheme == "http")
	return h2Conn && h.Raw == nil && !opts.noRawH2 && (doErr == nil || isH2ClientError(doErr))
}

// readRawH2 makes the raw HTTP/2 exchange, after the clock stopped, and
// records its fields (or why it failed) in the hop.
func (h *Hop) readRawH2(ctx context.Context, opts Options, req *http.Request, body []byte) {
	head, err := rawH2Exchange(ctx, opts, h.Method, h.URL, req.Host, req.Header, body)
	if err != nil {
		h.H2Error = "the raw HTTP/2 exchange failed: " + err.Error()
		return
	}
	h.H2Fields = head.Fields
	if h.Proto == "" {
		h.Proto = "HTTP/2.0"
		h.HeadBytes = fieldsSize(head.Fields)
	}
}

// errH2Limit is returned when the server sends more than the raw exchange
// reads.
var errH2Limit = errors.New("more bytes than the raw HTTP/2 view reads")

// limitedConnReader fails, instead of returning EOF, once n bytes were read.
type limitedConnReader struct {
	r io.Reader
	n int64
}

func (l *limitedConnReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errH2Limit
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// rawH2Exchange makes the request method u with the request header hdr
// (Host taken from host when set) and body over a fresh HTTP/2 connection
// dialled like the probe's (--resolve, --connect-to, -4/-6, -k, roots),
// bounded by ctx and opts.MaxHeaderBytes, and returns the response head
// with field names as sent.
func rawH2Exchange(ctx context.Context, opts Options, method string, u *url.URL, host string, hdr http.Header, body []byte) (*h2Head, error) {
	if len(body) > rawH2MaxBody {
		return nil, fmt.Errorf("the request body (%d bytes) is larger than the %d bytes the raw HTTP/2 view sends", len(body), rawH2MaxBody)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(opts.Timeout)
	}
	if time.Until(deadline) <= 0 {
		return nil, errors.New("no time left within --timeout for the raw HTTP/2 exchange")
	}
	tcp, err := dialTCP(ctx, opts, dialAddr(u), deadline, nil)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	defer tcp.Close()
	_ = tcp.SetDeadline(deadline)
	// Unblock every read and write if the caller's context ends first
	// (Ctrl-C).
	stop := context.AfterFunc(ctx, func() { _ = tcp.SetDeadline(time.Now()) })
	defer stop()
	conn := tcp
	if u.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: opts.Insecure, RootCAs: opts.RootCAs, NextProtos: []string{"h2"}})
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
			return nil, fmt.Errorf("the server negotiated %q instead of h2 on the second connection", p)
		}
		conn = tc
	}

	bw := bufio.NewWriterSize(conn, 32<<10)
	lr := &limitedConnReader{r: conn, n: opts.MaxHeaderBytes + rawH2SlackBytes}
	fr := http2.NewFramer(bw, lr)
	fr.SetMaxReadFrameSize(rawH2MaxFrame)
	// ReadMetaHeaders stays nil: HEADERS and CONTINUATION come back as
	// frames and their HPACK block is decoded below, names untouched.

	if _, err := io.WriteString(bw, http2.ClientPreface); err != nil {
		return nil, fmt.Errorf("writing the preface: %w", err)
	}
	if err := fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: 0}); err != nil {
		return nil, fmt.Errorf("writing SETTINGS: %w", err)
	}
	if err := writeH2Request(fr, method, u, host, hdr, body); err != nil {
		return nil, fmt.Errorf("writing the request: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing the request: %w", err)
	}

	head, endStream, err := readH2Head(fr, bw, opts.MaxHeaderBytes)
	// Whatever happened, tell the server we are done; errors here do not
	// matter, the connection is closed next.
	if err == nil && !endStream {
		_ = fr.WriteRSTStream(rawH2Stream, http2.ErrCodeCancel)
	}
	_ = fr.WriteGoAway(rawH2Stream, http2.ErrCodeNo, nil)
	_ = bw.Flush()
	if err != nil {
		if isTimeout(err) {
			return head, fmt.Errorf("no complete response head within --timeout: %w", err)
		}
		return head, err
	}
	return head, nil
}

// writeH2Request writes the request's HEADERS (and CONTINUATION) frames
// and its body. Fields are those Go's client would send: pseudo-headers,
// then the request header in lower case, sorted, without the fields
// HTTP/2 forbids.
func writeH2Request(fr *http2.Framer, method string, u *url.URL, host string, hdr http.Header, body []byte) error {
	var block strings.Builder
	enc := hpack.NewEncoder(&block)
	authority := u.Host
	if host != "" {
		authority = host
	}
	path := u.RequestURI()
	if method == "OPTIONS" && path == "" {
		path = "*"
	}
	fields := []hpack.HeaderField{{Name: ":method", Value: method}, {Name: ":scheme", Value: u.Scheme}, {Name: ":authority", Value: authority}, {Name: ":path", Value: path}}
	for _, k := range slices.Sorted(mapKeys(hdr)) {
		name := strings.ToLower(k)
		switch name {
		case "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "content-length":
			continue
		}
		for _, v := range hdr[k] {
			fields = append(fields, hpack.HeaderField{Name: name, Value: v})
		}
	}
	if body != nil {
		fields = append(fields, hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(len(body))})
	}
	for _, f := range fields {
		if err := enc.WriteField(f); err != nil {
			return err
		}
	}
	b := []byte(block.String())
	const frag = 16384
	first := b[:min(len(b), frag)]
	b = b[len(first):]
	err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: rawH2Stream, BlockFragment: first, EndStream: len(body) == 0, EndHeaders: len(b) == 0})
	for err == nil && len(b) > 0 {
		f := b[:min(len(b), frag)]
		b = b[len(f):]
		err = fr.WriteContinuation(rawH2Stream, len(b) == 0, f)
	}
	for err == nil && len(body) > 0 {
		chunk := body[:min(len(body), frag)]
		body = body[len(chunk):]
		err = fr.WriteData(rawH2Stream, len(body) == 0, chunk)
	}
	return err
}

// dialAddr is host:port of u as the transport dials it, the default port
// filled in.
func dialAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func mapKeys(h http.Header) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}
}

// readH2Head reads frames until the header block of the final (non-1xx)
// response on the request's stream ends, answering SETTINGS and PING on
// the way. The block is bounded by maxHead bytes both encoded and decoded
// (name + value + 32 per field, RFC 9113 §6.5.2).
func readH2Head(fr *http2.Framer, bw *bufio.Writer, maxHead int64) (*h2Head, bool, error) {
	head := &h2Head{}
	var fields []lint.Field
	var decoded int64
	overflow := false
	dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		decoded += int64(len(f.Name) + len(f.Value) + 32)
		if decoded > maxHead {
			overflow = true
			return
		}
		fields = append(fields, lint.Field{Name: f.Name, Value: f.Value, LineNo: len(fields) + 1})
	})
	dec.SetMaxStringLength(int(min(maxHead, 1<<30)))
	// endStream is the END_STREAM flag of the HEADERS frame that opened
	// the current header block (CONTINUATION frames do not carry it).
	endStream := false
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return head, false, h2ReadError(err)
		}
		var frag []byte
		var ended bool
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if err := fr.WriteSettingsAck(); err != nil {
					return head, false, err
				}
				if err := bw.Flush(); err != nil {
					return head, false, err
				}
			}
			continue
		case *http2.PingFrame:
			if !f.IsAck() {
				if err := fr.WritePing(true, f.Data); err != nil {
					return head, false, err
				}
				if err := bw.Flush(); err != nil {
					return head, false, err
				}
			}
			continue
		case *http2.GoAwayFrame:
			return head, false, fmt.Errorf("the server sent GOAWAY (%v) before the response head%s", f.ErrCode, debugData(f.DebugData()))
		case *http2.RSTStreamFrame:
			if f.StreamID == rawH2Stream {
				return head, false, fmt.Errorf("the server reset the stream (%v) before the response head", f.ErrCode)
			}
			continue
		case *http2.DataFrame:
			if f.StreamID == rawH2Stream {
				return head, false, errors.New("the server sent DATA before the response head (a protocol error)")
			}
			continue
		case *http2.HeadersFrame:
			if f.StreamID != rawH2Stream {
				continue
			}
			frag, ended, endStream = f.HeaderBlockFragment(), f.HeadersEnded(), f.StreamEnded()
		case *http2.ContinuationFrame:
			if f.StreamID != rawH2Stream {
				continue
			}
			frag, ended = f.HeaderBlockFragment(), f.HeadersEnded()
		default:
			continue // WINDOW_UPDATE, PRIORITY, unknown frame types
		}
		head.BlockBytes += int64(len(frag))
		if head.BlockBytes > maxHead {
			return head, false, fmt.Errorf("the response head is larger than %d bytes encoded; stopped reading it", maxHead)
		}
		if _, err := dec.Write(frag); err != nil {
			if errors.Is(err, hpack.ErrStringLength) {
				overflow = true
			} else {
				return head, false, fmt.Errorf("the response head does not decode as HPACK: %v", err)
			}
		}
		if overflow {
			return head, false, fmt.Errorf("the response head is larger than %d bytes decoded; stopped reading it", maxHead)
		}
		if !ended {
			continue
		}
		if err := dec.Close(); err != nil {
			return head, false, fmt.Errorf("the response head does not decode as HPACK: %v", err)
		}
		status := -1
		for _, fl := range fields {
			if fl.Name == ":status" {
				status, _ = strconv.Atoi(fl.Value)
				break
			}
		}
		if status >= 100 && status < 200 {
			fields, decoded = nil, 0 // an interim response: the final one follows
			continue
		}
		head.Fields, head.Status = fields, max(status, 0)
		if head.Fields == nil {
			head.Fields = []lint.Field{}
		}
		return head, endStream, nil
	}
}

func debugData(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return ": " + lint.Escape(string(b[:min(len(b), 200)]))
}

func h2ReadError(err error) error {
	switch {
	case errors.Is(err, errH2Limit):
		return fmt.Errorf("the server sent more than the raw HTTP/2 view reads before the response head ended")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the server closed the connection before the response head ended")
	case errors.Is(err, http2.ErrFrameTooLarge):
		return fmt.Errorf("the server sent a frame larger than %d bytes although the client advertised 16384", rawH2MaxFrame)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	return fmt.Errorf("reading frames: %v", err)
}

// isH2ClientError reports whether err is Go's HTTP/2 client refusing
// what the server sent (a stream or connection error), as opposed to a
// transport failure.
func isH2ClientError(err error) bool {
	if err == nil || isTimeout(err) {
		return false
	}
	var se http2.StreamError
	if errors.As(err, &se) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "http2: ") || strings.Contains(s, "PROTOCOL_ERROR") || strings.Contains(s, "COMPRESSION_ERROR")
}
