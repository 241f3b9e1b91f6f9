package listen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

	"github.com/golocal/golocal/internal/procnet"
)

// DefaultAddr is used when neither Options.Addr, PORT nor Options.Default
// gives an address.
const DefaultAddr = "127.0.0.1:8080"

// Sources reported in [Result.Source] and in error messages.
const (
	SourceActivation = "LISTEN_FDS"
	SourceOption     = "option"
	SourcePORT       = "PORT"
	SourceDefault    = "default"
	SourceFallback   = "fallback"
)

// Options says where to listen. The zero value listens on PORT from the
// environment, else 127.0.0.1:8080, unless the parent passed a socket.
type Options struct {
	// Addr is the address to listen on: "8080", ":8080", "127.0.0.1:8080"
	// or "[::1]:8080". When set it wins over PORT. A missing host means
	// LOOPBACK, not all interfaces as with net.Listen; see AllInterfaces.
	Addr string
	// Default is used when neither Addr nor PORT is set; DefaultAddr when
	// empty.
	Default string
	// Fallback lists ports tried in order, on the same host, when the first
	// address is in use or privileged: "8081-8089, 9000" (see [ParsePorts]).
	Fallback string
	// AllInterfaces makes an address without a host ("8080", ":8080", PORT)
	// listen on every interface. Writing the host "0.0.0.0" or "[::]" does
	// the same explicitly.
	AllInterfaces bool
	// Network is "tcp" (default), "tcp4" or "tcp6".
	Network string
	// FDName selects, among several inherited sockets, the one whose
	// LISTEN_FDNAMES entry matches; the first one when empty.
	FDName string
	// IgnoreInherited skips socket activation (LISTEN_FDS).
	IgnoreInherited bool
	// Getenv reads the environment; os.Getenv when nil. An empty value
	// counts as unset unless LookupEnv is also given.
	Getenv func(string) string
	// LookupEnv reads the environment telling unset from empty; used in
	// preference to Getenv. os.LookupEnv when both are nil.
	LookupEnv func(string) (string, bool)
	// Unsetenv removes the socket-activation variables after use, so that
	// children of this process do not believe the sockets are theirs;
	// os.Unsetenv when nil.
	Unsetenv func(string) error
}

// Attempt is one address that was tried and failed.
type Attempt struct {
	// Addr is the address tried and Source where it came from.
	Addr, Source string
	// Err says why it failed: a *PortInUseError, *PrivilegedPortError, …
	Err error
}

// Result is the listener obtained and how.
type Result struct {
	// Listener is ready to Accept; the caller closes it. A socket
	// opened here is plain TCP, not Multipath TCP (which Go's
	// net.ListenConfig uses by default on Linux since Go 1.24): serve's
	// close refuses new handshakes with a socket filter while it takes
	// the accept queue, and MPTCP sockets take no filter. HTTP clients
	// rarely speak MPTCP, and those that do fall back to TCP.
	Listener net.Listener
	// Addr is the address actually bound ("127.0.0.1:8081"), resolved when
	// port 0 was asked for.
	Addr string
	// Source says where the address came from: "LISTEN_FDS" (inherited
	// socket), "option" (Options.Addr), "PORT", "default" or "fallback".
	Source string
	// Name is the LISTEN_FDNAMES name of an inherited socket.
	Name string
	// Attempts are the addresses tried before this one, with why each
	// failed. Empty when the first address worked.
	Attempts []Attempt
	// Warnings are things that work now but may bite later: a port in the
	// ephemeral range, an ignored LISTEN_PID, extra inherited sockets.
	Warnings []string
}

// Listen opens the listener a service should use, in this order:
//
//  1. a socket passed by the parent (systemd socket activation:
//     LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES; see [Inherited]);
//  2. Options.Addr; else the PORT environment variable; else
//     Options.Default; else [DefaultAddr];
//  3. when that address is in use or privileged, each port of
//     Options.Fallback on the same host.
//
// An address without a host means loopback (127.0.0.1), unlike net.Listen:
// listening on all interfaces must be asked for with Options.AllInterfaces or
// an explicit "0.0.0.0:PORT" / "[::]:PORT".
//
// Errors name the value and where it came from, and say what to do:
// *ValueError for bad input, *PortInUseError naming the holder's pid and
// command, *PrivilegedPortError, *AllFailedError when every fallback failed.
func Listen(ctx context.Context, opts Options) (*Result, error) {
	lookup := lookupFunc(opts)
	unsetenv := opts.Unsetenv
	if unsetenv == nil {
		unsetenv = os.Unsetenv
	}
	network := opts.Network
	if network == "" {
		network = "tcp"
	}
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, &ValueError{Name: "Options.Network", Value: opts.Network, Source: "options", Reason: `must be "tcp", "tcp4" or "tcp6"`}
	}

	var warnings []string
	if !opts.IgnoreInherited {
		inherited, warns, err := Inherited(func(k string) string { v, _ := lookup(k); return v }, unsetenv)
		warnings = append(warnings, warns...)
		if err != nil {
			return nil, err
		}
		if len(inherited) > 0 {
			return pickInherited(inherited, opts.FDName, warnings)
		}
	}

	primary, source, err := primaryEndpoint(opts, lookup)
	if err != nil {
		return nil, err
	}
	var fallback []int
	if opts.Fallback != "" {
		fallback, err = ParsePorts(opts.Fallback)
		if err != nil {
			return nil, &ValueError{Name: "Options.Fallback", Value: opts.Fallback, Source: "options", Reason: err.Error()}
		}
	}

	candidates := []struct {
		ep     endpoint
		source string
	}{{primary, source}}
	for _, p := range fallback {
		if p != primary.port {
			candidates = append(candidates, struct {
				ep     endpoint
				source string
			}{endpoint{host: primary.host, port: p}, SourceFallback})
		}
	}

	ephLow, ephHigh := EphemeralRange()
	var attempts []Attempt
	var lc net.ListenConfig
	lc.SetMultipathTCP(false) // see Result.Listener
	for _, c := range candidates {
		addr := c.ep.String()
		ln, err := lc.Listen(ctx, network, addr)
		if err == nil {
			res := &Result{Listener: ln, Addr: ln.Addr().String(), Source: c.source, Attempts: attempts, Warnings: warnings}
			if w := EphemeralWarning(c.ep.port, ephLow, ephHigh, c.source); w != "" {
				res.Warnings = append(res.Warnings, w)
			}
			return res, nil
		}
		err = explainBindError(err, c.ep, c.source)
		attempts = append(attempts, Attempt{Addr: addr, Source: c.source, Err: err})
		if !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	if len(attempts) == 1 {
		return nil, attempts[0].Err
	}
	return nil, &AllFailedError{Attempts: attempts}
}

func lookupFunc(opts Options) func(string) (string, bool) {
	switch {
	case opts.LookupEnv != nil:
		return opts.LookupEnv
	case opts.Getenv != nil:
		return func(k string) (string, bool) {
			v := opts.Getenv(k)
			return v, v != ""
		}
	default:
		return os.LookupEnv
	}
}

func primaryEndpoint(opts Options, lookup func(string) (string, bool)) (endpoint, string, error) {
	if opts.Addr != "" {
		ep, err := parseEndpoint(opts.Addr, opts.AllInterfaces)
		if err != nil {
			return endpoint{}, "", &ValueError{Name: "Options.Addr", Value: opts.Addr, Source: "options", Reason: err.Error()}
		}
		return ep, SourceOption, nil
	}
	if v, ok := lookup("PORT"); ok {
		// PORT is a bare port by convention (Heroku, Cloud Run, Fly):
		// "host:port" there is a mistake worth reporting.
		p, err := parsePortNumber(v, false)
		if err != nil {
			return endpoint{}, "", &ValueError{Name: "PORT", Value: v, Source: "the environment", Reason: err.Error() + "; set PORT to a port such as 8080 or unset it"}
		}
		return endpoint{host: defaultHost(opts.AllInterfaces), port: p}, SourcePORT, nil
	}
	def := opts.Default
	if def == "" {
		def = DefaultAddr
	}
	ep, err := parseEndpoint(def, opts.AllInterfaces)
	if err != nil {
		return endpoint{}, "", &ValueError{Name: "Options.Default", Value: def, Source: "options", Reason: err.Error()}
	}
	return ep, SourceDefault, nil
}

// explainBindError turns the kernel's errno into an error a person can act on.
func explainBindError(err error, ep endpoint, source string) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		holders, _ := procnet.HoldersOf(ep.port) // best effort: /proc may be absent
		return &PortInUseError{Addr: ep.String(), Source: source, Holders: holders, Err: err}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		start := UnprivilegedPortStart()
		if perr := CheckPrivilege(ep.port, start, canBindPrivileged(), source); perr != nil {
			pe := perr.(*PrivilegedPortError)
			pe.Err = err
			return pe
		}
		return fmt.Errorf("%s (%s): permission denied (%w); a security policy (SELinux, AppArmor, seccomp) may forbid it", ep, source, err)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("%s (%s): %q is not an address of this machine (%w); use 127.0.0.1, or 0.0.0.0 for all interfaces", ep, source, ep.host, err)
	default:
		return fmt.Errorf("%s (%s): %w", ep, source, err)
	}
}

// retryable reports whether the next fallback port may succeed where this
// one failed: only a taken or privileged port, not a bad host.
func retryable(err error) bool {
	var inUse *PortInUseError
	var priv *PrivilegedPortError
	return errors.As(err, &inUse) || errors.As(err, &priv)
}

func pickInherited(inherited []InheritedListener, name string, warnings []string) (*Result, error) {
	chosen := -1
	if name == "" {
		chosen = 0
	} else {
		for i, l := range inherited {
			if l.Name == name {
				chosen = i
				break
			}
		}
	}
	if chosen < 0 {
		var names []string
		for _, l := range inherited {
			names = append(names, strconv.Quote(l.Name))
			_ = l.Listener.Close()
		}
		return nil, &ValueError{Name: "Options.FDName", Value: name, Source: "options",
			Reason: fmt.Sprintf("no inherited socket has that name (LISTEN_FDNAMES gave %v)", names)}
	}
	for i, l := range inherited {
		if i != chosen {
			warnings = append(warnings, fmt.Sprintf("closed inherited socket fd %d (%q) on %s: only one is used", l.FD, l.Name, l.Listener.Addr()))
			_ = l.Listener.Close()
		}
	}
	l := inherited[chosen]
	return &Result{Listener: l.Listener, Addr: l.Listener.Addr().String(), Source: SourceActivation, Name: l.Name, Warnings: warnings}, nil
}
