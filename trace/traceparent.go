package trace

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// TraceID is the 16-byte id shared by every span of one trace.
type TraceID [16]byte

// SpanID is the 8-byte id of one span (the "parent-id" field of traceparent
// names the caller's span).
type SpanID [8]byte

// Flags are the trace-flags of traceparent (W3C Trace Context §3.2.2.5).
type Flags byte

const (
	// FlagSampled means the caller may have recorded the trace.
	FlagSampled Flags = 0x01
	// FlagRandom means the trace id's right-most 7 bytes are random
	// (Trace Context level 2, §3.2.2.5.2).
	FlagRandom Flags = 0x02
)

// IsZero reports whether every byte is zero; the all-zero trace id is
// invalid (§3.2.2.3).
func (t TraceID) IsZero() bool { return t == TraceID{} }

// String returns the 32 lowercase hex digits.
func (t TraceID) String() string { return hex.EncodeToString(t[:]) }

// IsZero reports whether every byte is zero; the all-zero parent id is
// invalid (§3.2.2.4).
func (s SpanID) IsZero() bool { return s == SpanID{} }

// String returns the 16 lowercase hex digits.
func (s SpanID) String() string { return hex.EncodeToString(s[:]) }

// Traceparent is a parsed traceparent header.
type Traceparent struct {
	// Version is the header's version byte; this package writes only 00.
	Version byte
	// TraceID identifies the whole trace.
	TraceID TraceID
	// ParentID is the caller's span id.
	ParentID SpanID
	// Flags are the caller's trace flags.
	Flags Flags
}

// Length of a version-00 traceparent: "00-" + 32 + "-" + 16 + "-" + 2.
const traceparentLen = 55

// ErrInvalidTraceparent is wrapped by every error [ParseTraceparent] returns,
// so callers can test with errors.Is without matching text.
var ErrInvalidTraceparent = errors.New("invalid traceparent header")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s (W3C Trace Context §3.2: version-traceid-parentid-flags in lowercase hex, e.g. 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01)",
		ErrInvalidTraceparent, fmt.Sprintf(format, args...))
}

// ParseTraceparent parses a traceparent header value following W3C Trace
// Context §3.2 and §4.3 (versioning):
//
//   - version 00 must be exactly 55 characters;
//   - a higher version (01–fe) must be at least 55 characters and anything
//     after the flags must start with '-', so future fields are skipped;
//   - version ff, uppercase hex, and all-zero trace or parent ids are
//     rejected.
//
// The error never echoes the input, since the input is attacker-controlled
// and may end up in logs.
func ParseTraceparent(s string) (Traceparent, error) {
	var tp Traceparent
	if len(s) < traceparentLen {
		return tp, invalid("%d characters, need %d", len(s), traceparentLen)
	}
	v, ok := hexByte(s[0], s[1])
	if !ok {
		return tp, invalid("version is not two lowercase hex digits")
	}
	if v == 0xff {
		return tp, invalid("version ff is forbidden")
	}
	if v == 0 && len(s) != traceparentLen {
		return tp, invalid("version 00 must be exactly %d characters, got %d", traceparentLen, len(s))
	}
	if v != 0 && len(s) > traceparentLen && s[traceparentLen] != '-' {
		return tp, invalid("fields after the flags must be separated by '-'")
	}
	if s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return tp, invalid("fields must be separated by '-' at positions 3, 36 and 53")
	}
	tp.Version = v
	if !decodeLowerHex(tp.TraceID[:], s[3:35]) {
		return tp, invalid("trace-id is not 32 lowercase hex digits")
	}
	if !decodeLowerHex(tp.ParentID[:], s[36:52]) {
		return tp, invalid("parent-id is not 16 lowercase hex digits")
	}
	f, ok := hexByte(s[53], s[54])
	if !ok {
		return tp, invalid("trace-flags is not two lowercase hex digits")
	}
	tp.Flags = Flags(f)
	if tp.TraceID.IsZero() {
		return tp, invalid("trace-id is all zeros")
	}
	if tp.ParentID.IsZero() {
		return tp, invalid("parent-id is all zeros")
	}
	return tp, nil
}

// String formats the header as version 00, the only version this package
// speaks; §4.3 asks a system that received a higher version to propagate
// the version it understands.
func (tp Traceparent) String() string {
	var b [traceparentLen]byte
	return string(appendTraceparent(b[:0], tp.TraceID, tp.ParentID, tp.Flags))
}

func appendTraceparent(b []byte, t TraceID, s SpanID, f Flags) []byte {
	b = append(b, '0', '0', '-')
	b = hex.AppendEncode(b, t[:])
	b = append(b, '-')
	b = hex.AppendEncode(b, s[:])
	b = append(b, '-')
	return hex.AppendEncode(b, []byte{byte(f)})
}

// NewTraceID returns a random trace id from crypto/rand. It is never zero.
func NewTraceID() TraceID {
	var t TraceID
	for t.IsZero() {
		_, _ = rand.Read(t[:]) // crypto/rand.Read never returns an error (Go 1.24+).
	}
	return t
}

// NewSpanID returns a random span id from crypto/rand. It is never zero.
func NewSpanID() SpanID {
	var s SpanID
	for s.IsZero() {
		_, _ = rand.Read(s[:])
	}
	return s
}

// fromHex maps a lowercase hex digit to its value, everything else to 0xff.
// Uppercase is rejected on purpose: §3.2.2.3 says lowercase only.
func fromHex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return 0xff
}

func hexByte(hi, lo byte) (byte, bool) {
	h, l := fromHex(hi), fromHex(lo)
	if h == 0xff || l == 0xff {
		return 0, false
	}
	return h<<4 | l, true
}

func decodeLowerHex(dst []byte, s string) bool {
	for i := range dst {
		b, ok := hexByte(s[2*i], s[2*i+1])
		if !ok {
			return false
		}
		dst[i] = b
	}
	return true
}
