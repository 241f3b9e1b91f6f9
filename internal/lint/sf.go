package lint

import (
	"fmt"
	"strings"
)

// Structured Field Values (RFC 8941 / RFC 9651): just enough to validate a
// Dictionary or an Item, which is how browsers read Permissions-Policy,
// Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy. A value that
// fails this parse is ignored whole by browsers.

// SFMember is one dictionary member: its key and, for a token or string
// Item value, the bare value ("" for inner lists and booleans).
type SFMember struct {
	Key   string
	Value string
	// List holds the bare items of an inner list value.
	List []string
}

type sfParser struct {
	s   string
	pos int
}

// ParseSFDictionary parses a structured-field Dictionary (RFC 8941 §4.2.2).
func ParseSFDictionary(s string) ([]SFMember, error) {
	p := &sfParser{s: strings.Trim(s, " ")}
	var out []SFMember
	if p.s == "" {
		return nil, nil
	}
	for {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		m := SFMember{Key: key}
		if p.peek() == '=' {
			p.pos++
			if p.peek() == '(' {
				m.List, err = p.innerList()
			} else {
				m.Value, err = p.item()
			}
			if err != nil {
				return nil, err
			}
		} else if err := p.params(); err != nil {
			return nil, err
		}
		if len(out) < 1000 {
			out = append(out, m)
		}
		p.ows()
		if p.pos == len(p.s) {
			return out, nil
		}
		if p.peek() != ',' {
			return nil, p.errorf("expected ',' after member %q", key)
		}
		p.pos++
		p.ows()
		if p.pos == len(p.s) {
			return nil, p.errorf("trailing comma")
		}
	}
}

// ParseSFItem parses a structured-field Item (RFC 8941 §4.2.3) and returns
// its bare value.
func ParseSFItem(s string) (string, error) {
	p := &sfParser{s: strings.Trim(s, " ")}
	v, err := p.item()
	if err != nil {
		return "", err
	}
	if p.pos != len(p.s) {
		return "", p.errorf("unexpected %q after the item", p.s[p.pos:min(len(p.s), p.pos+10)])
	}
	return v, nil
}

func (p *sfParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *sfParser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *sfParser) ows() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *sfParser) sp() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

func (p *sfParser) key() (string, error) {
	c := p.peek()
	if !(c >= 'a' && c <= 'z' || c == '*') {
		return "", p.errorf("a key must start with a lower-case letter or '*', not %q", string(rune(c)))
	}
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*') {
			break
		}
		p.pos++
	}
	return p.s[start:p.pos], nil
}

func (p *sfParser) item() (string, error) {
	v, err := p.bareItem()
	if err != nil {
		return "", err
	}
	return v, p.params()
}

func (p *sfParser) innerList() ([]string, error) {
	p.pos++ // '('
	var out []string
	for {
		p.sp()
		if p.peek() == ')' {
			p.pos++
			return out, p.params()
		}
		if p.pos >= len(p.s) {
			return nil, p.errorf("unterminated inner list")
		}
		v, err := p.item()
		if err != nil {
			return nil, err
		}
		if len(out) < 1000 {
			out = append(out, v)
		}
		if c := p.peek(); c != ' ' && c != ')' {
			return nil, p.errorf("expected ' ' or ')' in inner list")
		}
	}
}

func (p *sfParser) params() error {
	for p.peek() == ';' {
		p.pos++
		p.sp()
		if _, err := p.key(); err != nil {
			return err
		}
		if p.peek() == '=' {
			p.pos++
			if _, err := p.bareItem(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *sfParser) bareItem() (string, error) {
	c := p.peek()
	start := p.pos
	switch {
	case c == '-' || c >= '0' && c <= '9':
		p.pos++
		digits := 0
		if c != '-' {
			digits = 1
		}
		for p.pos < len(p.s) && (p.s[p.pos] >= '0' && p.s[p.pos] <= '9' || p.s[p.pos] == '.') {
			p.pos++
			digits++
		}
		if digits == 0 || digits > 20 {
			return "", p.errorf("bad number")
		}
		return p.s[start:p.pos], nil
	case c == '"':
		p.pos++
		var b strings.Builder
		for p.pos < len(p.s) {
			ch := p.s[p.pos]
			p.pos++
			switch {
			case ch == '\\':
				if p.pos >= len(p.s) || (p.s[p.pos] != '"' && p.s[p.pos] != '\\') {
					return "", p.errorf("bad escape in string")
				}
				b.WriteByte(p.s[p.pos])
				p.pos++
			case ch == '"':
				return b.String(), nil
			case ch < 0x20 || ch > 0x7e:
				return "", p.errorf("byte 0x%02x not allowed in a string", ch)
			default:
				b.WriteByte(ch)
			}
		}
		return "", p.errorf("unterminated string")
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*':
		p.pos++
		for p.pos < len(p.s) && (isTchar(p.s[p.pos]) || p.s[p.pos] == ':' || p.s[p.pos] == '/') {
			p.pos++
		}
		return p.s[start:p.pos], nil
	case c == ':':
		p.pos++
		for p.pos < len(p.s) && p.s[p.pos] != ':' {
			if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", rune(p.s[p.pos])) {
				return "", p.errorf("bad byte sequence")
			}
			p.pos++
		}
		if p.pos >= len(p.s) {
			return "", p.errorf("unterminated byte sequence")
		}
		p.pos++
		return p.s[start:p.pos], nil
	case c == '?':
		p.pos++
		if b := p.peek(); b != '0' && b != '1' {
			return "", p.errorf("bad boolean")
		}
		p.pos++
		return p.s[start:p.pos], nil
	}
	if c == 0 {
		return "", p.errorf("value missing")
	}
	return "", p.errorf("unexpected %q", string(rune(c)))
}
