package lint

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"time"
)

// Exchange is one request and its response as the probe saw them. The
// probe fills what it has; every rule that lacks its input (Raw over
// HTTP/2, Active without --origin, TLS over plain HTTP) is skipped and
// listed in [Report.Skipped] instead of guessing.
type Exchange struct {
	URL           *url.URL
	Method        string // "" means GET
	RequestHeader http.Header
	Proto         string               // "HTTP/1.1", "HTTP/1.0", "HTTP/2.0"
	TLS           *tls.ConnectionState // nil over plain HTTP
	Raw           *RawResponse         // HTTP/1.x: parsed from the bytes off the wire; nil over HTTP/2
	H2Fields      []Field              // HTTP/2: header fields as decoded from HPACK, names as sent (may be nil)
	H2Error       string               // HTTP/2: why H2Fields is nil ("" when the probe did not try)
	Status        int                  // Go's parsed view; 0 when Go's client refused the response
	Header        http.Header          // Go's parsed view; nil when refused
	Body          []byte               // body bytes as received (still content-encoded), capped
	BodyTruncated bool
	ClientError   string    // what Go's client said when it refused the response
	Received      time.Time // local clock when the response head arrived (for date-skew)
	Active        *Active   // results of active checks; nil when none ran
}

// Active holds the answers to the extra requests some rules need. Each
// member is nil when that check did not run; the rules that need it are then
// reported as skipped.
type Active struct {
	// Origin is the origin the user allowed with --origin, e.g.
	// "https://example.test".
	Origin string
	// Preflight is an OPTIONS request with Origin, Access-Control-Request-Method
	// (PreflightMethod) and Access-Control-Request-Headers (PreflightHeaders).
	Preflight        *Exchange
	PreflightMethod  string
	PreflightHeaders []string
	// Credentialed is the same request with Origin: <Origin> and credentials.
	Credentialed *Exchange
	// Attacker is the same request with Origin: https://attacker.test
	// (an origin the server cannot have meant to allow).
	Attacker *Exchange
	// Variants are the same URL fetched with one negotiation header changed.
	Variants []Variant
	// PlainHTTP is, for an https URL, the answer to the http:// URL on the
	// same host, redirects not followed (rule redirect-https).
	PlainHTTP *Exchange
}

// Variant is the answer to the same URL with one request header changed,
// e.g. Header "Accept-Language", Value "fr".
type Variant struct {
	Header, Value string
	Exchange      *Exchange
}

// FieldFlag records what was unusual about one raw header line.
type FieldFlag uint16

// Flags set by [ParseRaw] on a [Field]. Each maps to a framing rule.
const (
	FlagBareLF        FieldFlag = 1 << iota // a line of this field ended in LF without CR (hdr-bare-lf-cr)
	FlagBareCR                              // a CR not followed by LF inside the field (hdr-bare-lf-cr)
	FlagFolded                              // obs-fold continuation lines (hdr-obs-fold)
	FlagWSBeforeColon                       // whitespace between name and colon (hdr-ws-before-colon)
	FlagBadName                             // non-token bytes in the name (hdr-bad-name)
	FlagCtlValue                            // control bytes in the value (hdr-ctl-value)
	FlagNoColon                             // the line has no colon at all (hdr-bad-name)
	FlagTruncated                           // Line or Value was cut to the parser's caps
)

// Field is one header field as sent.
type Field struct {
	// Name is the field name exactly as sent (case kept), without the
	// whitespace that may precede the colon.
	Name string
	// Value is the field value with surrounding whitespace trimmed and
	// obs-fold continuations joined by one space, as RFC 9112 §5.2 says a
	// recipient may do.
	Value string
	// Line is the raw bytes of the field, continuation lines and line
	// terminators included (capped at MaxLineBytes).
	Line []byte
	// LineNo is the 1-based line number in the response head (the status
	// line is line 1).
	LineNo int
	Flags  FieldFlag
}

// Has reports whether all bits of flag are set on f.
func (f Field) Has(flag FieldFlag) bool { return f.Flags&flag == flag }

// RawResponse is an HTTP/1.x response parsed leniently from the bytes off the
// wire. It keeps what net/http normalises away: field order and case, raw
// lines, line-ending oddities, every Content-Length and Transfer-Encoding, and
// how many body bytes actually arrived.
type RawResponse struct {
	StatusLine string // the status line as sent (capped), without its terminator
	Proto      string // "HTTP/1.1"
	StatusCode int    // 0 when the status line could not be read
	Reason     string

	// Interim holds 1xx responses that preceded the final one.
	Interim []*RawResponse

	Fields        []Field
	FieldsDropped int  // fields beyond MaxFields, counted but not kept
	HeadBytes     int  // length of the head including the empty line
	HeadComplete  bool // the empty line ending the head was seen

	ContentLengths    []string // every Content-Length value, in order (comma lists split)
	TransferEncodings []string // every transfer coding, lower-cased, in order
	Chunked           bool     // the final transfer coding is chunked

	// BodyBytes is the number of bytes after the head (on the wire,
	// before de-chunking). Body is the message body after removing the
	// chunked framing (content-coding still applied), capped at MaxBodyBytes.
	BodyBytes     int64
	Body          []byte
	BodyTruncated bool
	// BodyFraming says how the body length was determined:
	// "none" (1xx/204/304/HEAD), "chunked", "content-length", "close".
	BodyFraming string
	// ExpectedLength is the Content-Length in effect (-1 when none or invalid).
	ExpectedLength int64
	// ClosedEarly is true when the framing announced more bytes than arrived
	// (a short Content-Length body or a chunked body without its last chunk).
	ClosedEarly bool
	// ExtraBytes is the number of bytes beyond the announced framing.
	ExtraBytes int64
	// Complete is true when the bytes hold the whole message as its framing
	// announced it (head, and a body framed by Content-Length or chunked
	// encoding, or no body). A body delimited by connection close is never
	// Complete: only the peer closing ends it. A capture loop can stop
	// reading once Complete is true.
	Complete bool

	// StatusFlags records line-ending oddities of the status line.
	StatusFlags FieldFlag
	// BareLFLines counts head lines (the empty line included) that ended
	// in LF without CR; BareCRs counts CRs not followed by LF in the head.
	BareLFLines, BareCRs int

	// Errors lists what the parser met that it could not make sense of,
	// in order; they are descriptions, never fatal.
	Errors []string
}

// Get returns the value of the first field named name (case-insensitive)
// and whether there was one.
func (r *RawResponse) Get(name string) (string, bool) {
	for _, f := range r.Fields {
		if equalFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// Values returns the values of every field named name (case-insensitive), in order.
func (r *RawResponse) Values(name string) []string {
	var out []string
	for _, f := range r.Fields {
		if equalFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// Options tune [Run].
type Options struct {
	// Now is the clock used when Exchange.Received is zero; nil means time.Now.
	Now func() time.Time
	// MaxDateSkew is how far the Date header may be from the local clock
	// before date-skew fires; zero means 60 seconds.
	MaxDateSkew time.Duration
	// Disable lists rule ids not to run.
	Disable []string
}
