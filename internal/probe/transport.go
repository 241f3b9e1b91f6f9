package probe

import (
	"cmp"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// The transport phase: a fresh http.Transport per request whose dialers
// are the probe's own. They apply --connect-to, --resolve and -4/-6, do
// the TLS handshake themselves (so the certificate is reported even with
// -k), and wrap HTTP/1.x connections in a [captureConn] so the raw bytes
// are kept below net/http.

// newTransport returns the transport of one hop. Every connection it
// dials is recorded in st (timing marks, TLS state, captures).
func newTransport(opts Options, u *url.URL, st *hopState, deadline time.Time) *http.Transport {
	h2c := opts.HTTP == "2" && u.Scheme == "http"
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	if opts.HTTP != "1.1" {
		protocols.SetHTTP2(true)
	}
	if h2c {
		protocols = new(http.Protocols)
		protocols.SetUnencryptedHTTP2(true)
	}
	limit := opts.captureLimit()
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			c, err := dialTCP(ctx, opts, addr, deadline, st)
			if err != nil || h2c {
				return c, err
			}
			return st.capture(c, limit), nil
		},
		DialTLSContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			tc, err := dialTLS(ctx, opts, u, addr, st, deadline)
			if err != nil {
				return nil, err // not tc: a nil *tls.Conn is a non-nil net.Conn
			}
			if tc.ConnectionState().NegotiatedProtocol == "h2" {
				return tc, nil
			}
			return st.capture(tc, limit), nil
		},
		ForceAttemptHTTP2:      true,
		Protocols:              protocols,
		DisableCompression:     true,
		MaxResponseHeaderBytes: opts.MaxHeaderBytes,
	}
}

// dialTLS connects and does the TLS handshake, recording its end and the
// connection state in st. With -k the chain is verified after the exchange
// (see [Hop.setTransport]), off the clock: curl -k does not verify at all,
// and loading the system roots takes tens of milliseconds that would
// otherwise land in pretransfer.
func dialTLS(ctx context.Context, opts Options, u *url.URL, addr string, st *hopState, deadline time.Time) (*tls.Conn, error) {
	c, err := dialTCP(ctx, opts, addr, deadline, st)
	if err != nil {
		return nil, err
	}
	protos := []string{"h2", "http/1.1"}
	if opts.HTTP == "1.1" {
		protos = []string{"http/1.1"}
	}
	cfg := &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: opts.Insecure, RootCAs: opts.RootCAs, NextProtos: protos}
	tc := tls.Client(c, cfg)
	_ = c.SetDeadline(deadline)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = c.Close()
		return nil, &tlsHandshakeError{err}
	}
	st.markFirst(&st.tlsDone)
	_ = c.SetDeadline(time.Time{})
	cs := tc.ConnectionState()
	st.mu.Lock()
	st.tls = &cs
	st.mu.Unlock()
	return tc, nil
}

// dialTCP applies --connect-to, --resolve and -4/-6, then connects. The
// context carries the trace, so DNS and connect hooks fire. st, when not
// nil, records how long picking the address took (namelookup when no DNS
// lookup runs).
func dialTCP(ctx context.Context, opts Options, addr string, deadline time.Time, st *hopState) (net.Conn, error) {
	picking := time.Now()
	targets, err := dialTarget(addr, opts.ConnectTo, opts.Resolve)
	if err != nil {
		return nil, err
	}
	if st != nil && allIPs(targets) {
		st.picked(time.Since(picking))
	}
	network := "tcp"
	switch opts.IPVersion {
	case 4:
		network = "tcp4"
	case 6:
		network = "tcp6"
	}
	d := &net.Dialer{Deadline: deadline}
	var first error
	for _, t := range targets {
		c, err := d.DialContext(ctx, network, t)
		if err == nil {
			return c, nil
		}
		first = cmp.Or(first, err)
	}
	return nil, first
}

// allIPs reports whether every host:port target is an IP literal, so that
// dialling it needs no name lookup.
func allIPs(targets []string) bool {
	for _, t := range targets {
		host, _, err := net.SplitHostPort(t)
		if _, perr := netip.ParseAddr(host); err != nil || perr != nil {
			return false
		}
	}
	return len(targets) > 0
}
