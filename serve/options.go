package serve

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Defaults applied by [Run] when the matching [Options] field is zero.
// Each one is chosen for a service that sits behind a load balancer or is
// reached directly by browsers; the reasons are on each constant.
const (
	// DefaultReadHeaderTimeout bounds how long a client may take to send the
	// request line and headers. Ten seconds is generous for any real client
	// on a slow link and still stops slowloris-style attacks, which hold
	// connections open by trickling header bytes.
	DefaultReadHeaderTimeout = 10 * time.Second

	// DefaultReadTimeout bounds reading the whole request, body included.
	// Thirty seconds covers ordinary form posts and JSON bodies; a handler
	// that accepts large uploads extends its own deadline with
	// [http.ResponseController.SetReadDeadline] instead of raising the
	// limit for every route.
	DefaultReadTimeout = 30 * time.Second

	// DefaultIdleTimeout is how long a keep-alive connection may sit idle
	// between requests. It is deliberately longer than the idle timeout of
	// common load balancers (often 60 s): if the server closed idle
	// connections first, a balancer could send a request on a connection at
	// the moment the server closes it, and the client would see a 502.
	DefaultIdleTimeout = 120 * time.Second

	// DefaultMaxHeaderBytes caps request line plus headers at 64 KiB.
	// net/http's own default is 1 MiB, which lets every connection pin a
	// megabyte; browsers and proxies (nginx: 8 KiB per line, 32 KiB total by
	// default) never send more than a few KiB unless cookies have grown out
	// of control, and 64 KiB still leaves room for that.
	DefaultMaxHeaderBytes = 64 << 10

	// DefaultWriteTimeout is zero: no deadline on writing the response.
	// net/http's WriteTimeout is a single deadline for the whole response
	// that starts when the request headers have been read, so any value
	// kills server-sent events, long polls and large downloads midway, and
	// a handler cannot tell it happened. Handlers that want a bound set it
	// per request with [http.ResponseController.SetWriteDeadline].
	DefaultWriteTimeout = 0

	// DefaultGrace is how long [Run] waits for in-flight requests after it
	// closes the listener before it closes the remaining connections by
	// force. Ten seconds lets ordinary requests finish and fits, together
	// with a few seconds of lame duck, inside Kubernetes' default
	// terminationGracePeriodSeconds of 30 s, after which the kubelet sends
	// SIGKILL.
	DefaultGrace = 10 * time.Second
)

// Options configures [Run]. The zero value is ready to use: safe timeouts,
// SIGINT/SIGTERM handling, sd_notify when NOTIFY_SOCKET is set, no lame
// duck, a 10 s grace period, logging to [slog.Default].
//
// For every duration field, zero means "use the default" and a negative
// value means "no limit".
type Options struct {
	// ReadHeaderTimeout: see [DefaultReadHeaderTimeout].
	ReadHeaderTimeout time.Duration
	// ReadTimeout: see [DefaultReadTimeout].
	ReadTimeout time.Duration
	// WriteTimeout: see [DefaultWriteTimeout]. Zero keeps the default of no
	// deadline; a positive value sets one for every response.
	WriteTimeout time.Duration
	// IdleTimeout: see [DefaultIdleTimeout].
	IdleTimeout time.Duration
	// MaxHeaderBytes: see [DefaultMaxHeaderBytes]. Negative means net/http's
	// own default (1 MiB).
	MaxHeaderBytes int

	// LameDuck is how long to keep serving normally after a stop begins and
	// before the listener closes. During it the hooks in OnStopping have
	// already run (readiness reports 503), so load balancers take the
	// instance out of rotation while requests they still send are served.
	// Zero (the default) means no lame duck: right for local development
	// and for the golocal dev runner, which holds new connections itself.
	// Behind a load balancer, use at least one readiness-probe period (for
	// Kubernetes, periodSeconds × failureThreshold, often 5–10 s).
	LameDuck time.Duration

	// Grace is how long to wait, after the listener closed, for in-flight
	// requests to finish; connections still open after it are closed by
	// force and Run returns an error saying how many. Zero means
	// [DefaultGrace]; negative means wait forever (not recommended: a
	// stuck handler then blocks the stop until the orchestrator kills the
	// process).
	Grace time.Duration

	// OnStopping functions are called synchronously, in order, the moment a
	// stop begins, before the lame-duck delay — for example
	// health's MarkStopping, so /readyz answers 503. A panic in one is
	// logged and the stop continues.
	OnStopping []func()

	// OnReady, if set, is called once the server accepts connections (just
	// after READY=1 is sent), with the addresses actually bound. Useful to
	// print URLs or, in tests, to learn the admin port. It runs on Run's
	// goroutine: return promptly, or stop signals wait for it.
	OnReady func(Ready)

	// Admin, if set, is a second server (metrics, pprof, health details)
	// on its own listener, loopback only by default. It starts before the
	// main server reports ready and stops after the main server drained, so
	// it can be scraped during the drain.
	Admin *Admin

	// TLSConfig, if set, serves HTTPS on the listener; HTTP/2 is negotiated
	// by ALPN (RFC 9113 §3.2) through net/http's built-in support. The
	// config must carry a certificate (Certificates, GetCertificate or
	// GetConfigForClient). It is cloned, not modified.
	TLSConfig *tls.Config

	// H2C enables HTTP/2 over cleartext TCP with prior knowledge
	// (RFC 9113 §3.3), alongside HTTP/1.1, through net/http's
	// [http.Protocols]. Opt in only behind a proxy that speaks h2c to its
	// backends (for example gRPC-style upstreams); browsers never use h2c.
	// The HTTP/1.1 Upgrade: h2c dance (removed in RFC 9113) is not
	// supported. H2C and TLSConfig are mutually exclusive.
	H2C bool

	// ConnState, if set, is called on every state change of the main
	// server's connections, as [http.Server.ConnState] (which Run uses
	// itself to follow the drain), after Run's own bookkeeping. It sees
	// every connection the server accepted, including those taken from
	// the backlog at the close, so it is where to count or record them
	// (rather than a listener wrapper, which also keeps the backlog from
	// being taken: see Run).
	ConnState func(net.Conn, http.ConnState)

	// Logger receives lifecycle events (serving, stopping, drained) and
	// net/http's own error log (TLS handshake errors and the like).
	// Nil means [slog.Default].
	Logger *slog.Logger

	// IgnoreSignals turns off the SIGINT/SIGTERM handling. Set it when Run
	// is embedded in a program that handles signals itself and cancels ctx.
	// By default the first SIGINT or SIGTERM starts a graceful stop and a
	// second one (Ctrl-C twice) closes every connection at once.
	IgnoreSignals bool

	// Getenv reads NOTIFY_SOCKET for sd_notify. Nil means [os.Getenv].
	// Tests pass a fake to point notifications at their own socket.
	Getenv func(string) string

	// SharedListener says another process holds the listening socket too
	// and keeps it after this one stops: systemd socket activation
	// (Accept=no), or a supervisor that hands one socket to each new
	// version. The stop then only closes this process's descriptor; the
	// socket keeps listening and the kernel keeps its queued connections
	// for the next process. By default (false) the stop takes the queue
	// itself and stops the socket listening, which would leave a shared
	// socket refusing every connection until its owner recreates it.
	// (golocal dev and listen.PassSockets-style parents that close their
	// copy once the child started do not share the socket.)
	SharedListener bool

	// Test hooks (set through export_test.go): beforeAccept holds the
	// accept loop; noBacklogDrain closes the listener without taking its
	// backlog, as before.
	beforeAccept   func()
	noBacklogDrain bool
}

// Admin describes a second, private HTTP server that shares Run's
// lifecycle. Following tailscale's tsweb, it listens on loopback only, so
// debug and metrics endpoints are never exposed by accident.
type Admin struct {
	// Addr to listen on, for example "127.0.0.1:9090" or "localhost:0".
	// The host must be a loopback address or "localhost" unless
	// AllowNonLoopback is set; an empty host (":9090") means every
	// interface and is refused.
	Addr string
	// Handler serves the admin endpoints (the admin package fills it).
	Handler http.Handler
	// AllowNonLoopback permits a non-loopback Addr. Only set it when the
	// network path to the admin port is protected some other way (for
	// example a Kubernetes pod IP reachable only from the scraper).
	AllowNonLoopback bool
}

// Ready is what [Options.OnReady] receives.
type Ready struct {
	// Addr is the address the main server accepts connections on.
	Addr net.Addr
	// AdminAddr is the admin server's address, or nil without one.
	AdminAddr net.Addr
}

// resolved holds Options after defaults and validation.
type resolved struct {
	Options
	logger *slog.Logger
	grace  time.Duration // <= 0 means forever
}

// pickDuration maps the public convention (0 default, <0 none) to
// net/http's (0 none).
func pickDuration(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	default:
		return v
	}
}

func (o Options) resolve() (*resolved, error) {
	r := &resolved{Options: o}
	r.ReadHeaderTimeout = pickDuration(o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	r.ReadTimeout = pickDuration(o.ReadTimeout, DefaultReadTimeout)
	r.WriteTimeout = pickDuration(o.WriteTimeout, DefaultWriteTimeout)
	r.IdleTimeout = pickDuration(o.IdleTimeout, DefaultIdleTimeout)
	r.grace = pickDuration(o.Grace, DefaultGrace)
	switch {
	case o.MaxHeaderBytes == 0:
		r.MaxHeaderBytes = DefaultMaxHeaderBytes
	case o.MaxHeaderBytes < 0:
		r.MaxHeaderBytes = 0 // net/http: DefaultMaxHeaderBytes (1 MiB)
	}
	if o.LameDuck < 0 {
		return nil, fmt.Errorf("serve: LameDuck is %v; it must be zero (no lame duck) or positive", o.LameDuck)
	}
	if o.TLSConfig != nil {
		if o.H2C {
			return nil, fmt.Errorf("serve: H2C and TLSConfig are both set; over TLS, HTTP/2 is negotiated by ALPN, so drop H2C")
		}
		c := o.TLSConfig
		if len(c.Certificates) == 0 && c.GetCertificate == nil && c.GetConfigForClient == nil {
			return nil, fmt.Errorf("serve: TLSConfig has no certificate; set Certificates (tls.LoadX509KeyPair) or GetCertificate")
		}
	}
	if o.Admin != nil && o.Admin.Handler == nil {
		return nil, fmt.Errorf("serve: Admin.Handler is nil; give the admin server a handler or leave Admin nil")
	}
	r.logger = o.Logger
	if r.logger == nil {
		r.logger = slog.Default()
	}
	return r, nil
}
