package probe

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/golocal/golocal/internal/lint"
)

// connegVariants are the negotiation headers the active check varies.
func connegVariants(final *Hop) []lint.Variant {
	accept := "application/json"
	if ct := final.Header.Get("Content-Type"); strings.Contains(ct, "json") {
		accept = "text/html"
	}
	return []lint.Variant{
		{Header: "Accept", Value: accept},
		{Header: "Accept-Encoding", Value: "gzip, br"},
		{Header: "Accept-Language", Value: "fr"},
	}
}

// corsSafelisted reports whether a request header needs no preflight
// (Fetch, CORS-safelisted request-header, simplified to names).
func corsSafelisted(name string) bool {
	switch strings.ToLower(name) {
	case "accept", "accept-language", "content-language", "user-agent", "host":
		return true
	}
	return false
}

// runActive makes the extra requests some rules need: with an origin a CORS
// preflight, a credentialed request and one from an attacker origin; with
// conneg the same URL with Accept, Accept-Encoding and Accept-Language
// varied; with plainHTTP, for an https URL on the default port, the
// http:// URL (redirects not followed). Each request gets the probe's
// timeout and never follows redirects.
func runActive(ctx context.Context, u *url.URL, final *Hop, opts Options, origin string, conneg, plainHTTP bool) *lint.Active {
	opts = opts.withDefaults()
	opts.FollowRedirects = false
	opts.noRawH2 = true // the rules that need it read the main exchange
	one := func(method string, target *url.URL, hdr http.Header, body []byte) *lint.Exchange {
		o := opts
		o.Method, o.Header, o.Body = method, hdr, body
		res := Run(ctx, target, o)
		if h := res.Final(); h != nil {
			return h.Exchange
		}
		return nil
	}
	a := &lint.Active{Origin: origin}
	ran := false
	if origin != "" {
		ran = true
		a.PreflightMethod = opts.Method
		for k := range opts.Header {
			if !corsSafelisted(k) {
				a.PreflightHeaders = append(a.PreflightHeaders, strings.ToLower(k))
			}
		}
		slices.Sort(a.PreflightHeaders)
		pre := http.Header{"Origin": {origin}, "Access-Control-Request-Method": {a.PreflightMethod}}
		if len(a.PreflightHeaders) > 0 {
			pre.Set("Access-Control-Request-Headers", strings.Join(a.PreflightHeaders, ","))
		}
		a.Preflight = one("OPTIONS", u, pre, nil)
		cred := opts.Header.Clone()
		if cred == nil {
			cred = http.Header{}
		}
		cred.Set("Origin", origin)
		a.Credentialed = one(opts.Method, u, cred, opts.Body)
		att := cred.Clone()
		att.Set("Origin", lint.AttackerOrigin)
		a.Attacker = one(opts.Method, u, att, opts.Body)
	}
	if conneg && (opts.Method == "GET" || opts.Method == "HEAD") && final.Status != 0 {
		ran = true
		for _, v := range connegVariants(final) {
			hdr := opts.Header.Clone()
			if hdr == nil {
				hdr = http.Header{}
			}
			hdr.Set(v.Header, v.Value)
			v.Exchange = one(opts.Method, u, hdr, nil)
			if v.Exchange != nil {
				a.Variants = append(a.Variants, v)
			}
		}
	}
	if plainHTTP && u.Scheme == "https" && (u.Port() == "" || u.Port() == "443") {
		ran = true
		plain := *u
		plain.Scheme = "http"
		plain.Host = u.Hostname()
		if strings.Contains(plain.Host, ":") {
			plain.Host = "[" + plain.Host + "]"
		}
		a.PlainHTTP = one("GET", &plain, opts.Header.Clone(), nil)
	}
	if !ran {
		return nil
	}
	return a
}
