package probe

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"
)

// Resolve pins a host and port to addresses, like curl's
// --resolve host:port:addr[,addr]...: connections to Host:Port go to Addrs
// without a DNS lookup, while the URL, Host header and TLS server name stay
// unchanged.
type Resolve struct {
	Host  string // lower-case host name, no brackets
	Port  int
	Addrs []netip.Addr
}

// ParseResolve parses "host:port:addr[,addr...]"; IPv6 addresses may be
// written in brackets ("example.test:443:[::1]").
func ParseResolve(s string) (Resolve, error) {
	var r Resolve
	host, rest, err := cutHostPort(s)
	if err != nil {
		return r, fmt.Errorf("--resolve %q: %v; want host:port:addr, e.g. example.test:443:127.0.0.1", clip(s), err)
	}
	portText, addrs, ok := strings.Cut(rest, ":")
	if !ok || addrs == "" {
		return r, fmt.Errorf("--resolve %q: missing the address; want host:port:addr, e.g. example.test:443:127.0.0.1", clip(s))
	}
	if r.Port, err = parsePort(portText); err != nil {
		return r, fmt.Errorf("--resolve %q: %v", clip(s), err)
	}
	if host == "" || host == "*" {
		return r, fmt.Errorf("--resolve %q: the host is empty; want host:port:addr", clip(s))
	}
	r.Host = strings.ToLower(host)
	for a := range strings.SplitSeq(addrs, ",") {
		a = strings.TrimSpace(a)
		a = strings.TrimSuffix(strings.TrimPrefix(a, "["), "]")
		ip, err := netip.ParseAddr(a)
		if err != nil || ip.Zone() != "" {
			return r, fmt.Errorf("--resolve %q: %q is not an IP address; want host:port:addr, e.g. example.test:443:127.0.0.1", clip(s), clip(a))
		}
		r.Addrs = append(r.Addrs, ip.Unmap())
	}
	return r, nil
}

// ConnectTo redirects connections like curl's
// --connect-to HOST1:PORT1:HOST2:PORT2: a connection meant for HOST1:PORT1
// goes to HOST2:PORT2 instead. An empty HOST1 or PORT1 matches any; an
// empty HOST2 or PORT2 keeps the original. The URL, Host header and TLS
// server name are unchanged.
type ConnectTo struct {
	Host   string // "" matches any host
	Port   int    // 0 matches any port
	ToHost string // "" keeps the host
	ToPort int    // 0 keeps the port
}

// ParseConnectTo parses "HOST1:PORT1:HOST2:PORT2"; IPv6 hosts go in brackets.
func ParseConnectTo(s string) (ConnectTo, error) {
	var c ConnectTo
	const want = "want HOST1:PORT1:HOST2:PORT2, e.g. example.test:443:127.0.0.1:8443 (empty parts match any / keep the original)"
	h1, rest, err := cutHostPort(s)
	if err != nil {
		return c, fmt.Errorf("--connect-to %q: %v; %s", clip(s), err, want)
	}
	p1, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return c, fmt.Errorf("--connect-to %q: too few parts; %s", clip(s), want)
	}
	h2, p2, err := cutHostPort(rest)
	if err != nil {
		return c, fmt.Errorf("--connect-to %q: %v; %s", clip(s), err, want)
	}
	if strings.Contains(p2, ":") {
		return c, fmt.Errorf("--connect-to %q: too many parts; %s", clip(s), want)
	}
	for _, p := range []struct {
		text string
		dst  *int
	}{{p1, &c.Port}, {p2, &c.ToPort}} {
		if p.text == "" {
			continue
		}
		if *p.dst, err = parsePort(p.text); err != nil {
			return c, fmt.Errorf("--connect-to %q: %v", clip(s), err)
		}
	}
	for _, h := range []string{h1, h2} {
		if h != "" && !validHost(h) {
			return c, fmt.Errorf("--connect-to %q: %q is not a host name or IP address; %s", clip(s), clip(h), want)
		}
	}
	c.Host, c.ToHost = strings.ToLower(h1), strings.ToLower(h2)
	return c, nil
}

// cutHostPort splits "host:rest" or "[v6]:rest" at the colon after the host.
func cutHostPort(s string) (host, rest string, err error) {
	if !utf8.ValidString(s) {
		return "", "", errors.New("not valid UTF-8")
	}
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", errors.New("unclosed [ in an IPv6 address")
		}
		host = s[1:end]
		if _, err := netip.ParseAddr(host); err != nil {
			return "", "", fmt.Errorf("%q is not an IPv6 address", clip(host))
		}
		after := s[end+1:]
		if !strings.HasPrefix(after, ":") {
			return "", "", errors.New("missing colon after the bracketed address")
		}
		return host, after[1:], nil
	}
	host, rest, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", errors.New("missing colon")
	}
	return host, rest, nil
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", clip(s))
	}
	return n, nil
}

// validHost accepts an IP address or a DNS-ish name (letters, digits, -, _, .).
func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// ParseHeader parses a -H value "Name: value" the way curl does: the name
// must be a token, surrounding whitespace of the value is dropped, and
// "Name;" sends the header with an empty value. Values may not hold CR,
// LF or NUL (they would split or end the request head).
func ParseHeader(s string) (name, value string, err error) {
	const want = `want "Name: value", e.g. -H "Accept: application/json"`
	if strings.HasSuffix(s, ";") && !strings.Contains(s, ":") {
		name = strings.TrimSpace(strings.TrimSuffix(s, ";"))
		if !isToken(name) {
			return "", "", fmt.Errorf("-H %q: %q is not a valid header name; %s", clip(s), clip(name), want)
		}
		return name, "", nil
	}
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("-H %q: no colon; %s", clip(s), want)
	}
	if name != strings.TrimRight(name, " \t") {
		return "", "", fmt.Errorf("-H %q: whitespace before the colon is not allowed (RFC 9112 §5.1); %s", clip(s), want)
	}
	if !isToken(name) {
		return "", "", fmt.Errorf("-H %q: %q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only); %s", clip(s), clip(name), want)
	}
	value = strings.Trim(value, " \t")
	if strings.ContainsAny(value, "\r\n\x00") {
		return "", "", fmt.Errorf("-H %q: the value holds CR, LF or NUL, which would split the request; remove them", clip(s))
	}
	return name, value, nil
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool { return httpguts.ValidHeaderFieldName(s) }

// SLO is a set of time budgets per phase, from --slo total=300ms,ttfb=100ms.
type SLO []Budget

// Budget is one phase's limit.
type Budget struct {
	Phase Phase
	Limit time.Duration
}

// sloAliases maps the names accepted by --slo to phases.
var sloAliases = map[string]Phase{
	"dns": PhaseNameLookup, "namelookup": PhaseNameLookup,
	"connect": PhaseConnect, "tcp": PhaseConnect,
	"tls": PhaseAppConnect, "appconnect": PhaseAppConnect,
	"pretransfer":  PhasePreTransfer,
	"posttransfer": PhasePostTransfer,
	"ttfb":         PhaseStartTransfer, "starttransfer": PhaseStartTransfer,
	"total": PhaseTotal,
}

// ParseSLO parses "name=duration[,name=duration...]" where name is a
// phase (namelookup|dns, connect|tcp, appconnect|tls, pretransfer,
// posttransfer, starttransfer|ttfb, total) and duration a Go duration
// ("300ms", "1.5s"). Phases are cumulative from the start, like curl's -w.
func ParseSLO(s string) (SLO, error) {
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range sloAliases {
			if !yield(k) {
				return
			}
		}
	})
	want := "want name=duration[,name=duration], e.g. total=300ms,ttfb=100ms; names: " + strings.Join(names, ", ")
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("--slo is empty; %s", want)
	}
	var out SLO
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, dur, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("--slo %q: %q has no =; %s", clip(s), clip(part), want)
		}
		phase, ok := sloAliases[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			return nil, fmt.Errorf("--slo %q: unknown phase %q; %s", clip(s), clip(name), want)
		}
		d, err := time.ParseDuration(strings.TrimSpace(dur))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--slo %q: %q is not a positive duration like 300ms or 1.5s", clip(s), clip(dur))
		}
		if slices.ContainsFunc(out, func(b Budget) bool { return b.Phase == phase }) {
			return nil, fmt.Errorf("--slo %q: phase %s given twice", clip(s), phase)
		}
		out = append(out, Budget{phase, d})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--slo %q names no phase; %s", clip(s), want)
	}
	return out, nil
}

// clip shortens s for an error message and makes it printable.
func clip(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// dialTarget applies --connect-to then --resolve to a host:port the
// transport wants to reach, and returns the addresses to dial (host:port
// strings; a name is resolved by the dialer) in order.
func dialTarget(addr string, connectTo []ConnectTo, resolve []Resolve) ([]string, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, err
	}
	host = strings.ToLower(host)
	for _, c := range connectTo {
		if (c.Host == "" || c.Host == host) && (c.Port == 0 || c.Port == port) {
			if c.ToHost != "" {
				host = c.ToHost
			}
			if c.ToPort != 0 {
				port = c.ToPort
			}
			break
		}
	}
	for _, r := range resolve {
		if r.Host == host && r.Port == port {
			out := make([]string, len(r.Addrs))
			for i, a := range r.Addrs {
				out[i] = net.JoinHostPort(a.String(), strconv.Itoa(port))
			}
			return out, nil
		}
	}
	return []string{net.JoinHostPort(host, strconv.Itoa(port))}, nil
}
