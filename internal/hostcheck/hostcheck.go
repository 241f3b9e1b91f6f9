package hostcheck

import (
	"fmt"
	"net/netip"
	"strings"
)

// Policy says which Host header values a server answers. The zero value
// allows loopback addresses, "localhost" and "*.localhost" only.
type Policy struct {
	// Hosts are further names or IP addresses allowed, without port
	// ("dev.example.test", "192.168.1.20", "::1"); case and a trailing dot
	// do not matter. A leading "." allows a domain's subdomains
	// (".example.test").
	Hosts []string
	// AnyIP allows every IP address literal. An address cannot be
	// rebound (the browser's origin is the address itself), so a server
	// reachable from the network on purpose can accept it.
	AnyIP bool
}

// Hostname returns the host part of a Host header value, without port or
// IPv6 brackets, lower case and without a trailing dot; ok is false when
// the value is empty or malformed (a port that is not a number, unbalanced
// brackets, spaces, control characters).
func Hostname(hostHeader string) (host string, ok bool) {
	h := hostHeader
	if h == "" || strings.ContainsFunc(h, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '/' || r == '@' || r == '\\' }) {
		return "", false
	}
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", false
		}
		rest := h[end+1:]
		h = h[1:end]
		if rest != "" && (rest[0] != ':' || !validPort(rest[1:])) {
			return "", false
		}
		if _, err := netip.ParseAddr(h); err != nil {
			return "", false
		}
	} else if strings.Count(h, ":") == 1 {
		var port string
		h, port, _ = strings.Cut(h, ":")
		if !validPort(port) {
			return "", false
		}
	} else if strings.Contains(h, ":") {
		return "", false // an IPv6 address must be bracketed in Host
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" {
		return "", false
	}
	return h, true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return p == "" // "host:" is allowed by RFC 3986 (empty port)
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Allowed reports whether a request with this Host header may be answered.
func (p Policy) Allowed(hostHeader string) bool {
	h, ok := Hostname(hostHeader)
	if !ok {
		return false
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.Unmap().IsLoopback() || p.AnyIP {
			return true
		}
		for _, a := range p.Hosts {
			if other, err := netip.ParseAddr(strings.Trim(a, "[]")); err == nil && other.Unmap() == ip.Unmap() {
				return true
			}
		}
		return false
	}
	for _, a := range p.Hosts {
		a = strings.ToLower(strings.TrimSuffix(a, "."))
		if a == h || strings.HasPrefix(a, ".") && strings.HasSuffix(h, a) {
			return true
		}
	}
	return false
}

// Explain says why hostHeader was refused and how to allow it; how is the
// server's own way ("restart with --allow-host NAME").
func (p Policy) Explain(hostHeader, how string) string {
	h, ok := Hostname(hostHeader)
	if !ok {
		if hostHeader == "" {
			return "the request has no Host header; send one such as Host: localhost"
		}
		return fmt.Sprintf("the Host header %q is malformed; send one such as Host: localhost:PORT", hostHeader)
	}
	allowed := "loopback addresses, localhost and *.localhost"
	if len(p.Hosts) > 0 {
		allowed += ", " + strings.Join(p.Hosts, ", ")
	}
	if p.AnyIP {
		allowed += " and any IP address"
	}
	return fmt.Sprintf("Host %q is not one of %s; a name that is not this machine's could be a DNS rebinding attack from a web page. To allow it, %s",
		h, allowed, strings.ReplaceAll(how, "NAME", h))
}
