package cli

import (
	"net/netip"
	"strings"

	"github.com/golocal/golocal/internal/hostcheck"
	"github.com/golocal/golocal/internal/term"
)

// frontHosts lists the Host names and addresses the dev front answers
// beyond loopback, localhost and *.localhost: the --allow-host values, the
// host of --addr when it is not a wildcard, and, when the front listens on
// every interface (--lan), every address of this machine's interfaces, the
// one the Network URL shows among them. A bad --allow-host value is a
// usage error.
func frontHosts(allow []string, bindHost string) ([]string, error) {
	var hosts []string
	for _, a := range allow {
		h, ok := hostcheck.Hostname(a)
		if !ok || strings.ContainsAny(a, "/*") {
			return nil, usageErrorf("--allow-host %q: want a host name or IP address such as dev.example.test or 192.168.1.20 (a leading dot allows subdomains: .example.test)", a)
		}
		if strings.HasPrefix(a, ".") {
			h = "." + strings.TrimPrefix(h, ".")
		}
		hosts = append(hosts, h)
	}
	ip, err := netip.ParseAddr(bindHost)
	switch {
	case bindHost == "" || err == nil && ip.IsUnspecified():
		hosts = append(hosts, term.InterfaceAddresses()...)
	case bindHost != "localhost":
		hosts = append(hosts, bindHost)
	}
	return hosts, nil
}
