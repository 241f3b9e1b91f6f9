package devproxy

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// ClientScriptPath is where the front serves the reload client.
const ClientScriptPath = PathPrefix + "client.js"

// EventsPath is the front's Server-Sent Events stream.
const EventsPath = PathPrefix + "events"

var errInjectSetup = errors.New("devproxy: cannot read the HTML response")

// wantsDocument reports whether r is a page load whose HTML response should
// carry the reload client: a navigation (Fetch Metadata,
// https://w3c.github.io/webappsec-fetch-metadata/) or, from clients that
// send no Fetch Metadata, a GET that accepts text/html. A form POST is a
// navigation too: the page it answers with gets the client. Fetches of HTML
// fragments (fetch(), htmx) are left alone: a script in a fragment would be
// inserted into the page once per fragment.
func wantsDocument(r *http.Request) bool {
	if r.Header.Get("HX-Request") != "" {
		return false
	}
	if mode := r.Header.Get("Sec-Fetch-Mode"); mode != "" {
		if mode == "navigate" {
			return true
		}
		dest := r.Header.Get("Sec-Fetch-Dest")
		return dest == "document" || dest == "iframe" || dest == "frame"
	}
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.Contains(r.Header.Get("Accept"), "text/html")
}

func isHTML(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}

func stripRequestValidators(h http.Header) {
	h.Del("If-None-Match")
	h.Del("If-Modified-Since")
}

func stripResponseValidators(h http.Header) {
	h.Del("ETag")
	h.Del("Last-Modified")
}

// modifyResponse applies --no-cache and injects the client into pages.
func (f *Front) modifyResponse(res *http.Response) error {
	if f.events.failedNow() {
		res.Header.Set(FailedHeader, "failed")
	}
	unpinHSTS(res)
	if f.opts.NoCache && res.StatusCode != http.StatusSwitchingProtocols {
		stripResponseValidators(res.Header)
		res.Header.Del("Expires")
		res.Header.Set("Cache-Control", "no-store")
	}
	at, _ := res.Request.Context().Value(attemptKey{}).(*attempt)
	if at == nil || !at.mayInject || !isHTML(res.Header) || !hasBody(res.StatusCode) {
		return nil
	}
	if res.Header.Get("X-Golocal-Client") != "" {
		return nil // another golocal front already injected (fronts chained)
	}
	body := res.Body
	decoded := false
	switch enc := strings.ToLower(strings.TrimSpace(res.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		if res.Request.Method == http.MethodHead {
			break
		}
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			return fmt.Errorf("%w: Content-Encoding: gzip but the body is not gzip: %v", errInjectSetup, err)
		}
		body = &gzipBody{Reader: zr, raw: res.Body}
		decoded = true
		res.Header.Del("Content-Encoding")
	default:
		// br, zstd, deflate: the app ignored Accept-Encoding: identity and
		// we do not decode these. The page still works; it will not reload
		// by itself.
		f.logger.Warn("devproxy: page not instrumented: unsupported Content-Encoding; serve HTML uncompressed in dev",
			"url", res.Request.URL.String(), "encoding", enc)
		return nil
	}

	nonce := amendCSPHeaders(res.Header, requestScheme(res.Request)+"://"+res.Request.Host)
	tag := scriptTag(f.events.currentVersion(), nonce)
	stripResponseValidators(res.Header)
	res.Header.Set("X-Golocal-Client", "1")
	switch {
	case decoded:
		res.Header.Del("Content-Length")
		res.ContentLength = -1
	case res.ContentLength >= 0:
		res.ContentLength += int64(len(tag))
		res.Header.Set("Content-Length", strconv.FormatInt(res.ContentLength, 10))
	case res.Header.Get("Content-Length") != "":
		// HEAD responses keep the header but res.ContentLength may be -1.
		if n, err := strconv.ParseInt(res.Header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
			res.Header.Set("Content-Length", strconv.FormatInt(n+int64(len(tag)), 10))
		}
	}
	if res.Request.Method == http.MethodHead {
		return nil
	}
	res.Body = &injector{src: body, tag: tag}
	return nil
}

func requestScheme(r *http.Request) string {
	// res.Request is the outgoing request; its X-Forwarded-Proto was set
	// from the incoming one by SetXForwarded.
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" {
		return "https"
	}
	return "http"
}

func hasBody(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// scriptTag is the element inserted into pages. It is a classic, blocking
// script placed right after <head>: it runs before any later
// <meta http-equiv="Content-Security-Policy"> takes effect (a meta policy
// only governs what follows it) and opens its event stream while running.
func scriptTag(version, nonce string) []byte {
	var b bytes.Buffer
	b.WriteString(`<script src="`)
	b.WriteString(ClientScriptPath)
	b.WriteString(`?v=`)
	b.WriteString(html.EscapeString(version))
	b.WriteString(`"`)
	if nonce != "" {
		b.WriteString(` nonce="`)
		b.WriteString(html.EscapeString(nonce))
		b.WriteString(`"`)
	}
	b.WriteString(`></script>`)
	return b.Bytes()
}

type gzipBody struct {
	*gzip.Reader
	raw io.ReadCloser
}

func (g *gzipBody) Close() error {
	g.Reader.Close()
	return g.raw.Close()
}

// injector streams src, inserting tag once: right after the <head> start
// tag, else before <body> or </head>, else at the end. It holds back only
// the few bytes that might start one of those tags, so streamed HTML keeps
// streaming.
type injector struct {
	src     io.ReadCloser
	tag     []byte
	pending []byte // read from src, not yet returned
	out     []byte // ready to return
	done    bool   // tag inserted: pass the rest through
	buf     []byte
	eof     bool
	err     error
}

// maxHeadTag bounds how long we wait for the '>' that ends <head ...>.
const maxHeadTag = 4096

func (in *injector) Read(p []byte) (int, error) {
	for len(in.out) == 0 {
		switch {
		case in.done && len(in.pending) > 0:
			in.out, in.pending = in.pending, nil
		case in.done:
			// After insertion: read straight into p.
			if in.eof {
				return 0, in.errOrEOF()
			}
			n, err := in.src.Read(p)
			if err != nil {
				in.eof, in.err = true, err
			}
			if n > 0 {
				return n, nil
			}
		case in.eof:
			at, _ := findInsertion(in.pending, true)
			if at < 0 {
				at = len(in.pending)
			}
			in.insertAt(at)
		default:
			if in.buf == nil {
				in.buf = make([]byte, 8*1024) // a page head fits; the rest bypasses buf
			}
			n, err := in.src.Read(in.buf)
			in.pending = append(in.pending, in.buf[:n]...)
			if err != nil {
				in.eof, in.err = true, err
				continue
			}
			in.scan()
		}
	}
	n := copy(p, in.out)
	in.out = in.out[n:]
	return n, nil
}

func (in *injector) insertAt(at int) {
	in.out = append(in.out, in.pending[:at]...)
	in.out = append(in.out, in.tag...)
	in.out = append(in.out, in.pending[at:]...)
	in.pending, in.done = nil, true
}

func (in *injector) errOrEOF() error {
	if in.err == nil || errors.Is(in.err, io.EOF) {
		return io.EOF
	}
	return in.err
}

// scan looks for the insertion point in pending. It moves what is certainly
// not part of a tag to out and reports whether it made progress.
func (in *injector) scan() bool {
	at, keepFrom := findInsertion(in.pending, in.eof)
	if at >= 0 {
		in.insertAt(at)
		return true
	}
	if keepFrom > 0 {
		in.out = append(in.out, in.pending[:keepFrom]...)
		in.pending = append([]byte(nil), in.pending[keepFrom:]...)
		return true
	}
	return false
}

// findInsertion returns the index to insert at, or -1 and the index from
// which bytes must be kept because they may start a tag that is not
// complete yet.
func findInsertion(b []byte, eof bool) (at, keepFrom int) {
	keepFrom = len(b)
	for i := 0; i < len(b); i++ {
		if b[i] != '<' {
			continue
		}
		rest := b[i:]
		switch {
		case hasTagPrefix(rest, "<head"):
			end := bytes.IndexByte(rest, '>')
			if end >= 0 {
				return i + end + 1, 0
			}
			if len(rest) > maxHeadTag || eof {
				return i, 0 // malformed: before it is still in the head
			}
			return -1, i
		case hasTagPrefix(rest, "<body"), hasTagPrefix(rest, "</head"):
			return i, 0
		case couldStartTag(rest) && !eof:
			return -1, i
		}
	}
	return -1, keepFrom
}

// hasTagPrefix reports whether b starts with name (ASCII case-insensitive)
// followed by a character that ends a tag name, so that <header> is not
// <head>.
func hasTagPrefix(b []byte, name string) bool {
	if len(b) <= len(name) || !bytes.EqualFold(b[:len(name)], []byte(name)) {
		return false
	}
	switch b[len(name)] {
	case '>', ' ', '\t', '\n', '\r', '\f', '/':
		return true
	}
	return false
}

// couldStartTag reports whether b (shorter than a complete match) is a
// prefix of one of the tags findInsertion looks for.
func couldStartTag(b []byte) bool {
	for _, name := range [...]string{"<head", "<body", "</head"} {
		if len(b) <= len(name) && bytes.EqualFold(b, []byte(name[:len(b)])) {
			return true
		}
	}
	return false
}

func (in *injector) Close() error { return in.src.Close() }
