package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/golocal/golocal/internal/lint"
)

// ErrorKind classifies why a request failed.
type ErrorKind string

// Kinds of request failure.
const (
	ErrDNS          ErrorKind = "dns"            // the host name did not resolve
	ErrRefused      ErrorKind = "refused"        // nothing listens at the address
	ErrConnect      ErrorKind = "connect"        // another connection failure
	ErrTLS          ErrorKind = "tls"            // the TLS handshake failed
	ErrTimeout      ErrorKind = "timeout"        // --timeout passed
	ErrHeadTooLarge ErrorKind = "head-too-large" // the response head passed MaxHeaderBytes
	ErrBodyTooLarge ErrorKind = "body-too-large" // the body passed MaxBodyBytes
	ErrProtocol     ErrorKind = "protocol"       // no HTTP response could be read
	ErrRedirect     ErrorKind = "redirect"       // too many redirects or a bad Location
	ErrURL          ErrorKind = "url"            // the URL cannot be probed (no host, unsupported scheme, …)
)

// Error is a failed request: what happened, in words a user can act on.
type Error struct {
	Kind    ErrorKind
	Message string
	Err     error // the underlying error, if any
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// tlsHandshakeError marks an error of the TLS handshake itself.
type tlsHandshakeError struct{ err error }

func (e *tlsHandshakeError) Error() string { return e.err.Error() }
func (e *tlsHandshakeError) Unwrap() error { return e.err }

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isHeadTooLarge(err error) bool {
	return err != nil && strings.Contains(err.Error(), "server response headers exceeded")
}

// classifyError turns a client error into an [Error] with a message that says
// what happened and what to do.
func classifyError(err error, h *Hop, opts Options, wire int64) *Error {
	host := h.URL.Host
	var dnsErr *net.DNSError
	var tlsErr *tlsHandshakeError
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, errBodyCap):
		return &Error{Kind: ErrBodyTooLarge, Err: err, Message: fmt.Sprintf(
			"stopped reading the body after %d bytes (--max-body %d): the body is larger or endless", h.BodyBytes, opts.MaxBodyBytes)}
	case isHeadTooLarge(err):
		return &Error{Kind: ErrHeadTooLarge, Err: err, Message: fmt.Sprintf(
			"the response head is larger than %d bytes (%d bytes received); browsers refuse heads far smaller (Chromium: 256 KiB)", opts.MaxHeaderBytes, wire)}
	case isTimeout(err):
		return &Error{Kind: ErrTimeout, Err: err, Message: timeoutMessage(h, opts, wire)}
	case errors.As(err, &dnsErr):
		return &Error{Kind: ErrDNS, Err: err, Message: fmt.Sprintf(
			"cannot resolve host %q: %s; check the name, or pin it with --resolve %s:ADDR", lint.Escape(h.URL.Hostname()), lint.Escape(dnsErr.Err), hostPort(h.URL))}
	case errors.As(err, &certErr):
		return &Error{Kind: ErrTLS, Err: err, Message: fmt.Sprintf(
			"TLS handshake with %s failed: the certificate is not trusted (%s); fix the certificate, or pass -k to probe anyway (the certificate is still reported)", lint.Escape(host), lint.Escape(certErr.Err.Error()))}
	case errors.As(err, &tlsErr):
		return &Error{Kind: ErrTLS, Err: err, Message: fmt.Sprintf(
			"TLS handshake with %s failed: %s; is the server speaking TLS on this port (try http://)?", lint.Escape(host), lint.Escape(tlsErr.err.Error()))}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Error{Kind: ErrRefused, Err: err, Message: fmt.Sprintf(
			"connection to %s refused: nothing listens there; is the server running on that port?", lint.Escape(host))}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return &Error{Kind: ErrConnect, Err: err, Message: fmt.Sprintf("cannot connect to %s: %s", lint.Escape(host), lint.Escape(opErr.Err.Error()))}
	}
	msg := fmt.Sprintf("no valid HTTP response from %s: %s", lint.Escape(host), lint.Escape(err.Error()))
	if h.Raw != nil && len(h.Raw.Errors) > 0 {
		msg += " (raw view: " + lint.Escape(strings.Join(h.Raw.Errors[:min(3, len(h.Raw.Errors))], "; ")) + ")"
	} else if wire == 0 && h.Proto == "" {
		msg += " (the server closed the connection without answering)"
	}
	return &Error{Kind: ErrProtocol, Err: err, Message: msg}
}

func hostPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return u.Hostname() + ":" + p
	}
	if u.Scheme == "https" {
		return u.Hostname() + ":443"
	}
	return u.Hostname() + ":80"
}

func timeoutMessage(h *Hop, opts Options, wire int64) string {
	t := h.Timings
	var where string
	switch {
	case t.StartTransfer > 0 && (h.Status != 0 || (h.Raw != nil && h.Raw.HeadComplete)):
		where = fmt.Sprintf("the body was still arriving (%d bytes so far): the server trickles or never ends the body", h.BodyBytes)
	case t.StartTransfer > 0:
		where = fmt.Sprintf("the response head was still arriving (%d bytes so far): the server trickles bytes", wire)
	case t.PostTransfer > 0:
		where = "the request was sent but no response byte came: the server never answers"
	case t.PreTransfer > 0 || t.AppConnect > 0:
		where = "connected, but the request could not be sent"
	case t.Connect > 0:
		where = "connected, but the TLS handshake did not finish"
	case t.NameLookup > 0:
		where = "the connection was not established"
	default:
		where = "the host name did not resolve in time"
	}
	return fmt.Sprintf("no complete response from %s within %s (--timeout): %s", lint.Escape(h.URL.Host), opts.Timeout, where)
}
