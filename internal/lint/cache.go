package lint

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// CCDirective is one Cache-Control directive.
type CCDirective struct {
	Name     string // lower-cased
	Value    string // unquoted
	HasValue bool
}

// CacheControl is a parsed Cache-Control field (RFC 9111 §5.2).
type CacheControl struct {
	Directives []CCDirective
	// Duplicates names directives that appear more than once; RFC 9111
	// leaves their meaning undefined and caches differ.
	Duplicates []string
}

// maxCCDirectives bounds a hostile field.
const maxCCDirectives = 1000

// ParseCacheControl parses the combined value of every Cache-Control field
// (join them with ", "). It never fails; junk becomes unknown directives.
func ParseCacheControl(v string) CacheControl {
	var cc CacheControl
	seen := map[string]bool{}
	for _, d := range splitDirectives(v, ',') {
		name, value, hasValue := d.name, d.value, d.hasValue
		if strings.HasPrefix(value, `"`) {
			value = unquote(value)
		}
		if seen[name] {
			if !slices.Contains(cc.Duplicates, name) {
				cc.Duplicates = append(cc.Duplicates, name)
			}
			continue
		}
		if len(cc.Directives) >= maxCCDirectives {
			break
		}
		seen[name] = true
		cc.Directives = append(cc.Directives, CCDirective{Name: name, Value: value, HasValue: hasValue})
	}
	return cc
}

// Get returns the value of the first directive named name (lower case).
func (cc CacheControl) Get(name string) (string, bool) {
	for _, d := range cc.Directives {
		if d.Name == name {
			return d.Value, true
		}
	}
	return "", false
}

// Has reports whether the directive name (lower case) is present.
func (cc CacheControl) Has(name string) bool {
	_, ok := cc.Get(name)
	return ok
}

func joinedValues(fields []Field, name string) string {
	var vals []string
	for _, f := range fieldsNamed(fields, name) {
		vals = append(vals, f.Value)
	}
	return strings.Join(vals, ", ")
}

func checkCCConflict(c *checker) {
	fs := c.all("Cache-Control")
	if len(fs) == 0 {
		return
	}
	cc := ParseCacheControl(joinedValues(c.fields, "Cache-Control"))
	var why []string
	if cc.Has("no-store") {
		for _, d := range []string{"max-age", "s-maxage", "public", "immutable"} {
			if cc.Has(d) {
				why = append(why, "no-store with "+d)
			}
		}
	}
	if cc.Has("private") && cc.Has("public") {
		why = append(why, "private with public")
	}
	for _, d := range cc.Duplicates {
		why = append(why, d+" repeated")
	}
	if len(why) > 0 {
		c.add(joinEvidence(fs), "send one consistent Cache-Control (e.g. no-store alone, or public, max-age=N)",
			"Cache-Control contradicts itself (%s): caches resolve it differently", Escape(strings.Join(why, "; ")))
	}
}

func varyList(fields []Field) []string { return listValues(fields, "Vary") }

func checkVaryStar(c *checker) {
	if slices.Contains(varyList(c.fields), "*") {
		f, _ := c.first("Vary")
		c.add(evidence(f), "list the request headers that select the response instead of *",
			"Vary: * makes the response uncacheable for every cache")
	}
}

func checkVaryUA(c *checker) {
	if slices.ContainsFunc(varyList(c.fields), func(v string) bool { return strings.EqualFold(v, "User-Agent") }) {
		f, _ := c.first("Vary")
		c.add(evidence(f), "vary on Sec-CH-UA client hints or on nothing, not on User-Agent",
			"Vary: User-Agent splits the cache per browser build: hit rates collapse")
	}
}

func checkVaryConneg(c *checker) {
	ce := listValues(c.fields, "Content-Encoding")
	if len(ce) > 0 && !(len(ce) == 1 && strings.EqualFold(ce[0], "identity")) && !varyHas(c.fields, "Accept-Encoding") {
		f, _ := c.first("Content-Encoding")
		c.add(evidence(f), "add Vary: Accept-Encoding to compressed responses",
			"the response is compressed but Vary lacks Accept-Encoding: a cache can serve the compressed bytes to a client that cannot decode them")
	}
	if c.ex.Active == nil {
		return
	}
	for _, v := range c.ex.Active.Variants {
		if v.Exchange == nil || v.Exchange.status() != c.ex.status() || varyHas(c.fields, v.Header) {
			continue
		}
		vf, _ := fieldsOf(v.Exchange)
		var changed []string
		for _, h := range []string{"Content-Type", "Content-Language", "Content-Encoding"} {
			if a, b := joinedValues(c.fields, h), joinedValues(vf, h); a != b {
				changed = append(changed, fmt.Sprintf("%s %q → %q", h, Escape(a), Escape(b)))
			}
		}
		fix := "add Vary: " + v.Header + " to responses chosen by " + v.Header
		if len(changed) > 0 {
			c.add(v.Header+": "+Escape(v.Value), fix,
				"with %s: %s the response changes (%s) but Vary lacks %s: caches mix the variants",
				v.Header, Escape(v.Value), strings.Join(changed, "; "), v.Header)
			continue
		}
		b1, _ := c.ex.body()
		b2, _ := v.Exchange.body()
		if !bytes.Equal(b1, b2) && !bytes.Equal(maskNonces(b1), maskNonces(b2)) {
			c.addSev(Info, v.Header+": "+Escape(v.Value), fix+" if the content is negotiated",
				"with %s: %s the body differs (%d vs %d bytes) but Vary lacks %s; dynamic content changes bodies too, so check", v.Header, Escape(v.Value), len(b1), len(b2), v.Header)
		}
	}
}

// nonceLike matches runs of base64, base64url or hex characters long
// enough to be a per-request value (a CSP nonce, a CSRF token, a request
// id); nonceToken decides which of them are.
var nonceLike = regexp.MustCompile(`[A-Za-z0-9+/_=-]{16,}`)

// maskNonces replaces per-request tokens in a body with a fixed mark, so
// two answers that differ only by a fresh nonce or CSRF token compare
// equal: such a body is dynamic, not negotiated.
func maskNonces(b []byte) []byte {
	return nonceLike.ReplaceAllFunc(b, func(tok []byte) []byte {
		if nonceToken(tok) {
			return []byte("\x00nonce\x00")
		}
		return tok
	})
}

// nonceToken reports whether tok looks random rather than like a word or a
// path: it holds a digit, or both upper- and lower-case letters. A long
// word ("internationalization") or a lower-case slug has neither.
func nonceToken(tok []byte) bool {
	var digit, upper, lower bool
	for _, c := range tok {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		}
	}
	return digit || (upper && lower)
}

func checkExpires(c *checker) {
	f, ok := c.first("Expires")
	if !ok {
		return
	}
	if _, err := http.ParseTime(strings.TrimSpace(f.Value)); err != nil {
		c.add(evidence(f), "send an HTTP-date (Expires: Wed, 21 Oct 2026 07:28:00 GMT) or use Cache-Control: max-age / no-cache",
			"Expires %q is not an HTTP-date: caches treat the response as already stale", Escape(f.Value))
	}
}

// validETag matches entity-tag = [ W/ ] DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3).
func validETag(v string) bool {
	v = strings.TrimPrefix(v, "W/")
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return false
	}
	for i := 1; i < len(v)-1; i++ {
		c := v[i]
		if c == '"' || c < 0x21 || c == 0x7f {
			return false
		}
	}
	return true
}

func checkETag(c *checker) {
	for _, f := range c.all("ETag") {
		if !validETag(strings.TrimSpace(f.Value)) {
			c.add(evidence(f), `quote the tag: ETag: "`+strings.Trim(Escape(f.Value), `"`)+`"`,
				"ETag %q is not a quoted entity-tag: conditional requests (If-None-Match) may never match", Escape(f.Value))
		}
	}
}

func checkDateSkew(c *checker) {
	f, ok := c.first("Date")
	if !ok {
		return
	}
	d, err := http.ParseTime(strings.TrimSpace(f.Value))
	if err != nil {
		c.add(evidence(f), "send Date as an IMF-fixdate in GMT (net/http does this for you)",
			"Date is not an HTTP-date: caches compute the age of the response wrongly")
		return
	}
	limit := c.opts.MaxDateSkew
	if limit <= 0 {
		limit = time.Minute
	}
	skew := d.Sub(c.now())
	if skew > limit || -skew > limit {
		c.add(evidence(f), "synchronise the server clock (NTP)",
			"Date is %s the local clock: freshness and cookie expiry computed from it are off too", describeSkew(skew))
	}
}

// describeSkew says "3 days behind" or "2m5s ahead of".
func describeSkew(d time.Duration) string {
	dir := "ahead of"
	if d < 0 {
		d, dir = -d, "behind"
	}
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days %s", int(d/(24*time.Hour)), dir)
	}
	return d.Round(time.Second).String() + " " + dir
}
