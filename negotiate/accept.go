package negotiate

import (
	"strconv"
	"strings"
)

// MaxRanges caps how many valid members of Accept are considered. Browsers
// send fewer than ten; the cap bounds the work a hostile header can cause
// (every offer is compared with every range). Members past the cap are
// ignored, in header order.
const MaxRanges = 256

// maxParams caps the parameters of one media range; a member with more is
// malformed and skipped.
const maxParams = 32

// Param is one media type parameter (RFC 9110 §5.6.6). Name is lower-case;
// Value is unquoted.
type Param struct {
	Name, Value string
}

// MediaRange is one member of an Accept header (RFC 9110 §12.5.1): a media
// type or a wildcard range, its parameters, and its weight.
type MediaRange struct {
	// Type and Subtype are lower-case; "*" is a wildcard ("*/*" or "text/*").
	Type, Subtype string
	// Params are the media type parameters in header order, without "q"
	// and without the accept-ext parameters that follow "q".
	Params []Param
	// Q is the weight, 0 to 1 with at most three decimals (RFC 9110 §12.4.2);
	// 1 when absent. 0 means "not acceptable".
	Q float64
}

// String formats m as an Accept member, e.g. `text/html;level=1;q=0.5`.
func (m MediaRange) String() string {
	var b strings.Builder
	b.WriteString(m.Type)
	b.WriteByte('/')
	b.WriteString(m.Subtype)
	for _, p := range m.Params {
		b.WriteByte(';')
		b.WriteString(p.Name)
		b.WriteByte('=')
		b.WriteString(quoteIfNeeded(p.Value))
	}
	if m.Q != 1 {
		b.WriteString(";q=")
		b.WriteString(strconv.FormatFloat(m.Q, 'f', -1, 64))
	}
	return b.String()
}

// Param returns the value of the parameter name (lower-case) and whether it
// is present.
func (m MediaRange) Param(name string) (string, bool) {
	for _, p := range m.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// ParseAccept parses every field line of an Accept header (pass
// r.Header.Values("Accept"): a request may split the list over several lines,
// RFC 9110 §5.3) into media ranges, in header order.
//
// It is lenient in the way RFC 9110 §5.6.1 asks of list recipients: empty
// members are ignored, and a malformed member is skipped without affecting
// the others. Malformed means: not type/subtype tokens, "*/subtype", a
// control byte outside a quoted string, an unterminated quoted string (which
// swallows the rest of its line), a repeated parameter, more than 32
// parameters, or an invalid weight — "q" must be 0 to 1 with at most three
// decimals, so q=1.0001, q=2, q=-1 and q=.5 make the member invalid. Parameters
// after q (RFC 7231 accept-ext) are ignored. At most [MaxRanges] members are
// returned.
func ParseAccept(lines []string) []MediaRange {
	var ranges []MediaRange
	for _, line := range lines {
		for len(line) > 0 && len(ranges) < MaxRanges {
			var member string
			member, line = nextMember(line)
			if m, ok := parseMediaRange(member, true); ok {
				ranges = append(ranges, m)
			}
		}
	}
	return ranges
}

// nextMember splits off the first comma-separated member of a list,
// ignoring commas inside quoted strings.
func nextMember(s string) (member, rest string) {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++ // skip the escaped byte, whatever it is
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// parseMediaRange parses one list member. With weights false (an offer, not
// an Accept member) a "q" parameter is an error and wildcards are refused.
func parseMediaRange(s string, weights bool) (MediaRange, bool) {
	s = trimOWS(s)
	if s == "" {
		return MediaRange{}, false
	}
	m := MediaRange{Q: 1}
	var ok bool
	if m.Type, s, ok = cutToken(s); !ok || len(s) == 0 || s[0] != '/' {
		return MediaRange{}, false
	}
	if m.Subtype, s, ok = cutToken(s[1:]); !ok {
		return MediaRange{}, false
	}
	m.Type, m.Subtype = strings.ToLower(m.Type), strings.ToLower(m.Subtype)
	if m.Type == "*" && m.Subtype != "*" {
		return MediaRange{}, false // "*/html" is not a range (RFC 9110 §12.5.1)
	}
	if !weights && (m.Type == "*" || m.Subtype == "*") {
		return MediaRange{}, false
	}
	seenQ := false
	for {
		s = trimLeftOWS(s)
		if s == "" {
			return m, true
		}
		if s[0] != ';' {
			return MediaRange{}, false
		}
		s = trimLeftOWS(s[1:])
		if s == "" || s[0] == ';' {
			continue // empty parameter: parameters = *( OWS ";" OWS [ parameter ] )
		}
		var name, value string
		if name, s, ok = cutToken(s); !ok || len(s) == 0 || s[0] != '=' {
			return MediaRange{}, false
		}
		name = strings.ToLower(name)
		s = s[1:]
		quoted := len(s) > 0 && s[0] == '"'
		if quoted {
			value, s, ok = cutQuotedString(s)
		} else {
			value, s, ok = cutToken(s)
		}
		if !ok {
			return MediaRange{}, false
		}
		switch {
		case seenQ:
			// accept-ext after the weight: syntax checked above, meaning ignored.
		case name == "q" && weights:
			milli, valid := parseQValue(value)
			if quoted || !valid {
				return MediaRange{}, false
			}
			m.Q = float64(milli) / 1000
			seenQ = true
		case name == "q":
			return MediaRange{}, false
		default:
			if _, dup := m.Param(name); dup || len(m.Params) == maxParams {
				return MediaRange{}, false
			}
			m.Params = append(m.Params, Param{Name: name, Value: value})
		}
	}
}

// parseQValue parses a qvalue (RFC 9110 §12.4.2) into thousandths:
//
//	qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
func parseQValue(s string) (int, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	whole := int(s[0] - '0')
	frac := s[1:]
	if frac == "" {
		return whole * 1000, true
	}
	if frac[0] != '.' {
		return 0, false
	}
	frac = frac[1:]
	milli := 0
	for i := range 3 {
		milli *= 10
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' || (whole == 1 && c != '0') {
				return 0, false
			}
			milli += int(c - '0')
		}
	}
	return whole*1000 + milli, true
}

// tchar reports whether c may appear in a token (RFC 9110 §5.6.2).
func tchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// cutToken splits a non-empty token off the front of s.
func cutToken(s string) (token, rest string, ok bool) {
	i := 0
	for i < len(s) && tchar(s[i]) {
		i++
	}
	return s[:i], s[i:], i > 0
}

// cutQuotedString splits a quoted-string (RFC 9110 §5.6.4) off the front of
// s, which starts with '"', and returns its unescaped content.
func cutQuotedString(s string) (value, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), s[i+1:], true
		case c == '\\':
			// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
			if i+1 == len(s) || !qdtextOrQuote(s[i+1]) {
				return "", "", false
			}
			i++
			b.WriteByte(s[i])
		case qdtextOrQuote(c):
			b.WriteByte(c)
		default:
			return "", "", false // control byte
		}
	}
	return "", "", false // unterminated
}

// qdtextOrQuote reports whether c is HTAB, SP, VCHAR or obs-text: everything
// but controls and DEL.
func qdtextOrQuote(c byte) bool {
	return c == '\t' || (c >= 0x20 && c != 0x7f)
}

func quoteIfNeeded(v string) string {
	if v != "" {
		if _, rest, ok := cutToken(v); ok && rest == "" {
			return v
		}
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}

func trimLeftOWS(s string) string {
	return strings.TrimLeft(s, " \t")
}

func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}
