package devloop

import (
	"bufio"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// listenSocket is a listening TCP socket found in /proc/net/tcp{,6}.
type listenSocket struct {
	IP    net.IP
	Port  int
	Inode uint64
}

// listeningSockets parses /proc/net/tcp and /proc/net/tcp6 and returns the
// sockets in state LISTEN (0A).
func listeningSockets() []listenSocket {
	var out []listenSocket
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		out = append(out, parseProcNetTCP(string(data))...)
	}
	return out
}

func parseProcNetTCP(data string) []listenSocket {
	var out []listenSocket
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" {
			continue
		}
		ipHex, portHex, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseUint(portHex, 16, 16)
		if err != nil {
			continue
		}
		raw, err := hex.DecodeString(ipHex)
		if err != nil || (len(raw) != 4 && len(raw) != 16) {
			continue
		}
		// The kernel prints each 32-bit word in host (little-endian) order.
		ip := make(net.IP, len(raw))
		for i := 0; i < len(raw); i += 4 {
			ip[i], ip[i+1], ip[i+2], ip[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
		}
		inode, err := strconv.ParseUint(fields[9], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, listenSocket{IP: ip, Port: int(port), Inode: inode})
	}
	return out
}

// socketInodes returns the inodes of the sockets process pid has open.
func socketInodes(pid int) map[uint64]bool {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	inodes := map[uint64]bool{}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if s, ok := strings.CutPrefix(target, "socket:["); ok {
			if n, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				inodes[n] = true
			}
		}
	}
	return inodes
}

// listeningSocketsOf returns the listening sockets held by any of pids.
func listeningSocketsOf(pids []int) []listenSocket {
	held := map[uint64]bool{}
	for _, pid := range pids {
		for n := range socketInodes(pid) {
			held[n] = true
		}
	}
	if len(held) == 0 {
		return nil
	}
	var out []listenSocket
	for _, s := range listeningSockets() {
		if held[s.Inode] {
			out = append(out, s)
		}
	}
	return out
}

// descendants returns the pids of every process below pid (children,
// grandchildren, ...), read from /proc/*/stat.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentOf(p); ok {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// parentOf reads the parent pid from /proc/PID/stat. The command name in
// field 2 may contain spaces and parentheses, so parsing starts after the
// last ')'.
func parentOf(pid int) (int, bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(fields[1])
	return pp, err == nil
}

// PortHolder names the process listening on TCP port, as "name (pid N)", or
// "" when it cannot be found (another user's process, or not Linux).
func PortHolder(port int) string {
	inodes := map[uint64]bool{}
	for _, s := range listeningSockets() {
		if s.Port == port {
			inodes[s.Inode] = true
		}
	}
	if len(inodes) == 0 {
		return ""
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return ""
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		for n := range socketInodes(pid) {
			if inodes[n] {
				comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
				return strings.TrimSpace(string(comm)) + " (pid " + e.Name() + ")"
			}
		}
	}
	return ""
}
