package lint

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Framing and header-syntax rules. Most need the raw view: net/http joins
// folded lines, accepts bare LF, and refuses conflicting lengths outright,
// so only the bytes show what a browser or an intermediary will do.

func checkWSBeforeColon(c *checker) {
	for _, f := range c.fields {
		if f.Has(FlagWSBeforeColon) {
			c.add(evidence(f), "remove the whitespace between the field name and the colon",
				"whitespace before the colon in %q: RFC 9112 requires rejecting such a response (net/http keeps it under the key %q, so lookups of %q miss it)",
				Escape(f.Name), Escape(f.Name+" "), Escape(f.Name))
		}
	}
}

func checkObsFold(c *checker) {
	for _, f := range c.fields {
		if f.Has(FlagFolded) {
			c.add(rawEvidence(f), "send the value on one line",
				"field %q is folded over several lines (obs-fold); recipients may reject it or join the lines differently", Escape(f.Name))
		}
	}
}

func checkBareLFCR(c *checker) {
	r := c.ex.Raw
	if r.StatusFlags&FlagBareCR != 0 {
		c.add(Escape(r.StatusLine), "end every header line with CRLF and never send a lone CR", "the status line holds a bare CR")
	}
	for _, f := range c.fields {
		if f.Has(FlagBareCR) {
			c.add(rawEvidence(f), "never send a lone CR in a header; end lines with CRLF",
				"field %q holds a bare CR: some parsers end the line there, others keep it in the value (a header-injection risk)", Escape(f.Name))
		}
	}
	// Bare LF usually comes from a hand-written server that uses "\n"
	// throughout: one finding with the count says it better than one per line.
	if r.BareLFLines == 0 {
		return
	}
	ev := Escape(r.StatusLine + "\n")
	if r.StatusFlags&FlagBareLF == 0 {
		for _, f := range c.fields {
			if f.Has(FlagBareLF) {
				ev = rawEvidence(f)
				break
			}
		}
	}
	c.add(ev, "end every header line with CRLF (\\r\\n), not LF alone",
		"%d header line(s) end in a bare LF: RFC 9112 lets recipients accept it, but intermediaries may reject or misparse it", r.BareLFLines)
}

func checkBadName(c *checker) {
	for _, f := range c.fields {
		switch {
		case f.Has(FlagNoColon):
			c.add(evidence(f), "every header line must be name: value; remove or fix this line",
				"header line %d has no colon; browsers skip it, net/http refuses the response", f.LineNo)
		case f.Has(FlagBadName) && f.Name == "":
			c.add(rawEvidence(f), "do not start the first header line with whitespace; fix the field name",
				"header line %d has no field name", f.LineNo)
		case f.Has(FlagBadName):
			c.add(evidence(f), "use only token characters (letters, digits, !#$%&'*+-.^_`|~) in field names",
				"field name %q holds bytes that are not allowed in a token", Escape(f.Name))
		}
	}
}

func checkCtlValue(c *checker) {
	for _, f := range c.fields {
		if f.Has(FlagCtlValue) {
			c.add(evidence(f), "strip control bytes (NUL, ESC, DEL…) from the value; percent-encode data you put in headers",
				"field %q has control bytes in its value; net/http and browsers may refuse the whole response", Escape(f.Name))
		}
	}
}

func checkCLConflict(c *checker) {
	r := c.ex.Raw
	if len(r.ContentLengths) < 2 {
		return
	}
	distinct := slices.Compact(slices.Sorted(slices.Values(r.ContentLengths)))
	if len(distinct) < 2 {
		return
	}
	var ev []string
	for _, f := range c.all("Content-Length") {
		ev = append(ev, evidence(f))
	}
	c.add(strings.Join(ev, " | "), "send exactly one Content-Length, or none with chunked encoding",
		"Content-Length values differ (%s): Chromium fails with ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH, net/http refuses the response", Escape(strings.Join(distinct, ", ")))
}

func checkTEAndCL(c *checker) {
	r := c.ex.Raw
	if len(r.TransferEncodings) == 0 || len(r.ContentLengths) == 0 {
		return
	}
	te, _ := c.first("Transfer-Encoding")
	cl, _ := c.first("Content-Length")
	c.add(evidence(te)+" | "+evidence(cl), "drop Content-Length when sending Transfer-Encoding (or send the body with Content-Length only)",
		"Transfer-Encoding and Content-Length are both present: parsers that disagree on which wins enable request smuggling (net/http silently drops Content-Length)")
}

func checkCLMismatch(c *checker) {
	r := c.ex.Raw
	if r.HeadComplete && r.Chunked && r.ClosedEarly && !r.BodyTruncated {
		te, _ := c.first("Transfer-Encoding")
		c.add(evidence(te), "end a chunked body with its last chunk (0\\r\\n\\r\\n) before closing; do not close the connection mid-body",
			"the chunked body ended after %d bytes without its last chunk: browsers fail with ERR_INCOMPLETE_CHUNKED_ENCODING", r.BodyBytes)
		return
	}
	if !r.HeadComplete || len(r.ContentLengths) == 0 || len(r.TransferEncodings) > 0 || r.BodyFraming == "none" {
		return
	}
	cl, _ := c.first("Content-Length")
	if r.ExpectedLength < 0 {
		if len(slices.Compact(slices.Sorted(slices.Values(r.ContentLengths)))) == 1 {
			c.add(evidence(cl), "send Content-Length as decimal digits only",
				"Content-Length %q is not a number; the body length is unknown", Escape(r.ContentLengths[0]))
		}
		return
	}
	switch {
	case r.ClosedEarly:
		c.add(evidence(cl), "set Content-Length to the exact body size, or let the server compute it",
			"Content-Length announces %d bytes but the connection ended after %d: browsers fail with ERR_CONTENT_LENGTH_MISMATCH", r.ExpectedLength, r.BodyBytes)
	case r.ExtraBytes > 0:
		c.add(evidence(cl), "set Content-Length to the exact body size, or let the server compute it",
			"Content-Length announces %d bytes but %d more followed: the extra bytes are read as the next response", r.ExpectedLength, r.ExtraBytes)
	}
}

// repeatedDifferent reports fields named name whose values differ.
func (c *checker) repeatedDifferent(name string) ([]Field, bool) {
	fs := c.all(name)
	if len(fs) < 2 {
		return fs, false
	}
	for _, f := range fs[1:] {
		if strings.TrimSpace(f.Value) != strings.TrimSpace(fs[0].Value) {
			return fs, true
		}
	}
	return fs, false
}

func joinEvidence(fs []Field) string {
	var ev []string
	for _, f := range fs[:min(len(fs), 4)] {
		ev = append(ev, evidence(f))
	}
	return strings.Join(ev, " | ")
}

func checkLocationMulti(c *checker) {
	if fs, diff := c.repeatedDifferent("Location"); diff {
		c.add(joinEvidence(fs), "send one Location field",
			"Location is sent %d times with different values: Chromium fails with ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION", len(fs))
	}
}

func checkCDispMulti(c *checker) {
	if fs, diff := c.repeatedDifferent("Content-Disposition"); diff {
		c.add(joinEvidence(fs), "send one Content-Disposition field",
			"Content-Disposition is sent %d times with different values: Chromium fails with ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_DISPOSITION", len(fs))
	}
}

// singletonFields are fields defined to carry one value, where engines
// disagree on which of several wins. Fields with their own rule for the
// different-values case (Location, Content-Disposition, Content-Length,
// Strict-Transport-Security, X-Frame-Options, Access-Control-Allow-Origin)
// are handled here only when repeated with the same value.
var singletonFields = []string{
	"Content-Type", "ETag", "Last-Modified", "Expires", "Date", "Age", "Retry-After",
	"Content-Range", "Content-Location", "Access-Control-Allow-Credentials",
	"Access-Control-Max-Age", "Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy",
	"Cross-Origin-Resource-Policy", "X-Content-Type-Options",
	"Location", "Content-Disposition",
}

func checkSingletonDup(c *checker) {
	for _, name := range singletonFields {
		fs, diff := c.repeatedDifferent(name)
		if len(fs) < 2 {
			continue
		}
		if diff && (name == "Location" || name == "Content-Disposition") {
			continue // location-multi / cdisp-multi
		}
		how := "with the same value"
		if diff {
			how = "with different values; engines disagree on which one wins"
		}
		c.add(joinEvidence(fs), "send "+name+" once",
			"%s is sent %d times %s", name, len(fs), how)
	}
}

func checkH2Uppercase(c *checker) {
	if c.ex.H2Fields == nil {
		// Go's client lower-cases nothing it accepts and refuses what it
		// does not, so only the raw HPACK view can show upper-case names.
		c.skip(h2SkipReason(c.ex))
		return
	}
	for _, f := range c.ex.H2Fields {
		if strings.ToLower(f.Name) != f.Name {
			c.add(evidence(f), "send field names in lower case over HTTP/2",
				"field name %q has upper-case letters: HTTP/2 requires treating the response as malformed (Chromium fails with ERR_HTTP2_PROTOCOL_ERROR, Go's client with PROTOCOL_ERROR)", Escape(f.Name))
		}
	}
}

func h2SkipReason(ex *Exchange) string {
	if ex.H2Error != "" {
		return "needs the HTTP/2 header fields as decoded from HPACK; " + Escape(ex.H2Error)
	}
	return "needs the HTTP/2 header fields as decoded from HPACK (the raw HTTP/2 exchange did not run)"
}

var connectionSpecific = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade"}

func checkH2ConnSpecific(c *checker) {
	// Go's client accepts these fields (only canonicalising their names),
	// so without the raw view its parsed header still shows them.
	fields := c.ex.H2Fields
	if fields == nil {
		fields = c.fields
	}
	for _, f := range fields {
		for _, name := range connectionSpecific {
			if equalFold(f.Name, name) {
				c.add(evidence(f), "do not send "+name+" over HTTP/2 (strip it in the proxy or server)",
					"%s is connection-specific: HTTP/2 requires treating the response as malformed (Chromium fails with ERR_HTTP2_PROTOCOL_ERROR)", name)
			}
		}
	}
}

// maxDecoded bounds how much a content-coding check inflates, so a
// decompression bomb costs bounded time.
const maxDecoded = 64 << 20

func checkCECorrupt(c *checker) {
	codings := listValues(c.fields, "Content-Encoding")
	if len(codings) == 0 {
		return
	}
	body, truncated := c.ex.body()
	if len(body) == 0 {
		return
	}
	if c.ex.Raw != nil && c.ex.Raw.ClosedEarly {
		truncated = true
	}
	data := body
	// Codings are listed in the order applied; undo them last to first.
	for i := len(codings) - 1; i >= 0; i-- {
		coding := strings.ToLower(codings[i])
		out, err := decode(coding, data, i == 0)
		if errors.Is(err, errUnsupportedCoding) {
			c.skip(fmt.Sprintf("cannot decode content-coding %q here", Escape(coding)))
			return
		}
		if err != nil {
			if truncated && errors.Is(err, io.ErrUnexpectedEOF) {
				return // we only have the start of the body
			}
			f, _ := c.first("Content-Encoding")
			c.add(evidence(f), "compress the body with the coding you declare, or drop Content-Encoding",
				"the body does not decode as %q: %v; browsers fail with ERR_CONTENT_DECODING_FAILED", Escape(coding), err)
			return
		}
		data = out
	}
}

var errUnsupportedCoding = errors.New("unsupported content-coding")

// decode undoes one content-coding. With discard set, the output is only
// checked, not kept.
func decode(coding string, data []byte, discard bool) ([]byte, error) {
	var r io.Reader
	switch coding {
	case "identity":
		return data, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		zr.Multistream(true)
		r = zr
	case "deflate":
		// "deflate" means zlib (RFC 9110 §8.4.1.2), but servers send raw
		// DEFLATE often enough that browsers accept both.
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			r = flate.NewReader(bytes.NewReader(data))
		} else {
			r = zr
		}
	default:
		return nil, errUnsupportedCoding
	}
	var buf bytes.Buffer
	// Only the outermost step needs the decoded bytes kept.
	var w io.Writer = &buf
	if discard {
		w = io.Discard
	}
	_, err := io.Copy(w, io.LimitReader(r, maxDecoded))
	return buf.Bytes(), err
}
