package middleware

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// NoncePlaceholder marks where [Secure] puts the per-request nonce in a
// Content-Security-Policy (https://www.w3.org/TR/CSP3/#framework-directive-source-list).
const NoncePlaceholder = "{nonce}"

// Omit, as the value of a [SecureOptions] header field, leaves that header
// out entirely.
const Omit = "-"

// DefaultContentSecurityPolicy is a strict, nonce-based policy: scripts and
// styles run only from this origin or with this request's nonce
// ('strict-dynamic' lets a nonced loader add more scripts), images also as
// data: URLs, everything else (fonts, fetch, media) from this origin via
// default-src, no plugins, no
// <base> hijacking, forms post only to this origin. frame-ancestors and, in
// production, upgrade-insecure-requests are appended by [NewSecure].
const DefaultContentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self' 'nonce-{nonce}' 'strict-dynamic'; " +
	"style-src 'self' 'nonce-{nonce}'; " +
	"img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'"

// Production defaults of [SecureOptions].
const (
	DefaultHSTSMaxAge                = 2 * 365 * 24 * time.Hour
	DefaultReferrerPolicy            = "strict-origin-when-cross-origin"
	DefaultCrossOriginOpenerPolicy   = "same-origin"
	DefaultCrossOriginResourcePolicy = "same-origin"
	DefaultPermissionsPolicy         = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), " +
		"magnetometer=(), microphone=(), payment=(), usb=()"
	DefaultFrameAncestors = "'none'"
)

// SecureOptions configures [NewSecure]. The zero value is the strict
// production configuration; every string field may be set to [Omit] to
// leave its header out.
type SecureOptions struct {
	// Development relaxes only what a plain-HTTP localhost needs: no
	// Strict-Transport-Security and no upgrade-insecure-requests. The CSP
	// stays nonce-based so pages that work in development work in
	// production.
	Development bool

	// ContentSecurityPolicy is the policy, with [NoncePlaceholder] where
	// the nonce goes; "" means [DefaultContentSecurityPolicy].
	ContentSecurityPolicy string
	// ReportOnly sends the policy as Content-Security-Policy-Report-Only:
	// browsers report violations but block nothing. Browsers ignore
	// frame-ancestors in report-only policies, so X-Frame-Options still
	// protects against framing.
	ReportOnly bool
	// ReportURI, when set, is appended as the report-uri directive (an
	// absolute path or https:// URL).
	ReportURI string
	// FrameAncestors is the CSP frame-ancestors source list; "" means
	// 'none'. 'none' also sends X-Frame-Options: DENY and 'self' sends
	// SAMEORIGIN, for browsers that predate frame-ancestors.
	FrameAncestors string

	// HSTSMaxAge is Strict-Transport-Security's max-age; 0 means two
	// years. HSTS is sent only on HTTPS requests (r.TLS set, or
	// TrustedProxyHeader saying https), never in Development and never to
	// localhost or loopback addresses, because HSTS on "localhost" would
	// break every other plain-HTTP development server on that name.
	HSTSMaxAge time.Duration
	// HSTSIncludeSubdomains adds includeSubDomains.
	HSTSIncludeSubdomains bool
	// HSTSPreload adds preload; it requires HSTSIncludeSubdomains and a
	// max-age of at least one year (https://hstspreload.org).
	HSTSPreload bool
	// NoHSTS never sends Strict-Transport-Security.
	NoHSTS bool
	// TrustedProxyHeader names the header a TLS-terminating proxy in front
	// of this server sets to the client's scheme ("X-Forwarded-Proto", or
	// "Forwarded" with proto=). Only name it if that proxy always
	// overwrites the header; otherwise clients can set it.
	TrustedProxyHeader string

	// ReferrerPolicy; "" means strict-origin-when-cross-origin.
	ReferrerPolicy string
	// CrossOriginOpenerPolicy; "" means same-origin.
	CrossOriginOpenerPolicy string
	// CrossOriginResourcePolicy; "" means same-origin.
	CrossOriginResourcePolicy string
	// PermissionsPolicy; "" means [DefaultPermissionsPolicy], which turns
	// off powerful features (camera, microphone, geolocation…).
	PermissionsPolicy string
}

// Secure sets security response headers on every response: a
// Content-Security-Policy with a fresh 128-bit nonce per request
// (https://www.w3.org/TR/CSP3/), Strict-Transport-Security (RFC 6797),
// X-Content-Type-Options: nosniff, X-Frame-Options, Referrer-Policy,
// Cross-Origin-Opener-Policy, Cross-Origin-Resource-Policy and
// Permissions-Policy. Handlers may override any of them for their own
// responses. Read the nonce with [Nonce]. Create it with [NewSecure].
type Secure struct {
	cspHeader   string   // Content-Security-Policy or …-Report-Only; "" when omitted
	cspParts    []string // the policy split at each nonce placeholder
	cspLen      int      // total length of cspParts
	hsts        []string // nil when never sent; shared like fixed headers
	proxyHeader string   // canonical, "" when none
	fixed       []fixedHeader
	random      *randomSource
}

// fixedHeader is a header whose value is the same on every response. Its
// value slice is built once and shared by all responses: the per-request
// cost is one map assignment, no allocation. rs/cors shares its constant
// values the same way. The slice has capacity 1, so Header.Add on it
// reallocates instead of writing into the shared array; only code that
// assigns into h[name][0] directly could change it, which no net/http API
// does.
type fixedHeader struct {
	name  string
	value []string
}

func newFixedHeader(name, value string) fixedHeader {
	v := []string{value}
	return fixedHeader{name, v[:1:1]}
}

// NewSecure validates opts and returns the middleware. Errors name the
// field, what is wrong and what to write instead.
func NewSecure(opts SecureOptions) (*Secure, error) {
	s := &Secure{random: newRandomSource()}

	csp := opts.ContentSecurityPolicy
	if csp == "" {
		csp = DefaultContentSecurityPolicy
	}
	if csp != Omit {
		if err := checkHeaderValue("ContentSecurityPolicy", csp); err != nil {
			return nil, err
		}
		if strings.Contains(csp, ",") {
			return nil, fmt.Errorf("secure: ContentSecurityPolicy contains ',', which makes browsers read it as several policies that must all pass; join directives with ';'")
		}
		fa := opts.FrameAncestors
		if fa == "" {
			fa = DefaultFrameAncestors
		}
		hasDirective := func(name string) bool {
			for d := range strings.SplitSeq(csp, ";") {
				f := strings.Fields(d)
				if len(f) > 0 && strings.EqualFold(f[0], name) {
					return true
				}
			}
			return false
		}
		if fa != Omit {
			if hasDirective("frame-ancestors") {
				return nil, fmt.Errorf("secure: ContentSecurityPolicy already has frame-ancestors; remove it there and set FrameAncestors instead, so X-Frame-Options matches")
			}
			if err := checkSourceList("FrameAncestors", fa); err != nil {
				return nil, err
			}
			csp = strings.TrimRight(csp, "; ") + "; frame-ancestors " + fa
		}
		if !opts.Development && !hasDirective("upgrade-insecure-requests") {
			csp += "; upgrade-insecure-requests"
		}
		if opts.ReportURI != "" {
			u := opts.ReportURI
			if !(strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//")) && !strings.HasPrefix(u, "https://") {
				return nil, fmt.Errorf("secure: ReportURI %q must be an absolute path (/csp-report) or an https:// URL", u)
			}
			if strings.ContainsAny(u, " \t;,'\"") || checkHeaderValue("ReportURI", u) != nil {
				return nil, fmt.Errorf("secure: ReportURI %q contains a space, quote, ';' or ',' that would break the policy; percent-encode it", u)
			}
			csp += "; report-uri " + u
		}
		s.cspHeader = "Content-Security-Policy"
		if opts.ReportOnly {
			s.cspHeader = "Content-Security-Policy-Report-Only"
		}
		s.cspParts = strings.Split(csp, NoncePlaceholder)
		for _, p := range s.cspParts {
			s.cspLen += len(p)
		}
		switch fa {
		case "'none'":
			s.fixed = append(s.fixed, newFixedHeader("X-Frame-Options", "DENY"))
		case "'self'":
			s.fixed = append(s.fixed, newFixedHeader("X-Frame-Options", "SAMEORIGIN"))
		}
	} else if opts.ReportOnly || opts.ReportURI != "" {
		return nil, fmt.Errorf("secure: ReportOnly and ReportURI need a ContentSecurityPolicy, but it is set to Omit")
	}

	if !opts.NoHSTS && !opts.Development {
		age := opts.HSTSMaxAge
		switch {
		case age == 0:
			age = DefaultHSTSMaxAge
		case age < 0:
			return nil, fmt.Errorf("secure: HSTSMaxAge %v is negative; use NoHSTS to turn HSTS off", age)
		case age < time.Second:
			return nil, fmt.Errorf("secure: HSTSMaxAge %v is under one second; HSTS counts whole seconds", age)
		}
		if opts.HSTSPreload && (!opts.HSTSIncludeSubdomains || age < 365*24*time.Hour) {
			return nil, fmt.Errorf("secure: HSTSPreload needs HSTSIncludeSubdomains and HSTSMaxAge of at least one year (8760h), as https://hstspreload.org requires; got includeSubDomains=%v max-age=%v",
				opts.HSTSIncludeSubdomains, age)
		}
		hsts := "max-age=" + strconv.FormatInt(int64(age/time.Second), 10)
		if opts.HSTSIncludeSubdomains {
			hsts += "; includeSubDomains"
		}
		if opts.HSTSPreload {
			hsts += "; preload"
		}
		s.hsts = newFixedHeader("", hsts).value
	}
	if opts.TrustedProxyHeader != "" {
		if !validToken(opts.TrustedProxyHeader) {
			return nil, fmt.Errorf("secure: TrustedProxyHeader %q is not a header name; use e.g. X-Forwarded-Proto", opts.TrustedProxyHeader)
		}
		s.proxyHeader = http.CanonicalHeaderKey(opts.TrustedProxyHeader)
	}

	s.fixed = append(s.fixed, newFixedHeader("X-Content-Type-Options", "nosniff"))
	for _, f := range []struct {
		field, header, value, def string
		allowed                   []string
	}{
		{"ReferrerPolicy", "Referrer-Policy", opts.ReferrerPolicy, DefaultReferrerPolicy, []string{
			"no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
			"same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url"}},
		{"CrossOriginOpenerPolicy", "Cross-Origin-Opener-Policy", opts.CrossOriginOpenerPolicy, DefaultCrossOriginOpenerPolicy, []string{
			"same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"}},
		{"CrossOriginResourcePolicy", "Cross-Origin-Resource-Policy", opts.CrossOriginResourcePolicy, DefaultCrossOriginResourcePolicy, []string{
			"same-origin", "same-site", "cross-origin"}},
		{"PermissionsPolicy", "Permissions-Policy", opts.PermissionsPolicy, DefaultPermissionsPolicy, nil},
	} {
		v := f.value
		if v == "" {
			v = f.def
		}
		if v == Omit {
			continue
		}
		if f.allowed != nil && !contains(f.allowed, v) {
			return nil, fmt.Errorf("secure: %s %q is not one of %s", f.field, v, strings.Join(f.allowed, ", "))
		}
		if err := checkHeaderValue(f.field, v); err != nil {
			return nil, err
		}
		s.fixed = append(s.fixed, newFixedHeader(f.header, v))
	}
	return s, nil
}

// Handler returns next wrapped by the security headers.
func (s *Secure) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, w, r := begin(w, r)
		h := w.Header()
		if s.cspHeader != "" {
			st.setHeader(h, s.cspHeader, s.policy(st))
		} else if st.nonce == "" {
			st.nonce = s.newNonce()
		}
		if s.hsts != nil && s.isHTTPS(r) && !isLoopbackHost(r.Host) {
			h["Strict-Transport-Security"] = s.hsts
		}
		for _, f := range s.fixed {
			h[f.name] = f.value
		}
		next.ServeHTTP(w, r)
	})
}

// policy builds this request's CSP in one allocation and records the nonce
// in the request state as a substring of it (no second allocation).
func (s *Secure) policy(st *requestState) string {
	if st.nonce != "" || len(s.cspParts) == 1 {
		// No placeholder, or a nonce chosen by an outer Secure: reuse it.
		if st.nonce == "" {
			st.nonce = s.newNonce()
		}
		return strings.Join(s.cspParts, st.nonce)
	}
	var enc [nonceLen]byte
	s.encodedNonce(&enc)
	var b strings.Builder
	b.Grow(s.cspLen + nonceLen*(len(s.cspParts)-1))
	b.WriteString(s.cspParts[0])
	start := b.Len()
	for _, p := range s.cspParts[1:] {
		b.Write(enc[:])
		b.WriteString(p)
	}
	csp := b.String()
	st.nonce = csp[start : start+nonceLen]
	return csp
}

// nonceLen is the base64url length of a 128-bit nonce, unpadded; CSP's
// base64-value grammar accepts '-' and '_'.
const nonceLen = 22

func (s *Secure) newNonce() string {
	var enc [nonceLen]byte
	s.encodedNonce(&enc)
	return string(enc[:])
}

// encodedNonce fills enc with a fresh 128-bit nonce in unpadded base64url.
func (s *Secure) encodedNonce(enc *[nonceLen]byte) {
	a, b := s.random.twoWords()
	encodeNonce(enc, a, b)
}

// encodeNonce writes the 128 bits a‖b as base64.RawURLEncoding writes the
// 16 bytes of a and b in big-endian order, six bits per character, without
// going through bytes: encoding/base64's general loop cost more than
// generating the random bits.
func encodeNonce(enc *[nonceLen]byte, a, b uint64) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	// Unrolled: constant shifts (a loop with variable shifts cost 3x).
	// Bits 63..4 of a, then 3..0 of a with 63..62 of b, then 61..0 of b.
	enc[0] = alphabet[a>>58&0x3f]
	enc[1] = alphabet[a>>52&0x3f]
	enc[2] = alphabet[a>>46&0x3f]
	enc[3] = alphabet[a>>40&0x3f]
	enc[4] = alphabet[a>>34&0x3f]
	enc[5] = alphabet[a>>28&0x3f]
	enc[6] = alphabet[a>>22&0x3f]
	enc[7] = alphabet[a>>16&0x3f]
	enc[8] = alphabet[a>>10&0x3f]
	enc[9] = alphabet[a>>4&0x3f]
	enc[10] = alphabet[(a&0xf)<<2|b>>62]
	enc[11] = alphabet[b>>56&0x3f]
	enc[12] = alphabet[b>>50&0x3f]
	enc[13] = alphabet[b>>44&0x3f]
	enc[14] = alphabet[b>>38&0x3f]
	enc[15] = alphabet[b>>32&0x3f]
	enc[16] = alphabet[b>>26&0x3f]
	enc[17] = alphabet[b>>20&0x3f]
	enc[18] = alphabet[b>>14&0x3f]
	enc[19] = alphabet[b>>8&0x3f]
	enc[20] = alphabet[b>>2&0x3f]
	enc[21] = alphabet[(b&0x3)<<4]
}

// isHTTPS reports whether the client reached us over TLS: directly, or —
// only when configured — through a proxy that says so.
func (s *Secure) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if s.proxyHeader == "" {
		return false
	}
	vals := r.Header[s.proxyHeader]
	if len(vals) == 0 {
		return false
	}
	// The nearest proxy's value is the last one appended.
	last := vals[len(vals)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	last = strings.TrimSpace(last)
	if s.proxyHeader == "Forwarded" {
		for pair := range strings.SplitSeq(last, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if ok && strings.EqualFold(k, "proto") {
				return strings.EqualFold(strings.Trim(v, `"`), "https")
			}
		}
		return false
	}
	return strings.EqualFold(last, "https")
}

// isLoopbackHost reports whether the Host header names this machine:
// localhost, *.localhost (RFC 6761 §6.3) or a loopback address.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		return ip.IsLoopback()
	}
	return false
}

// checkHeaderValue rejects what cannot appear in a header value: control
// bytes (CR/LF would split the header) and non-ASCII.
func checkHeaderValue(field, v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("secure: %s has byte 0x%02x at offset %d; header values must be printable ASCII", field, c, i)
		}
	}
	return nil
}

// checkSourceList validates a CSP frame-ancestors source list.
func checkSourceList(field, v string) error {
	if err := checkHeaderValue(field, v); err != nil {
		return err
	}
	srcs := strings.Fields(v)
	if len(srcs) == 0 {
		return fmt.Errorf("secure: %s is blank; use 'none', 'self' or origins like https://example.com", field)
	}
	for _, src := range srcs {
		switch {
		case src == "'none'" && len(srcs) > 1:
			return fmt.Errorf("secure: %s mixes 'none' with other sources; 'none' must stand alone", field)
		case src == "'none'", src == "'self'":
		case strings.ContainsAny(src, ";,'\""):
			return fmt.Errorf("secure: %s source %q contains a quote, ';' or ','; list sources separated by spaces, keywords in single quotes ('self')", field, src)
		case src == "none" || src == "self":
			return fmt.Errorf("secure: %s source %q must be quoted: '%s'", field, src, src)
		}
	}
	return nil
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
