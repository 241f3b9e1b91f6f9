package listen

import (
	"fmt"
	"strings"

	"github.com/golocal/golocal/internal/procnet"
)

// ValueError reports a bad value: what it was, where it came from and what
// is wrong with it, e.g.
//
//	PORT="70000" from the environment: 70000 is out of range; port must be 1-65535
type ValueError struct {
	// Name of the setting: "PORT", "LISTEN_FDS", "Options.Addr", …
	Name string
	// Value as given.
	Value string
	// Source says where the value came from: "the environment", "options".
	Source string
	// Reason says what is wrong and what to do.
	Reason string
}

// Error implements the error interface.
func (e *ValueError) Error() string {
	return fmt.Sprintf("%s=%q from %s: %s", e.Name, e.Value, e.Source, e.Reason)
}

// PortInUseError reports that another socket holds the address.
type PortInUseError struct {
	// Addr is the address that could not be bound.
	Addr string
	// Source says where the address came from (see [Result.Source]).
	Source string
	// Holders are the listening sockets on that port with their processes,
	// as far as /proc shows them (empty when it cannot be read).
	Holders []procnet.Socket
	// Err is the underlying error (EADDRINUSE).
	Err error
}

// Error implements the error interface.
func (e *PortInUseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) is already in use", e.Addr, e.Source)
	var named []string
	for _, h := range e.Holders {
		named = append(named, h.String())
	}
	if len(named) > 0 {
		fmt.Fprintf(&b, " by %s", strings.Join(named, ", "))
	} else {
		b.WriteString(" (the holder could not be identified; as root, `golocal port` names it)")
	}
	b.WriteString("; stop it or choose another port (`golocal port --next 8080-8099` finds a free one)")
	return b.String()
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *PortInUseError) Unwrap() error { return e.Err }

// PrivilegedPortError reports a port below the unprivileged start
// (/proc/sys/net/ipv4/ip_unprivileged_port_start, 1024 by default) bound
// without root or CAP_NET_BIND_SERVICE.
type PrivilegedPortError struct {
	Port int
	// Source says where the port came from (see [Result.Source]).
	Source string
	// UnprivilegedStart is the first port any user may bind.
	UnprivilegedStart int
	// Suggest is an unprivileged port to use instead.
	Suggest int
	// Err is the underlying error (EACCES), nil when the decision was made
	// from the /proc values alone.
	Err error
}

// Error implements the error interface.
func (e *PrivilegedPortError) Error() string {
	return fmt.Sprintf("port %d (%s) needs root or CAP_NET_BIND_SERVICE: ports below %d are privileged (/proc/sys/net/ipv4/ip_unprivileged_port_start); try %d or set PORT",
		e.Port, e.Source, e.UnprivilegedStart, e.Suggest)
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *PrivilegedPortError) Unwrap() error { return e.Err }

// AllFailedError reports that no address of the primary and fallback list
// could be bound. errors.As finds the individual errors (for example a
// *PortInUseError) through Unwrap.
type AllFailedError struct {
	Attempts []Attempt
}

// Error implements the error interface.
func (e *AllFailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no address could be bound (%d tried):", len(e.Attempts))
	for _, a := range e.Attempts {
		fmt.Fprintf(&b, "\n  %s: %v", a.Addr, a.Err)
	}
	return b.String()
}

// Unwrap returns the error of every attempt.
func (e *AllFailedError) Unwrap() []error {
	out := make([]error, len(e.Attempts))
	for i, a := range e.Attempts {
		out[i] = a.Err
	}
	return out
}
