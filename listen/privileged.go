package listen

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Linux defaults, used when /proc cannot be read.
const (
	defaultUnprivilegedStart = 1024
	defaultEphemeralLow      = 32768
	defaultEphemeralHigh     = 60999
	capNetBindService        = 10 // bit in CapEff, linux/capability.h
)

// CheckPrivilege decides whether binding port needs root or
// CAP_NET_BIND_SERVICE: ports below unprivilegedStart do, unless capable.
// It returns a *PrivilegedPortError naming source and suggesting a port, or
// nil. Port 0 (any free port) never needs privilege.
func CheckPrivilege(port, unprivilegedStart int, capable bool, source string) error {
	if port <= 0 || port >= unprivilegedStart || capable {
		return nil
	}
	return &PrivilegedPortError{Port: port, Source: source, UnprivilegedStart: unprivilegedStart, Suggest: suggestUnprivileged(port, unprivilegedStart)}
}

// suggestUnprivileged maps 80 → 8080, 443 → 8443, 22 → 8022: the
// conventions people recognise.
func suggestUnprivileged(port, start int) int {
	if s := 8000 + port; s >= start && s <= 65535 {
		return s
	}
	if start <= 8080 {
		return 8080
	}
	return start
}

// EphemeralWarning returns a warning when port lies inside the ephemeral
// range [low, high] (/proc/sys/net/ipv4/ip_local_port_range), from which the
// kernel picks local ports of outgoing connections: while the service is
// stopped, any client may take it and the next start fails. "" otherwise.
func EphemeralWarning(port, low, high int, source string) string {
	if port <= 0 || port < low || port > high {
		return ""
	}
	return fmt.Sprintf("port %d (%s) is inside the ephemeral range %d-%d (/proc/sys/net/ipv4/ip_local_port_range): outgoing connections may take it while the service is down; prefer a port below %d",
		port, source, low, high, low)
}

// UnprivilegedPortStart reads /proc/sys/net/ipv4/ip_unprivileged_port_start,
// returning 1024 when it cannot be read.
func UnprivilegedPortStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return defaultUnprivilegedStart
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 || n > 65536 {
		return defaultUnprivilegedStart
	}
	return n
}

// EphemeralRange reads /proc/sys/net/ipv4/ip_local_port_range, returning
// the Linux default 32768-60999 when it cannot be read.
func EphemeralRange() (low, high int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return defaultEphemeralLow, defaultEphemeralHigh
	}
	low, high, ok := parsePortRange(string(b))
	if !ok {
		return defaultEphemeralLow, defaultEphemeralHigh
	}
	return low, high
}

// parsePortRange parses "32768\t60999".
func parsePortRange(s string) (low, high int, ok bool) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, false
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || lo < 1 || hi > 65535 || lo > hi {
		return 0, 0, false
	}
	return lo, hi, true
}

// canBindPrivileged reports whether this process may bind privileged
// ports: effective uid 0 or CAP_NET_BIND_SERVICE in CapEff of
// /proc/self/status.
func canBindPrivileged() bool {
	if os.Geteuid() == 0 {
		return true
	}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			return hasCapability(strings.TrimSpace(v), capNetBindService)
		}
	}
	return false
}

// hasCapability reports whether bit is set in a hex capability mask.
func hasCapability(hexMask string, bit uint) bool {
	m, err := strconv.ParseUint(hexMask, 16, 64)
	return err == nil && m&(1<<bit) != 0
}
