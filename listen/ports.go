package listen

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ParsePorts parses a list of ports and inclusive ranges separated by commas
// or spaces, such as "8080, 8081-8089 9000", into the ports in order. Ports
// are 1-65535; a reversed range ("8089-8080"), an empty item and a port listed
// twice are errors naming the offending item.
func ParsePorts(spec string) ([]int, error) {
	items := strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	if len(items) == 0 {
		return nil, fmt.Errorf("%q lists no ports; write ports and ranges like \"8080, 8081-8089\"", spec)
	}
	if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(spec, " ", ""), "\t", ""), ",,") ||
		strings.HasPrefix(strings.TrimSpace(spec), ",") || strings.HasSuffix(strings.TrimSpace(spec), ",") {
		return nil, fmt.Errorf("%q has an empty item between commas", spec)
	}
	var out []int
	seen := map[int]string{}
	add := func(p int, item string) error {
		if prev, dup := seen[p]; dup {
			return fmt.Errorf("port %d is listed twice (in %q and %q); list each port once", p, prev, item)
		}
		seen[p] = item
		out = append(out, p)
		return nil
	}
	for _, item := range items {
		lo, hi, isRange := strings.Cut(item, "-")
		if !isRange {
			p, err := parsePortNumber(item, false)
			if err != nil {
				return nil, err // the message already quotes the item
			}
			if err := add(p, item); err != nil {
				return nil, err
			}
			continue
		}
		first, err := parsePortNumber(lo, false)
		if err != nil {
			return nil, fmt.Errorf("range %q: start %v", item, err)
		}
		last, err := parsePortNumber(hi, false)
		if err != nil {
			return nil, fmt.Errorf("range %q: end %v", item, err)
		}
		if last < first {
			return nil, fmt.Errorf("range %q is reversed; write %d-%d", item, last, first)
		}
		for p := first; p <= last; p++ {
			if err := add(p, item); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// parsePortNumber parses a decimal port. Service names ("http") are refused:
// a service should say the number it uses.
func parsePortNumber(s string, allowZero bool) (int, error) {
	rangeMsg := "port must be 1-65535"
	if allowZero {
		rangeMsg = "port must be 1-65535 (or 0 for any free port)"
	}
	if s == "" {
		return 0, fmt.Errorf("is empty; %s", rangeMsg)
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '-' && r != '+' {
			return 0, fmt.Errorf("%q is not a number; %s", s, rangeMsg)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		if len(strings.TrimLeft(s, "+-0")) > 5 {
			return 0, fmt.Errorf("%s is out of range; %s", s, rangeMsg)
		}
		return 0, fmt.Errorf("%q is not a number; %s", s, rangeMsg)
	}
	if n > 65535 || n < 0 || (n == 0 && !allowZero) || s[0] == '+' {
		return 0, fmt.Errorf("%s is out of range; %s", s, rangeMsg)
	}
	return n, nil
}

// endpoint is a parsed address to bind: host "" means all interfaces.
type endpoint struct {
	host string
	port int
}

func (e endpoint) String() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// loopbackHost is where a service listens unless told otherwise. Unlike
// net.Listen, ":8080" means loopback here: a development service should not
// be reachable from the café Wi-Fi because nobody wrote a host.
const loopbackHost = "127.0.0.1"

// parseEndpoint parses "8080", ":8080", "host:8080" or "[::1]:8080". A
// missing host means loopback unless allInterfaces is set; "0.0.0.0" and
// "[::]" always mean all interfaces because the user wrote them.
func parseEndpoint(value string, allInterfaces bool) (endpoint, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return endpoint{}, fmt.Errorf("is empty; write a port like 8080 or an address like 127.0.0.1:8080")
	}
	if !strings.Contains(v, ":") {
		p, err := parsePortNumber(v, true)
		if err != nil {
			return endpoint{}, err
		}
		return endpoint{host: defaultHost(allInterfaces), port: p}, nil
	}
	host, portStr, err := net.SplitHostPort(v)
	if err != nil {
		return endpoint{}, fmt.Errorf("is not host:port (%v); write 8080, :8080, 127.0.0.1:8080 or [::1]:8080", strings.TrimPrefix(err.Error(), "address "+v+": "))
	}
	p, err := parsePortNumber(portStr, true)
	if err != nil {
		return endpoint{}, err
	}
	if host == "" {
		host = defaultHost(allInterfaces)
	}
	if strings.ContainsAny(host, " /") {
		return endpoint{}, fmt.Errorf("host %q is not a host name or IP address", host)
	}
	return endpoint{host: host, port: p}, nil
}

func defaultHost(allInterfaces bool) string {
	if allInterfaces {
		return ""
	}
	return loopbackHost
}
