package lint

import (
	"fmt"
	"net/url"
	"strings"
)

// HSTS is a parsed Strict-Transport-Security value (RFC 6797 §6.1).
type HSTS struct {
	MaxAge            int64 // seconds, saturating at 1e15
	HasMaxAge         bool
	IncludeSubDomains bool
	Preload           bool
	// Err is non-empty when browsers ignore the whole header, and says why.
	Err string
}

// hstsShort is golocal's threshold: 180 days. The Observatory uses
// 15768000 (182.5 days).
const hstsShort = 15552000

// ParseHSTS parses a Strict-Transport-Security field value. It never fails;
// a value browsers ignore has Err set.
func ParseHSTS(v string) HSTS {
	var h HSTS
	seen := map[string]bool{}
	for _, d := range splitDirectives(v, ';') {
		name, value, hasValue := d.name, d.value, d.hasValue
		if !isTokenString(name) {
			h.Err = fmt.Sprintf("directive %q is not a token", Escape(name))
			return h
		}
		if seen[name] {
			h.Err = fmt.Sprintf("directive %s appears twice", name)
			return h
		}
		seen[name] = true
		if strings.HasPrefix(value, `"`) {
			if len(value) < 2 || !strings.HasSuffix(value, `"`) {
				h.Err = fmt.Sprintf("unterminated quoted value in %s", name)
				return h
			}
			value = unquote(value)
		} else if hasValue && value != "" && !isTokenString(value) {
			h.Err = fmt.Sprintf("value of %s is not a token", name)
			return h
		}
		switch name {
		case "max-age":
			n, ok := parseLength(value)
			if !ok && len(value) > 18 && strings.Trim(value, "0123456789") == "" {
				n, ok = 1e15, true // huge but digits: saturate
			}
			if !ok {
				h.Err = fmt.Sprintf("max-age %q is not a number of seconds", Escape(value))
				return h
			}
			h.MaxAge, h.HasMaxAge = n, true
		case "includesubdomains":
			h.IncludeSubDomains = true
		case "preload":
			h.Preload = true
		}
	}
	if !h.HasMaxAge {
		h.Err = "max-age is missing"
	}
	return h
}

func checkHSTSHTTP(c *checker) {
	if c.https {
		return
	}
	if f, ok := c.first("Strict-Transport-Security"); ok {
		c.add(evidence(f), "send Strict-Transport-Security only on HTTPS responses",
			"HSTS over plain HTTP is ignored by browsers (an attacker could inject or strip it)")
	}
}

func checkHSTSInvalid(c *checker) {
	fs := c.all("Strict-Transport-Security")
	if len(fs) == 0 {
		return
	}
	if h := ParseHSTS(fs[0].Value); h.Err != "" {
		c.add(evidence(fs[0]), "send Strict-Transport-Security: max-age=31536000; includeSubDomains",
			"Strict-Transport-Security is ignored: %s", h.Err)
	}
}

func checkHSTSMulti(c *checker) {
	if fs := c.all("Strict-Transport-Security"); len(fs) > 1 {
		c.add(joinEvidence(fs), "send Strict-Transport-Security once",
			"Strict-Transport-Security is sent %d times: only the first is processed", len(fs))
	}
}

func checkHSTSShort(c *checker) {
	f, ok := c.first("Strict-Transport-Security")
	if !ok {
		return
	}
	if h := ParseHSTS(f.Value); h.Err == "" && h.MaxAge < hstsShort {
		c.add(evidence(f), "raise max-age to at least 15552000 (180 days), ideally 31536000",
			"HSTS max-age is %d s, under 180 days: protection lapses between visits", h.MaxAge)
	}
}

// checkHSTSSixMonths covers the gap between hsts-short (180 days) and the
// Observatory's six months (182.5 days), where only the score loses points.
func checkHSTSSixMonths(c *checker) {
	f, ok := c.first("Strict-Transport-Security")
	if !ok {
		return
	}
	if h := ParseHSTS(f.Value); h.Err == "" && h.MaxAge >= hstsShort && h.MaxAge < observatoryHSTSSixMonths {
		c.add(evidence(f), "raise max-age to at least 15768000, ideally 31536000",
			"HSTS max-age is %d s: at least 180 days, but under the Observatory's six months (15768000 s), so its score loses 10", h.MaxAge)
	}
}

func checkHTTPSMissing(c *checker) {
	if c.https {
		return
	}
	what := ""
	if isLoopbackHost(hostname(c.ex)) {
		what = " (normal in development)"
	}
	c.add("", "serve over HTTPS in production, redirect http:// to it, and probe the deployed https:// URL for the grade users will see",
		"the response came over plain HTTP%s: the Observatory's HSTS (−20) and redirection (−20) tests cannot pass", what)
}

func checkHSTSMissing(c *checker) {
	if _, ok := c.first("Strict-Transport-Security"); !ok {
		c.add("", "add Strict-Transport-Security: max-age=31536000; includeSubDomains",
			"no Strict-Transport-Security over HTTPS: the first plain-HTTP request can be intercepted")
	}
}

func checkHSTSPreload(c *checker) {
	f, ok := c.first("Strict-Transport-Security")
	if !ok {
		return
	}
	h := ParseHSTS(f.Value)
	if h.Err != "" || !h.Preload {
		return
	}
	var why []string
	if !h.IncludeSubDomains {
		why = append(why, "no includeSubDomains")
	}
	if h.MaxAge < 31536000 {
		why = append(why, "max-age under one year")
	}
	if len(why) > 0 {
		c.add(evidence(f), "use max-age=63072000; includeSubDomains; preload",
			"preload is requested but the preload list requires %s", strings.Join(why, " and ")+" fixed")
	}
}

// redirectTarget returns the Location of a redirect response, resolved
// against the request URL, or nil when ex is not a redirect.
func redirectTarget(ex *Exchange) *url.URL {
	if ex == nil {
		return nil
	}
	switch ex.status() {
	case 301, 302, 303, 307, 308:
	default:
		return nil
	}
	loc := headerOf(ex, "Location")
	if loc == "" {
		return nil
	}
	u, err := url.Parse(loc)
	if err != nil {
		return nil
	}
	if ex.URL != nil {
		u = ex.URL.ResolveReference(u)
	}
	return u
}

// redirection classifies the answer of the plain-HTTP URL the way the
// Observatory's redirection test does.
func redirection(plain *Exchange) (result string, msg string) {
	if plain == nil {
		return "", ""
	}
	if plain.status() == 0 {
		return "redirection-not-needed-no-http", ""
	}
	u := redirectTarget(plain)
	switch {
	case u == nil:
		return "redirection-missing", "plain HTTP answers without redirecting to HTTPS"
	case !strings.EqualFold(u.Scheme, "https"):
		return "redirection-not-to-https-on-initial-redirection", "plain HTTP redirects to " + Escape(u.String()) + ", not to HTTPS"
	case !strings.EqualFold(u.Hostname(), hostname(plain)):
		return "redirection-off-host-from-http", "plain HTTP redirects to HTTPS on another host (" + Escape(u.Hostname()) + "), so HSTS for this host is never set"
	}
	return "redirection-to-https", ""
}

func checkRedirectHTTPS(c *checker) {
	var plain *Exchange
	switch {
	case !c.https:
		if isLoopbackHost(hostname(c.ex)) {
			c.skip("plain HTTP on a loopback host is normal in development")
			return
		}
		plain = c.ex
	case c.ex.Active != nil && c.ex.Active.PlainHTTP != nil:
		plain = c.ex.Active.PlainHTTP
	default:
		c.skip("needs the answer of the plain http:// URL (active check)")
		return
	}
	if _, msg := redirection(plain); msg != "" {
		ev := ""
		if loc := headerOf(plain, "Location"); loc != "" {
			ev = "Location: " + Escape(loc)
		}
		c.add(ev, "redirect every http:// URL with 301/308 to https:// on the same host first",
			"%s", msg)
	}
}
