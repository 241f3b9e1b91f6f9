package lint

import (
	"fmt"
	"strings"
	"time"
)

// SetCookie is one Set-Cookie line parsed as RFC 6265bis §5.6 says a user
// agent does. It is parsed from the raw field value because net/http's
// parser drops cookies it deems invalid, which are exactly the ones worth
// reporting.
type SetCookie struct {
	Name, Value string

	Secure, HTTPOnly, Partitioned bool
	SameSite                      string // as sent, "" when absent
	HasSameSite                   bool
	Domain                        string
	HasDomain                     bool
	Path                          string // "" when absent
	HasPath                       bool
	MaxAge                        int64 // seconds; valid only when HasMaxAge
	HasMaxAge                     bool
	Expires                       time.Time // valid only when HasExpires
	HasExpires                    bool

	// Ignored is non-empty when a browser ignores the whole line, and says why.
	Ignored string
}

// ParseSetCookie parses a Set-Cookie field value. It never fails; a line a
// browser would ignore has Ignored set.
func ParseSetCookie(v string) SetCookie {
	var ck SetCookie
	pair, attrs, _ := strings.Cut(v, ";")
	name, value, hasEq := strings.Cut(pair, "=")
	if !hasEq {
		// RFC 6265bis: a pair without "=" is a cookie with an empty name.
		name, value = "", name
	}
	ck.Name = strings.Trim(name, " \t")
	ck.Value = strings.Trim(value, " \t")
	if ck.Name == "" && ck.Value == "" {
		ck.Ignored = "empty name and value"
	}
	if strings.ContainsFunc(ck.Name+ck.Value, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
		ck.Ignored = "control characters in the name or value"
	}
	for a := range strings.SplitSeq(attrs, ";") {
		an, av, _ := strings.Cut(a, "=")
		an = strings.Trim(an, " \t")
		av = strings.Trim(av, " \t")
		switch strings.ToLower(an) {
		case "secure":
			ck.Secure = true
		case "httponly":
			ck.HTTPOnly = true
		case "partitioned":
			ck.Partitioned = true
		case "samesite":
			ck.SameSite, ck.HasSameSite = av, true
		case "domain":
			ck.Domain, ck.HasDomain = av, true
		case "path":
			if strings.HasPrefix(av, "/") {
				ck.Path, ck.HasPath = av, true
			} else {
				ck.Path, ck.HasPath = "", false // default-path applies
			}
		case "max-age":
			if n, ok := parseMaxAge(av); ok {
				ck.MaxAge, ck.HasMaxAge = n, true
			}
		case "expires":
			if t, ok := parseCookieDate(av); ok {
				ck.Expires, ck.HasExpires = t, true
			}
		}
	}
	return ck
}

// parseMaxAge reads a Max-Age value: an optional '-' and digits; anything
// else makes the browser ignore the attribute. Overflows saturate.
func parseMaxAge(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	if digits == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = min(n*10+int64(c-'0'), 1e15)
	}
	if neg {
		return -n, true
	}
	return n, true
}

var cookieDateLayouts = []string{
	time.RFC1123, "Mon, 02-Jan-2006 15:04:05 MST", time.RFC850, time.ANSIC,
	"Mon, 02 Jan 06 15:04:05 MST", "Mon, 2 Jan 2006 15:04:05 MST", "Mon, 02-Jan-06 15:04:05 MST",
}

// parseCookieDate accepts the date forms seen in practice. RFC 6265bis's
// algorithm is more lenient still; a date it accepts that we do not only
// means ck-400d stays silent.
func parseCookieDate(s string) (time.Time, bool) {
	if len(s) > 64 {
		return time.Time{}, false
	}
	for _, l := range cookieDateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// sessionLike reports names that look like session or login cookies.
func sessionLike(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"sess", "sid", "login", "auth", "token"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// deletes reports a cookie that is being removed (Max-Age ≤ 0 or expired).
func (ck SetCookie) deletes(now time.Time) bool {
	if ck.HasMaxAge {
		return ck.MaxAge <= 0
	}
	return ck.HasExpires && ck.Expires.Before(now)
}

type cookieRule func(c *checker, f Field, ck SetCookie)

// cookieCheck applies a per-cookie rule to every Set-Cookie field.
func cookieCheck(rule cookieRule) func(*checker) {
	return func(c *checker) {
		for _, f := range c.all("Set-Cookie") {
			ck := ParseSetCookie(f.Value)
			if ck.Ignored != "" {
				continue
			}
			rule(c, f, ck)
		}
	}
}

func cookieLabel(ck SetCookie) string {
	if ck.Name == "" {
		return "a cookie with an empty name"
	}
	return fmt.Sprintf("cookie %q", Escape(ck.Name))
}

func ckNoneInsecure(c *checker, f Field, ck SetCookie) {
	if ck.HasSameSite && strings.EqualFold(ck.SameSite, "none") && !ck.Secure {
		c.add(evidence(f), "add Secure (SameSite=None requires it), or use SameSite=Lax",
			"%s has SameSite=None without Secure: Chromium rejects it", cookieLabel(ck))
	}
}

func ckSameSiteBad(c *checker, f Field, ck SetCookie) {
	if !ck.HasSameSite {
		return
	}
	switch strings.ToLower(ck.SameSite) {
	case "strict", "lax", "none":
		return
	}
	c.add(evidence(f), "use SameSite=Lax, SameSite=Strict or SameSite=None; Secure",
		"%s has SameSite=%q, which browsers do not know: they treat it as Lax (older ones as None)", cookieLabel(ck), Escape(ck.SameSite))
}

func ckDefaultLax(c *checker, f Field, ck SetCookie) {
	if !ck.HasSameSite && !ck.deletes(c.now()) {
		c.add(evidence(f), "state SameSite=Lax (or Strict) explicitly",
			"%s has no SameSite: Chromium treats it as Lax, Safari and older browsers as None", cookieLabel(ck))
	}
}

func ckNoSecure(c *checker, f Field, ck SetCookie) {
	if ck.Secure || ck.deletes(c.now()) {
		return
	}
	if !c.https {
		// Over plain HTTP (development) Secure cannot be tested; the
		// Observatory still deducts for it, so say what to do.
		c.addSev(Info, evidence(f), "add Secure once the site is served over HTTPS (browsers accept Secure cookies from http://localhost)",
			"%s is set without Secure: over HTTPS it would leak on any plain-HTTP request, and the Observatory deducts for it", cookieLabel(ck))
		return
	}
	sev := Warn
	what := ""
	if sessionLike(ck.Name) {
		sev, what = Error, " and looks like a session cookie"
	}
	c.addSev(sev, evidence(f), "add Secure so the cookie never travels over plain HTTP",
		"%s is set over HTTPS without Secure%s: it leaks on any plain-HTTP request to the host", cookieLabel(ck), what)
}

func ckSessionHTTPOnly(c *checker, f Field, ck SetCookie) {
	if sessionLike(ck.Name) && !ck.HTTPOnly && !ck.deletes(c.now()) {
		c.add(evidence(f), "add HttpOnly so scripts (and XSS) cannot read it",
			"%s looks like a session cookie but lacks HttpOnly", cookieLabel(ck))
	}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func ckPrefixSecure(c *checker, f Field, ck SetCookie) {
	if hasPrefixFold(ck.Name, "__Secure-") && !ck.Secure {
		c.add(evidence(f), "add Secure (and set the cookie over HTTPS)",
			"%s uses the __Secure- prefix without Secure: browsers reject it", cookieLabel(ck))
	}
}

func ckPrefixHost(c *checker, f Field, ck SetCookie) {
	if !hasPrefixFold(ck.Name, "__Host-") {
		return
	}
	var why []string
	if !ck.Secure {
		why = append(why, "no Secure")
	}
	if ck.HasDomain {
		why = append(why, "a Domain attribute")
	}
	if !ck.HasPath || ck.Path != "/" {
		why = append(why, "Path not /")
	}
	if len(why) > 0 {
		c.add(evidence(f), "set __Host- cookies with Secure; Path=/ and no Domain",
			"%s uses the __Host- prefix with %s: browsers reject it", cookieLabel(ck), strings.Join(why, ", "))
	}
}

func ckSize(c *checker, f Field, ck SetCookie) {
	if n := len(ck.Name) + len(ck.Value); n > 4096 {
		c.add(evidence(f), "keep name+value under 4096 bytes; store large data server-side",
			"%s is %d bytes (name+value): browsers ignore cookies over 4096", cookieLabel(ck), n)
	}
}

const fourHundredDays = 400 * 24 * time.Hour

func ck400d(c *checker, f Field, ck SetCookie) {
	switch {
	case ck.HasMaxAge && ck.MaxAge > int64(fourHundredDays/time.Second):
		c.add(evidence(f), "use a lifetime of at most 400 days (Max-Age=34560000) and refresh it",
			"%s has Max-Age %d s: browsers cap lifetimes at 400 days", cookieLabel(ck), ck.MaxAge)
	case !ck.HasMaxAge && ck.HasExpires && ck.Expires.Sub(c.now()) > fourHundredDays:
		c.add(evidence(f), "use a lifetime of at most 400 days and refresh it",
			"%s expires %s, more than 400 days away: browsers cap it at 400 days", cookieLabel(ck), ck.Expires.UTC().Format(time.DateOnly))
	}
}

func ckPartitioned(c *checker, f Field, ck SetCookie) {
	if ck.Partitioned && !ck.Secure {
		c.add(evidence(f), "add Secure to partitioned cookies",
			"%s is Partitioned without Secure: browsers ignore it", cookieLabel(ck))
	}
}

func checkCookieCacheable(c *checker) {
	cookies := c.all("Set-Cookie")
	if len(cookies) == 0 {
		return
	}
	cc := ParseCacheControl(joinedValues(c.fields, "Cache-Control"))
	if cc.Has("private") || cc.Has("no-store") {
		return
	}
	if v, ok := cc.Get("no-cache"); ok && (v == "" || strings.Contains(strings.ToLower(v), "set-cookie")) {
		return
	}
	if !cc.Has("public") && !cc.Has("s-maxage") {
		return
	}
	f, _ := c.first("Cache-Control")
	c.add(evidence(f)+" | "+evidence(cookies[0]), "mark responses that set cookies Cache-Control: private (or no-store)",
		"a shared cache may store this response with its Set-Cookie and hand the cookie to other users")
}
