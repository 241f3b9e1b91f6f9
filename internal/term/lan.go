package term

import "net"

// LANAddress returns the first IPv4 address of an interface that is up
// and is neither loopback nor link-local: the address a phone on the same
// network opens. It returns "" when there is none.
func LANAddress() string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		if ip := firstLANIPv4(addrs); ip != "" {
			return ip
		}
	}
	return ""
}

func firstLANIPv4(addrs []net.Addr) string {
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLinkLocalUnicast() && !ipn.IP.IsLoopback() {
			return ipn.IP.String()
		}
	}
	return ""
}

// InterfaceAddresses lists the addresses of every interface that is up,
// loopback included.
func InterfaceAddresses() []string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []string
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				out = append(out, ipn.IP.String())
			}
		}
	}
	return out
}
