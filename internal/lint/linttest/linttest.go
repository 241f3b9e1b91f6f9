// Package linttest serves canned HTTP/1.x response bytes over real TCP on
// loopback, so tests can feed clients (net/http, the probe's raw capture)
// responses that no well-behaved server would send: bare LF, folded lines,
// conflicting Content-Length, control bytes.
//
//	srv := linttest.Serve(t, []byte("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"))
//	resp, err := http.Get(srv.URL() + "/")
//
// Each connection gets the request head read (up to a blank line, 64 KiB or
// a deadline), then the canned bytes, then a close — so a body delimited by
// connection close ends where the bytes end.
//
// [ServeH2] does the same for HTTP/2 over TLS, from raw frames: it can send
// upper-case field names and connection-specific fields, which no
// conforming HTTP/2 stack lets a test send.
package linttest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"
)

// maxRequestHead bounds what the server reads of a request.
const maxRequestHead = 64 << 10

// Server is a loopback TCP server writing canned bytes.
type Server struct {
	// Addr is host:port of the listener, e.g. "127.0.0.1:41234".
	Addr string

	ln      net.Listener
	respond func(requestHead []byte) []byte
	h2      func(conn int, request []H2Field) H2Response // set for an HTTP/2 server (ServeH2)
	tls     *tls.Config
	roots   *x509.CertPool
	wg      sync.WaitGroup

	mu       sync.Mutex
	requests [][]byte
	nconn    int                   // connections accepted so far
	conns    map[net.Conn]struct{} // open connections, closed by Close
}

// Serve starts a server that answers every connection with raw. It stops
// when the test ends.
func Serve(t testing.TB, raw []byte) *Server {
	return ServeFunc(t, func([]byte) []byte { return raw })
}

// ServeFunc starts a server that answers each connection with the bytes
// respond returns for the request head it read (request line and fields,
// as sent). respond runs on the connection's goroutine.
func ServeFunc(t testing.TB, respond func(requestHead []byte) []byte) *Server {
	t.Helper()
	return start(t, respond, nil, nil, nil)
}

// ServeTLS is [Serve] over TLS (HTTP/1.1 only: ALPN offers http/1.1) with
// a fresh self-signed certificate for 127.0.0.1 and localhost. Clients
// trust it through [Server.ClientTLS].
func ServeTLS(t testing.TB, raw []byte) *Server {
	return ServeFuncTLS(t, func([]byte) []byte { return raw })
}

// ServeFuncTLS is [ServeFunc] over TLS; see [ServeTLS].
func ServeFuncTLS(t testing.TB, respond func(requestHead []byte) []byte) *Server {
	t.Helper()
	cert, roots, err := selfSigned()
	if err != nil {
		t.Fatalf("linttest: make a test certificate: %v", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
	return start(t, respond, nil, cfg, roots)
}

func start(t testing.TB, respond func([]byte) []byte, h2 func(int, []H2Field) H2Response, cfg *tls.Config, roots *x509.CertPool) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("linttest: listen on loopback: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, respond: respond, h2: h2, tls: cfg, roots: roots, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// URL returns "http://" + Addr, or "https://" + Addr for a TLS server.
func (s *Server) URL() string {
	if s.tls != nil {
		return "https://" + s.Addr
	}
	return "http://" + s.Addr
}

// ClientTLS returns a client configuration that trusts the server's
// certificate, or nil for a plain server.
func (s *Server) ClientTLS() *tls.Config {
	if s.tls == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.roots, ServerName: "127.0.0.1", NextProtos: s.tls.NextProtos, MinVersion: tls.VersionTLS12}
}

func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "linttest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots, nil
}

// Requests returns copies of the request heads received so far, in order.
func (s *Server) Requests() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.requests))
	for i, r := range s.requests {
		out[i] = bytes.Clone(r)
	}
	return out
}

// Roots returns a pool holding the server's self-signed certificate, or
// nil for a plain server.
func (s *Server) Roots() *x509.CertPool { return s.roots }

// Close stops the listener, closes open connections and waits for their
// goroutines to finish.
func (s *Server) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.nconn++
		n := s.nconn
		s.conns[conn] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
			}()
			s.serve(conn, n)
		}()
	}
}

func (s *Server) serve(conn net.Conn, n int) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if s.tls != nil {
		tc := tls.Server(conn, s.tls)
		if err := tc.Handshake(); err != nil {
			return
		}
		conn = tc
		defer tc.Close()
	}
	if s.h2 != nil {
		s.serveH2(conn, n)
		return
	}
	head, err := readHead(conn)
	if err != nil && len(head) == 0 {
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, head)
	s.mu.Unlock()
	_, _ = conn.Write(s.respond(head))
	// Half-close so the client sees EOF after the bytes, then drain what
	// the client may still send so the kernel does not reset the connection
	// (a reset can discard response bytes the client has not read yet).
	if tc, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, _ = io.Copy(io.Discard, io.LimitReader(conn, maxRequestHead))
	}
}

// readHead reads until the blank line ending the request head.
func readHead(conn net.Conn) ([]byte, error) {
	var head []byte
	buf := make([]byte, 4096)
	for len(head) < maxRequestHead {
		n, err := conn.Read(buf)
		head = append(head, buf[:n]...)
		if i := bytes.Index(head, []byte("\r\n\r\n")); i >= 0 {
			return head[:i+4], nil
		}
		if i := bytes.Index(head, []byte("\n\n")); i >= 0 {
			return head[:i+2], nil
		}
		if err != nil {
			return head, err
		}
	}
	return head, errors.New("linttest: request head over 64 KiB")
}
