package lint

import (
	"path"
	"strings"
)

// MediaType is a Content-Type value split the way the WHATWG MIME Sniffing
// standard's "parse a MIME type" reads it, keeping what it drops.
type MediaType struct {
	Essence string            // "text/html", lower-cased; "" when unparsable
	Params  map[string]string // parameters the WHATWG parser keeps (names lower-cased)
	// Dropped lists parameters the WHATWG parser discards because of
	// whitespace around "=" (the parameter name or value is then not a token).
	Dropped []string
	// SpaceBeforeSemi is true when whitespace precedes a ";" (valid).
	SpaceBeforeSemi bool
}

// ParseMediaType parses a Content-Type value leniently. It never fails: an
// unparsable value yields an empty Essence.
func ParseMediaType(v string) MediaType {
	mt := MediaType{Params: map[string]string{}}
	parts := splitQuoted(v, ';')
	essence := parts[0]
	if strings.TrimRight(essence, " \t") != essence && len(parts) > 1 {
		mt.SpaceBeforeSemi = true
	}
	essence = strings.ToLower(strings.Trim(essence, " \t"))
	typ, sub, ok := strings.Cut(essence, "/")
	if ok && isTokenString(typ) && isTokenString(sub) {
		mt.Essence = essence
	}
	for i, p := range parts[1:] {
		if i+2 < len(parts) && strings.TrimRight(p, " \t") != p {
			mt.SpaceBeforeSemi = true
		}
		p = strings.TrimLeft(p, " \t")
		name, value, hasEq := strings.Cut(p, "=")
		if !hasEq {
			continue
		}
		if strings.TrimRight(name, " \t") != name || strings.TrimLeft(value, " \t") != value {
			mt.Dropped = append(mt.Dropped, strings.TrimSpace(p))
			continue
		}
		name = strings.ToLower(name)
		value = strings.TrimRight(value, " \t")
		if strings.HasPrefix(value, `"`) {
			value = unquote(value)
		}
		if !isTokenString(name) {
			continue
		}
		if _, seen := mt.Params[name]; !seen {
			mt.Params[name] = value
		}
	}
	return mt
}

// rawDirective is one "name[=value]" member of a directive list such as
// Cache-Control or Strict-Transport-Security: name lower-cased, both trimmed
// of spaces and tabs, value still quoted if it was.
type rawDirective struct {
	name, value string
	hasValue    bool
}

// splitDirectives splits a directive list at sep (outside quoted strings),
// skipping empty members.
func splitDirectives(v string, sep byte) []rawDirective {
	var out []rawDirective
	for _, part := range splitQuoted(v, sep) {
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		name, value, hasValue := strings.Cut(part, "=")
		out = append(out, rawDirective{
			name:     strings.ToLower(strings.Trim(name, " \t")),
			value:    strings.Trim(value, " \t"),
			hasValue: hasValue,
		})
	}
	return out
}

// splitQuoted splits s on sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			inQuote = !inQuote
		case c == '\\' && inQuote:
			i++
		case c == sep && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote removes the quotes and backslash escapes of a quoted-string,
// leniently (an unterminated string runs to the end).
func unquote(s string) string {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String()
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func (c *checker) hasBody() bool {
	st := c.ex.status()
	if c.ex.method() == "HEAD" || st == 204 || st == 304 || (st >= 100 && st < 200) {
		return false
	}
	body, _ := c.ex.body()
	if len(body) > 0 {
		return true
	}
	if c.ex.Raw != nil && c.ex.Raw.ExpectedLength > 0 {
		return true
	}
	return false
}

func checkCTMissing(c *checker) {
	if _, ok := c.first("Content-Type"); ok || !c.hasBody() {
		return
	}
	c.add("", "set Content-Type on every response with a body (e.g. text/html; charset=utf-8)",
		"the response has a body but no Content-Type: browsers sniff it, which can turn data into script")
}

func checkCTParamWSEq(c *checker) {
	for _, f := range c.all("Content-Type") {
		for _, d := range ParseMediaType(f.Value).Dropped {
			c.add(evidence(f), "write parameters with no whitespace around =, e.g. charset=utf-8",
				"parameter %q has whitespace around \"=\": browsers drop it (a dropped charset means the encoding is sniffed)", Escape(d))
		}
	}
}

func checkCTWSBeforeSemi(c *checker) {
	for _, f := range c.all("Content-Type") {
		if ParseMediaType(f.Value).SpaceBeforeSemi {
			c.add(evidence(f), "nothing to fix; optionally write it without the space",
				"whitespace before \";\" is valid (RFC 9110 allows OWS there) and browsers read it fine")
		}
	}
}

func checkCTNoCharset(c *checker) {
	f, ok := c.first("Content-Type")
	if !ok || !c.hasBody() {
		return
	}
	mt := ParseMediaType(f.Value)
	if !strings.HasPrefix(mt.Essence, "text/") {
		return
	}
	if _, ok := mt.Params["charset"]; ok {
		return
	}
	c.add(evidence(f), "add ; charset=utf-8",
		"%s without a charset: the browser guesses the encoding (and a guess of UTF-7 or windows-1252 can turn bytes into markup)", mt.Essence)
}

// nosniffValue returns the first X-Content-Type-Options value as Fetch's
// "determine nosniff" reads it, and whether nosniff is in effect.
func nosniffValue(fields []Field) (string, bool, bool) {
	fs := fieldsNamed(fields, "X-Content-Type-Options")
	if len(fs) == 0 {
		return "", false, false
	}
	first, _, _ := strings.Cut(fs[0].Value, ",")
	first = strings.Trim(first, " \t")
	return first, true, strings.EqualFold(first, "nosniff")
}

func checkXCTO(c *checker) {
	v, present, ok := nosniffValue(c.fields)
	switch {
	case !present:
		c.add("", "add X-Content-Type-Options: nosniff",
			"X-Content-Type-Options is missing: browsers may sniff the body into another type")
	case !ok:
		f, _ := c.first("X-Content-Type-Options")
		c.add(evidence(f), "set X-Content-Type-Options: nosniff (exactly that value, once)",
			"X-Content-Type-Options first value is %q, not nosniff: it has no effect", Escape(v))
	}
}

var javaScriptMIME = map[string]bool{
	"application/ecmascript": true, "application/javascript": true, "application/x-ecmascript": true,
	"application/x-javascript": true, "text/ecmascript": true, "text/javascript": true,
	"text/javascript1.0": true, "text/javascript1.1": true, "text/javascript1.2": true,
	"text/javascript1.3": true, "text/javascript1.4": true, "text/javascript1.5": true,
	"text/jscript": true, "text/livescript": true, "text/x-ecmascript": true, "text/x-javascript": true,
}

// destination guesses the request destination: Sec-Fetch-Dest when the probe
// sent one, else the URL's extension.
func destination(ex *Exchange) string {
	if d := strings.ToLower(ex.RequestHeader.Get("Sec-Fetch-Dest")); d != "" {
		return d
	}
	if ex.URL == nil {
		return ""
	}
	switch strings.ToLower(path.Ext(ex.URL.Path)) {
	case ".js", ".mjs", ".cjs":
		return "script"
	case ".css":
		return "style"
	}
	return ""
}

func checkNosniffBlock(c *checker) {
	if _, _, on := nosniffValue(c.fields); !on {
		return
	}
	dest := destination(c.ex)
	if dest != "script" && dest != "style" {
		return
	}
	ct, _ := c.first("Content-Type")
	mt := ParseMediaType(ct.Value)
	switch {
	case dest == "script" && !javaScriptMIME[mt.Essence]:
		c.add(evidence(ct), "serve scripts as text/javascript; charset=utf-8",
			"this looks like a script but its type is %q: under nosniff the browser refuses to run it", Escape(mt.Essence))
	case dest == "style" && mt.Essence != "text/css":
		c.add(evidence(ct), "serve stylesheets as text/css; charset=utf-8",
			"this looks like a stylesheet but its type is %q: under nosniff the browser refuses to apply it", Escape(mt.Essence))
	}
}
