package serve

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// NotifySocketEnv is the environment variable through which a supervisor
// (systemd, or the golocal dev runner) passes its notification socket.
const NotifySocketEnv = "NOTIFY_SOCKET"

// NotifyAdminKey is the sd_notify variable through which [Run] tells its
// supervisor the admin server's address ("X_GOLOCAL_ADMIN=127.0.0.1:41234"),
// in the READY=1 datagram. The X_ prefix marks it as an extension, as the
// protocol asks; systemd ignores it.
const NotifyAdminKey = "X_GOLOCAL_ADMIN"

// maxUnixPath is the size of sun_path on Linux (108) minus the NUL
// terminator; longer names cannot be addressed.
const maxUnixPath = 107

// Notify sends a state string such as "READY=1" or "STOPPING=1" to the
// service manager, following the sd_notify protocol
// (https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html):
// one datagram of newline-separated KEY=VALUE assignments on the
// AF_UNIX/SOCK_DGRAM socket named by NOTIFY_SOCKET. A name that starts with
// '@' is a Linux abstract socket.
//
// getenv reads NOTIFY_SOCKET (nil means [os.Getenv]). When it is unset,
// Notify does nothing and reports sent == false with a nil error: running
// without a supervisor is normal. [Run] calls Notify itself; use it
// directly only for states Run does not send (for example "RELOADING=1").
func Notify(getenv func(string) string, state string) (sent bool, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	value := getenv(NotifySocketEnv)
	if value == "" {
		return false, nil
	}
	addr, err := parseNotifySocket(value)
	if err != nil {
		return false, err
	}
	conn, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return false, fmt.Errorf("sd_notify: cannot reach %s=%q: %w; is the supervisor still running?", NotifySocketEnv, value, err)
	}
	defer conn.Close()
	// A datagram send to a live socket completes at once; the deadline only
	// guards against a receiver whose queue is full, so a wedged
	// supervisor can never stall a stop.
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("sd_notify: sending %q to %s=%q: %w", firstLine(state), NotifySocketEnv, value, err)
	}
	return true, nil
}

// parseNotifySocket validates a NOTIFY_SOCKET value and turns it into a
// unixgram address. systemd also accepts "vsock:CID:PORT" for virtual
// machines; that is refused with a clear error rather than misread as a
// relative path.
func parseNotifySocket(value string) (*net.UnixAddr, error) {
	switch {
	case strings.ContainsRune(value, 0):
		return nil, fmt.Errorf("sd_notify: %s contains a NUL byte; it must be an absolute socket path or @abstract-name", NotifySocketEnv)
	case strings.HasPrefix(value, "vsock:"):
		return nil, fmt.Errorf("sd_notify: %s=%q is a VSOCK address, which is not supported; use a unix socket path", NotifySocketEnv, value)
	case len(value) > maxUnixPath:
		return nil, fmt.Errorf("sd_notify: %s is %d bytes long; unix socket names are limited to %d", NotifySocketEnv, len(value), maxUnixPath)
	case value == "@":
		return nil, fmt.Errorf("sd_notify: %s=\"@\" names an empty abstract socket; expected @name", NotifySocketEnv)
	case strings.HasPrefix(value, "@"):
		// Go's net package maps a leading '@' to the abstract namespace
		// (a leading NUL in sun_path) on Linux.
		return &net.UnixAddr{Name: value, Net: "unixgram"}, nil
	case strings.HasPrefix(value, "/"):
		return &net.UnixAddr{Name: value, Net: "unixgram"}, nil
	default:
		return nil, fmt.Errorf("sd_notify: %s=%q is not an absolute path or @abstract-name; the supervisor set it wrongly", NotifySocketEnv, value)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
