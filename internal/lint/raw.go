package lint

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Caps that bound what [ParseRaw] keeps, so a hostile peer sending a 10 MB
// header or a million fields costs linear time and bounded memory. What is
// cut is counted (FieldsDropped, FlagTruncated) so rules can still say so.
const (
	MaxFields     = 10000     // fields kept per response
	MaxLineBytes  = 16 << 10  // raw bytes kept per field in Field.Line
	MaxValueBytes = 64 << 10  // bytes kept per field in Field.Value
	MaxNameBytes  = 1 << 10   // bytes kept per field name
	MaxBodyBytes  = 8 << 20   // de-chunked body bytes kept
	maxInterim    = 16        // 1xx responses kept before the final one
	maxErrors     = 64        // parse errors kept
	maxChunks     = 1 << 20   // chunks parsed before giving up
	maxStatusLine = 8 << 10   // bytes kept of the status line
	maxChunkLine  = 4 << 10   // bytes of a chunk-size line before it is called garbage
	maxChunkSize  = 1<<62 - 1 // larger chunk sizes are treated as invalid
)

// ErrNotHTTP is returned by [ParseRaw] when the bytes do not start with an
// HTTP/1.x status line at all (empty input, TLS bytes, an HTTP/2 preface).
var ErrNotHTTP = errors.New("response does not start with an HTTP/1.x status line")

// ParseRaw parses an HTTP/1.x response to a GET request from the bytes as
// they came off the wire. It is lenient on purpose: it records what is wrong
// (flags on fields, Errors) instead of refusing, so that rules can report
// exactly what a browser or net/http would choke on. It never panics, keeps
// memory bounded by the Max* caps, and runs in time linear in len(b).
//
// The returned RawResponse is never nil. The error is non-nil only when b is
// not an HTTP/1.x response at all ([ErrNotHTTP]).
//
// Line handling follows RFC 9112 §2.2: a line ends at LF, with an optional CR
// before it; a CR elsewhere is a bare CR (kept in the value, flagged).
func ParseRaw(b []byte) (*RawResponse, error) {
	return ParseRawFor("GET", b)
}

// ParseRawFor is [ParseRaw] for a response to a request with the given
// method: a response to HEAD has no body whatever its framing headers say
// (RFC 9112 §6.3).
func ParseRawFor(method string, b []byte) (*RawResponse, error) {
	var interim []*RawResponse
	pos := 0
	for {
		r, n, err := parseOne(method, b[pos:], len(interim) == 0)
		if err != nil {
			r.Interim = interim
			return r, err
		}
		// 1xx responses other than 101 are interim: the final response
		// follows on the same connection (RFC 9110 §15.2).
		if r.HeadComplete && r.StatusCode >= 100 && r.StatusCode < 200 && r.StatusCode != 101 && pos+n < len(b) {
			if len(interim) < maxInterim {
				interim = append(interim, r)
			}
			pos += n
			continue
		}
		r.Interim = interim
		return r, nil
	}
}

// lineReader splits the head into lines, recording line-ending oddities.
type lineReader struct {
	b   []byte
	pos int
}

// next returns the next line without its terminator, whether it ended in a
// bare LF, how many bare CRs it held, and false at the end of input without
// a terminator (the returned line is then the unterminated rest).
func (lr *lineReader) next() (line []byte, bareLF bool, bareCRs int, terminated bool) {
	rest := lr.b[lr.pos:]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		lr.pos = len(lr.b)
		return rest, false, bytes.Count(rest, []byte{'\r'}), false
	}
	line = rest[:i]
	lr.pos += i + 1
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	} else {
		bareLF = true
	}
	return line, bareLF, bytes.Count(line, []byte{'\r'}), true
}

func parseOne(method string, b []byte, first bool) (*RawResponse, int, error) {
	r := &RawResponse{ExpectedLength: -1, BodyFraming: "none"}
	if len(b) == 0 {
		r.addError("no bytes received")
		return r, 0, ErrNotHTTP
	}
	lr := &lineReader{b: b}
	line, bareLF, bareCRs, terminated := lr.next()
	r.StatusLine = capString(line, maxStatusLine)
	if bareLF {
		r.StatusFlags |= FlagBareLF
		r.BareLFLines++
	}
	if bareCRs > 0 {
		r.StatusFlags |= FlagBareCR
		r.BareCRs += bareCRs
	}
	if !bytes.HasPrefix(line, []byte("HTTP/")) {
		r.addError(fmt.Sprintf("status line %q does not start with HTTP/", Escape(string(line[:min(len(line), 40)]))))
		if first {
			return r, len(b), ErrNotHTTP
		}
	}
	r.parseStatusLine(line)
	if !terminated {
		r.addError("connection ended inside the status line")
		r.HeadBytes = len(b)
		return r, len(b), nil
	}

	lineNo := 1
	for {
		start := lr.pos
		line, bareLF, bareCRs, terminated := lr.next()
		lineNo++
		if bareLF {
			r.BareLFLines++
		}
		r.BareCRs += bareCRs
		if terminated && len(line) == 0 {
			r.HeadComplete = true
			break
		}
		raw := b[start:lr.pos]
		if !terminated {
			r.addError(fmt.Sprintf("connection ended inside the header (line %d)", lineNo))
			if len(line) == 0 {
				break
			}
		}
		var flags FieldFlag
		if bareLF {
			flags |= FlagBareLF
		}
		if bareCRs > 0 {
			flags |= FlagBareCR
		}
		if line[0] == ' ' || line[0] == '\t' {
			// obs-fold: a continuation of the previous field (RFC 9112 §5.2).
			if n := len(r.Fields); n > 0 && r.FieldsDropped == 0 {
				f := &r.Fields[n-1]
				f.Flags |= FlagFolded | flags
				f.Line = appendCapped(f.Line, raw, MaxLineBytes, &f.Flags)
				cont := trimOWS(line)
				if len(cont) > 0 {
					if f.Value != "" {
						f.Value = appendValue(f.Value, " ", &f.Flags)
					}
					f.Value = appendValue(f.Value, string(cont), &f.Flags)
				}
				if hasCTL(cont) {
					f.Flags |= FlagCtlValue
				}
			} else if r.FieldsDropped == 0 {
				r.addError(fmt.Sprintf("line %d starts with whitespace before any field", lineNo))
				r.addField(Field{Name: "", Value: string(capBytes(trimOWS(line), MaxValueBytes)), Line: capBytes(raw, MaxLineBytes), LineNo: lineNo, Flags: flags | FlagFolded | FlagBadName})
			}
			if !terminated {
				break
			}
			continue
		}
		r.addField(parseFieldLine(line, raw, lineNo, flags))
		if !terminated {
			break
		}
	}
	r.HeadBytes = lr.pos
	r.collectFraming()
	n := r.frameBody(method, b[lr.pos:])
	return r, lr.pos + n, nil
}

func (r *RawResponse) parseStatusLine(line []byte) {
	// status-line = HTTP-version SP status-code SP [ reason-phrase ]
	proto, rest, _ := bytes.Cut(line, []byte(" "))
	r.Proto = capString(proto, 32)
	code, reason, _ := bytes.Cut(rest, []byte(" "))
	if len(code) == 3 {
		if n, err := strconv.Atoi(string(code)); err == nil && n >= 100 {
			r.StatusCode = n
		}
	}
	if r.StatusCode == 0 && bytes.HasPrefix(line, []byte("HTTP/")) {
		r.addError(fmt.Sprintf("status code %q is not three digits", Escape(string(code[:min(len(code), 20)]))))
	}
	r.Reason = capString(reason, 512)
}

func parseFieldLine(line, raw []byte, lineNo int, flags FieldFlag) Field {
	f := Field{LineNo: lineNo, Flags: flags}
	f.Line = appendCapped(nil, raw, MaxLineBytes, &f.Flags)
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		f.Flags |= FlagNoColon | FlagBadName
		f.Name = capString(line, MaxNameBytes)
		return f
	}
	name := line[:colon]
	trimmed := bytes.TrimRight(name, " \t")
	if len(trimmed) != len(name) {
		f.Flags |= FlagWSBeforeColon
	}
	if len(trimmed) == 0 || !isToken(trimmed) {
		f.Flags |= FlagBadName
	}
	f.Name = capString(trimmed, MaxNameBytes)
	value := trimOWS(line[colon+1:])
	if hasCTL(value) {
		f.Flags |= FlagCtlValue
	}
	if len(value) > MaxValueBytes {
		f.Flags |= FlagTruncated
		value = value[:MaxValueBytes]
	}
	f.Value = string(value)
	return f
}

func (r *RawResponse) addField(f Field) {
	if len(r.Fields) >= MaxFields {
		r.FieldsDropped++
		return
	}
	r.Fields = append(r.Fields, f)
}

func (r *RawResponse) addError(msg string) {
	if len(r.Errors) < maxErrors {
		r.Errors = append(r.Errors, msg)
	}
}

// collectFraming gathers Content-Length and Transfer-Encoding from every
// field, because net/http keeps only what it decided to believe.
func (r *RawResponse) collectFraming() {
	for _, f := range r.Fields {
		switch {
		case equalFold(f.Name, "Content-Length"):
			for v := range strings.SplitSeq(f.Value, ",") {
				r.ContentLengths = append(r.ContentLengths, strings.TrimSpace(v))
			}
		case equalFold(f.Name, "Transfer-Encoding"):
			for v := range strings.SplitSeq(f.Value, ",") {
				v = strings.ToLower(strings.TrimSpace(v))
				// Drop transfer-parameters ("chunked;q=1" is not a thing, but
				// "gzip;level=1" could be): the coding name decides.
				v, _, _ = strings.Cut(v, ";")
				if v = strings.TrimSpace(v); v != "" {
					r.TransferEncodings = append(r.TransferEncodings, v)
				}
			}
		}
	}
	if n := len(r.TransferEncodings); n > 0 {
		r.Chunked = r.TransferEncodings[n-1] == "chunked"
	}
	if len(r.ContentLengths) > 0 {
		first := r.ContentLengths[0]
		n, ok := parseLength(first)
		for _, v := range r.ContentLengths[1:] {
			if v != first {
				ok = false
			}
		}
		if ok {
			r.ExpectedLength = n
		}
	}
}

// frameBody applies RFC 9112 §6.3 to decide where the body ends, and returns
// how many bytes of b belong to this message.
func (r *RawResponse) frameBody(method string, b []byte) int {
	r.BodyBytes = int64(len(b))
	if !r.HeadComplete {
		return len(b)
	}
	noBody := strings.EqualFold(method, "HEAD") || (r.StatusCode >= 100 && r.StatusCode < 200) || r.StatusCode == 204 || r.StatusCode == 304
	switch {
	case noBody:
		r.BodyFraming = "none"
		r.BodyBytes = 0
		r.Complete = true
		if r.StatusCode == 101 {
			// After 101 the connection speaks another protocol.
			return len(b)
		}
		return 0
	case len(r.TransferEncodings) > 0 && r.Chunked:
		r.BodyFraming = "chunked"
		n := r.dechunk(b)
		r.BodyBytes = int64(n)
		r.ExtraBytes = int64(len(b) - n)
		return len(b)
	case len(r.TransferEncodings) > 0:
		// A final coding other than chunked: the body runs to close.
		r.BodyFraming = "close"
		r.keepBody(b)
		return len(b)
	case r.ExpectedLength >= 0:
		r.BodyFraming = "content-length"
		have := int64(len(b))
		if have < r.ExpectedLength {
			r.ClosedEarly = true
			r.keepBody(b)
		} else {
			r.keepBody(b[:r.ExpectedLength])
			r.ExtraBytes = have - r.ExpectedLength
			r.Complete = true
		}
		r.BodyBytes = min(have, r.ExpectedLength)
		return len(b)
	default:
		if len(r.ContentLengths) > 0 {
			r.addError("Content-Length is invalid or conflicting; reading the body until the connection closes")
		}
		r.BodyFraming = "close"
		r.keepBody(b)
		return len(b)
	}
}

func (r *RawResponse) keepBody(b []byte) {
	if len(b) > MaxBodyBytes {
		b = b[:MaxBodyBytes]
		r.BodyTruncated = true
	}
	r.Body = append([]byte(nil), b...)
}

// dechunk decodes a chunked body (RFC 9112 §7.1) leniently and returns the
// number of bytes of b it consumed. It accepts bare LF after chunk lines
// (recording it) and stops at the first thing it cannot read.
func (r *RawResponse) dechunk(b []byte) int {
	pos := 0
	for chunks := 0; ; chunks++ {
		if chunks >= maxChunks {
			r.addError("more than a million chunks; stopped decoding")
			return len(b)
		}
		i := bytes.IndexByte(b[pos:min(len(b), pos+maxChunkLine)], '\n')
		if i < 0 {
			if len(b)-pos >= maxChunkLine {
				r.addError(fmt.Sprintf("chunk-size line at body byte %d is longer than %d bytes", pos, maxChunkLine))
				return len(b)
			}
			r.ClosedEarly = true
			return len(b)
		}
		line := b[pos : pos+i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		} else {
			r.addError(fmt.Sprintf("chunk-size line at body byte %d ends in a bare LF", pos))
		}
		sizeText, _, _ := bytes.Cut(line, []byte(";"))
		sizeText = bytes.TrimRight(sizeText, " \t")
		size, err := strconv.ParseUint(string(sizeText), 16, 64)
		if err != nil || len(sizeText) == 0 || size > maxChunkSize {
			r.addError(fmt.Sprintf("chunk size %q at body byte %d is not a hex number", Escape(string(sizeText[:min(len(sizeText), 40)])), pos))
			return len(b)
		}
		pos += i + 1
		if size == 0 {
			// Trailer section, then an empty line.
			for {
				j := bytes.IndexByte(b[pos:], '\n')
				if j < 0 {
					r.ClosedEarly = true
					return len(b)
				}
				t := bytes.TrimRight(b[pos:pos+j], "\r")
				pos += j + 1
				if len(t) == 0 {
					r.Complete = true
					return pos
				}
			}
		}
		if uint64(len(b)-pos) < size {
			r.appendBody(b[pos:])
			r.ClosedEarly = true
			return len(b)
		}
		r.appendBody(b[pos : pos+int(size)])
		pos += int(size)
		switch {
		case bytes.HasPrefix(b[pos:], []byte("\r\n")):
			pos += 2
		case bytes.HasPrefix(b[pos:], []byte("\n")):
			r.addError(fmt.Sprintf("chunk data ending at body byte %d is followed by a bare LF", pos))
			pos++
		case pos == len(b) || (pos == len(b)-1 && b[pos] == '\r'):
			r.ClosedEarly = true
			return len(b)
		default:
			r.addError(fmt.Sprintf("chunk data ending at body byte %d is not followed by CRLF: the chunk size is wrong", pos))
			return len(b)
		}
	}
}

func (r *RawResponse) appendBody(p []byte) {
	room := MaxBodyBytes - len(r.Body)
	if len(p) > room {
		p = p[:room]
		r.BodyTruncated = true
	}
	r.Body = append(r.Body, p...)
}

// parseLength parses a Content-Length value: 1*DIGIT, no sign, no spaces.
func parseLength(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func appendCapped(dst, src []byte, limit int, flags *FieldFlag) []byte {
	room := limit - len(dst)
	if room <= 0 {
		if len(src) > 0 {
			*flags |= FlagTruncated
		}
		return dst
	}
	if len(src) > room {
		*flags |= FlagTruncated
		src = src[:room]
	}
	return append(dst, src...)
}

func appendValue(v, add string, flags *FieldFlag) string {
	room := MaxValueBytes - len(v)
	if room <= 0 {
		*flags |= FlagTruncated
		return v
	}
	if len(add) > room {
		*flags |= FlagTruncated
		add = add[:room]
	}
	return v + add
}

func capBytes(b []byte, n int) []byte {
	if len(b) > n {
		b = b[:n]
	}
	return append([]byte(nil), b...)
}

func capString(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

func trimOWS(b []byte) []byte { return bytes.Trim(b, " \t") }

// hasCTL reports control bytes other than HTAB (RFC 9110 §5.5: field values
// are VCHAR, obs-text, SP and HTAB). A bare CR is reported separately.
func hasCTL(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f {
			return true
		}
	}
	return false
}

// isToken reports whether b is a token (RFC 9110 §5.6.2).
func isToken(b []byte) bool {
	for _, c := range b {
		if !isTchar(c) {
			return false
		}
	}
	return len(b) > 0
}

func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isTokenString(s string) bool { return isToken([]byte(s)) }

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
