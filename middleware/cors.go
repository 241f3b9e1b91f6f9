package middleware

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/cors"
)

// CORSOptions configures [NewCORS]. See the Fetch standard's CORS protocol
// (https://fetch.spec.whatwg.org/#http-cors-protocol).
type CORSOptions struct {
	// AllowedOrigins lists the origins allowed to read responses, each
	// scheme://host[:port] exactly as browsers send it in Origin (no path,
	// no trailing slash, no default port): "https://app.example.com",
	// "http://localhost:5173". One leading wildcard label is allowed:
	// "https://*.example.com" matches every subdomain. "*" alone allows
	// every origin (public, credential-less APIs only).
	AllowedOrigins []string
	// AllowedMethods for cross-origin requests; nil means GET, HEAD, POST.
	// Methods are case-sensitive: write them in capitals.
	AllowedMethods []string
	// AllowedHeaders are request headers beyond the CORS-safelisted ones;
	// nil means Accept, Content-Type, X-Requested-With. "*" allows all,
	// but not together with AllowCredentials (the Fetch standard then
	// treats "*" literally).
	AllowedHeaders []string
	// ExposedHeaders are response headers scripts may read beyond the
	// safelisted ones (e.g. "X-Request-Id", "Location").
	ExposedHeaders []string
	// AllowCredentials lets cross-origin requests carry cookies and HTTP
	// authentication. It refuses AllowedOrigins "*".
	AllowCredentials bool
	// MaxAge is how long browsers may cache a preflight; 0 sends no
	// Access-Control-Max-Age (browsers then use 5 s). At most 24h, the
	// largest any browser honours (Chromium caps at 2h).
	MaxAge time.Duration
	// AllowPrivateNetwork answers Private Network Access preflights
	// (https://wicg.github.io/private-network-access/).
	AllowPrivateNetwork bool
}

// CORS answers CORS preflights and adds CORS headers to actual requests
// from allowed origins, always with Vary: Origin so caches keep the
// per-origin answers apart. It wraps github.com/rs/cors after validating
// the configuration; create it with [NewCORS].
type CORS struct {
	c *cors.Cors
	// varyOrigin is the shared value of Vary: Origin on responses that take
	// the fast path (capacity 1, so Header.Add copies instead of writing
	// into it; rs/cors shares its own the same way).
	varyOrigin []string
}

// NewCORS validates opts and returns the middleware. It refuses
// configurations browsers would silently reject or that are unsafe:
// "*" with credentials, origins with a path, trailing slash, query,
// userinfo or default port, "null", wildcards other than a leading "*.",
// lowercase methods, and invalid header names.
func NewCORS(opts CORSOptions) (*CORS, error) {
	if len(opts.AllowedOrigins) == 0 {
		return nil, fmt.Errorf(`cors: AllowedOrigins is empty; list the origins that may call this service, e.g. "https://app.example.com" (or "*" for a public API without credentials)`)
	}
	origins := make([]string, 0, len(opts.AllowedOrigins))
	for i, o := range opts.AllowedOrigins {
		if o == "*" {
			if len(opts.AllowedOrigins) > 1 {
				return nil, fmt.Errorf(`cors: AllowedOrigins has "*" and other origins; "*" already allows every origin, so list either "*" alone or the origins`)
			}
			if opts.AllowCredentials {
				return nil, fmt.Errorf(`cors: AllowedOrigins "*" with AllowCredentials would let any website read responses with the user's cookies (and browsers reject "*" with credentials); list the trusted origins instead`)
			}
			origins = append(origins, o)
			continue
		}
		norm, err := checkOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("cors: AllowedOrigins[%d] %q: %w", i, o, err)
		}
		origins = append(origins, norm)
	}
	for i, m := range opts.AllowedMethods {
		if !validToken(m) {
			return nil, fmt.Errorf("cors: AllowedMethods[%d] %q is not an HTTP method token", i, m)
		}
		if up := strings.ToUpper(m); up != m && isStandardMethod(up) {
			return nil, fmt.Errorf("cors: AllowedMethods[%d] %q: methods are case-sensitive and browsers send %q", i, m, up)
		}
	}
	for _, list := range []struct {
		field string
		names []string
	}{{"AllowedHeaders", opts.AllowedHeaders}, {"ExposedHeaders", opts.ExposedHeaders}} {
		for i, h := range list.names {
			if h == "*" {
				if opts.AllowCredentials {
					return nil, fmt.Errorf(`cors: %s "*" with AllowCredentials: browsers then read "*" as a header literally named "*"; list the header names`, list.field)
				}
				continue
			}
			if !validToken(h) {
				return nil, fmt.Errorf("cors: %s[%d] %q is not a header name", list.field, i, h)
			}
		}
	}
	if opts.MaxAge < 0 || opts.MaxAge > 24*time.Hour {
		return nil, fmt.Errorf("cors: MaxAge %v is outside 0..24h (browsers cap preflight caching at 24h, Chromium at 2h)", opts.MaxAge)
	}
	return &CORS{varyOrigin: newFixedHeader("Vary", "Origin").value, c: cors.New(cors.Options{
		AllowedOrigins:      origins,
		AllowedMethods:      opts.AllowedMethods,
		AllowedHeaders:      opts.AllowedHeaders,
		ExposedHeaders:      opts.ExposedHeaders,
		AllowCredentials:    opts.AllowCredentials,
		MaxAge:              int(opts.MaxAge / time.Second),
		AllowPrivateNetwork: opts.AllowPrivateNetwork,
	})}, nil
}

// Handler returns next wrapped by the CORS middleware. Preflights (OPTIONS
// with Access-Control-Request-Method) are answered with 204 and never reach
// next.
//
// Requests without an Origin header that are not OPTIONS — same-origin
// GETs and HEADs, requests from non-browser clients: most traffic — take a
// fast path that only adds Vary: Origin, exactly what rs/cors does for
// them, without its canonicalising header lookups and origin check (which
// took about 750 instructions per request, the fast path about 380).
// Everything else, preflights and requests with an Origin, goes through
// rs/cors.
func (c *CORS) Handler(next http.Handler) http.Handler {
	h := c.c.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions || len(r.Header["Origin"]) != 0 {
			h.ServeHTTP(w, r)
			return
		}
		// Vary: Origin even without Origin, so a cache that stored this
		// answer does not give it to a cross-origin request, which would
		// need the Access-Control-* headers (rs/cors issue 10).
		hdr := w.Header()
		if vary := hdr["Vary"]; vary == nil {
			hdr["Vary"] = c.varyOrigin
		} else {
			hdr["Vary"] = append(vary, "Origin")
		}
		next.ServeHTTP(w, r)
	})
}

// checkOrigin validates one serialized origin (RFC 6454 §6.2) and returns
// it lowercased.
func checkOrigin(o string) (string, error) {
	if o == "null" {
		return "", fmt.Errorf(`"null" is the origin of sandboxed iframes, file:// pages and redirects; any site can produce it, so it cannot be trusted`)
	}
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || scheme == "" {
		return "", fmt.Errorf("need scheme://host[:port], e.g. https://app.example.com")
	}
	for i := 0; i < len(scheme); i++ {
		c := scheme[i] | 0x20
		if !('a' <= c && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", fmt.Errorf("scheme %q is not valid", scheme)
		}
	}
	switch {
	case strings.HasSuffix(rest, "/"):
		return "", fmt.Errorf("remove the trailing slash: browsers send origins without one, so it would never match")
	case strings.ContainsAny(rest, "/?#"):
		return "", fmt.Errorf("an origin has no path, query or fragment; keep only scheme://host[:port]")
	case strings.Contains(rest, "@"):
		return "", fmt.Errorf("an origin has no user info; remove the part before '@'")
	case rest == "":
		return "", fmt.Errorf("host is empty")
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c <= ' ' || c >= 0x7f || c == '\\' || c == '%' {
			return "", fmt.Errorf("host has byte 0x%02x at offset %d; write international names in punycode (xn--…)", c, i)
		}
	}
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		host, port = rest[:i], rest[i+1:]
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", fmt.Errorf("port %q must be a number from 1 to 65535", port)
		}
		if (strings.EqualFold(scheme, "https") && n == 443) || (strings.EqualFold(scheme, "http") && n == 80) {
			return "", fmt.Errorf("remove the default port :%s: browsers omit it from Origin, so it would never match", port)
		}
	}
	if host == "" {
		return "", fmt.Errorf("host is empty")
	}
	if n := strings.Count(host, "*"); n > 0 {
		if n > 1 || !strings.HasPrefix(host, "*.") || len(host) < 3 {
			return "", fmt.Errorf(`a wildcard must be one leading label, as in https://*.example.com; "*" elsewhere would also match hosts like attacker-example.com`)
		}
	}
	return strings.ToLower(o), nil
}

func isStandardMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}
