package serve_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golocal/golocal/serve"
)

// quiet is a logger for tests that do not look at the log.
var quiet = slog.New(slog.DiscardHandler)

// started is a server running serve.Run in the background.
type started struct {
	addr  string
	admin string
	stop  context.CancelFunc
	done  chan error
}

// start runs serve.Run on a fresh loopback listener and waits for OnReady.
func start(t *testing.T, h http.Handler, opts serve.Options) *started {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan serve.Ready, 1)
	userReady := opts.OnReady
	opts.OnReady = func(r serve.Ready) {
		if userReady != nil {
			userReady(r)
		}
		ready <- r
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	s := &started{addr: ln.Addr().String(), stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- serve.Run(ctx, ln, h, opts) }()
	select {
	case r := <-ready:
		if r.AdminAddr != nil {
			s.admin = r.AdminAddr.String()
		}
	case err := <-s.done:
		cancel()
		t.Fatalf("Run returned before ready: %v", err)
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("Run not ready within 5s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			t.Error("Run did not return within 15s of cancel")
		}
	})
	return s
}

// wait returns Run's result, failing after 10 s.
func (s *started) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err // keep it for Cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s")
		return nil
	}
}

func hello(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }

// get returns status, body and the response (its body already read).
func get(t *testing.T, client *http.Client, url string) (int, string, *http.Response) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, string(body), resp
}

func assertRefused(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("dial %s succeeded after Run returned; want connection refused", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v; want connection refused", addr, err)
	}
}

func TestRunServesThenStopsCleanlyOnCancel(t *testing.T) {
	s := start(t, http.HandlerFunc(hello), serve.Options{IgnoreSignals: true})
	if code, body, _ := get(t, http.DefaultClient, "http://"+s.addr+"/"); code != 200 || body != "hello" {
		t.Fatalf("GET = %d %q, want 200 hello", code, body)
	}
	s.stop()
	if err := s.wait(t); err != nil {
		t.Fatalf("Run after a clean stop = %v, want nil", err)
	}
	assertRefused(t, s.addr)
}

func TestRunRejectsBadArguments(t *testing.T) {
	ln := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	tests := []struct {
		name string
		ln   net.Listener
		h    http.Handler
		opts serve.Options
		want string
	}{
		{"nil listener", nil, http.HandlerFunc(hello), serve.Options{}, "nil listener"},
		{"nil handler", ln(), nil, serve.Options{}, "nil handler"},
		{"bad option", ln(), http.HandlerFunc(hello), serve.Options{LameDuck: -1}, "LameDuck"},
		{"admin on every interface", ln(), http.HandlerFunc(hello), serve.Options{Admin: &serve.Admin{Addr: ":0", Handler: http.HandlerFunc(hello)}}, "every network interface"},
		{"admin not host:port", ln(), http.HandlerFunc(hello), serve.Options{Admin: &serve.Admin{Addr: "9090", Handler: http.HandlerFunc(hello)}}, "not host:port"},
		{"admin on a public address", ln(), http.HandlerFunc(hello), serve.Options{Admin: &serve.Admin{Addr: "192.0.2.1:9090", Handler: http.HandlerFunc(hello)}}, "not a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Logger = quiet
			tt.opts.IgnoreSignals = true
			err := serve.Run(context.Background(), tt.ln, tt.h, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error = %v, want one containing %q", err, tt.want)
			}
			if tt.ln != nil {
				// Run owns the listener even when it refuses to start.
				assertRefused(t, tt.ln.Addr().String())
			}
		})
	}
}

func TestStopSequence(t *testing.T) {
	// The hooks run in order before the lame duck; during the lame duck
	// requests are still served, with Connection: close, and a readiness
	// endpoint driven by a hook reports 503.
	var order []string
	var mu sync.Mutex
	record := func(s string) func() {
		return func() { mu.Lock(); order = append(order, s); mu.Unlock() }
	}
	var stopping atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/", hello)
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if stopping.Load() {
			http.Error(w, "stopping", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})
	hookRan := make(chan struct{})
	s := start(t, mux, serve.Options{
		IgnoreSignals: true,
		LameDuck:      300 * time.Millisecond,
		OnStopping: []func(){
			record("first"),
			func() { panic("a broken hook must not stop the drain") },
			func() { stopping.Store(true) },
			record("last"),
			func() { close(hookRan) },
		},
	})
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	// The client removes the Connection header and reports it as
	// resp.Close.
	if _, _, resp := get(t, client, "http://"+s.addr+"/"); resp.Close {
		t.Fatal("Connection: close before the stop began")
	}
	s.stop()
	<-hookRan
	mu.Lock()
	if got := strings.Join(order, ","); got != "first,last" {
		t.Errorf("hooks ran as %q, want first,last", got)
	}
	mu.Unlock()
	// Still in the lame duck (300 ms): served, but readiness is 503 and
	// the client is told to reconnect.
	if code, _, _ := get(t, client, "http://"+s.addr+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz during lame duck = %d, want 503", code)
	}
	code, body, resp := get(t, client, "http://"+s.addr+"/")
	if code != 200 || body != "hello" {
		t.Errorf("GET during lame duck = %d %q, want 200 hello", code, body)
	}
	if !resp.Close {
		t.Error("response during lame duck lacks Connection: close")
	}
	if err := s.wait(t); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	assertRefused(t, s.addr)
}

// blocking returns a handler that signals entry and blocks until release
// is closed (the test closes it in Cleanup, so no goroutine leaks).
func blocking(t *testing.T) (h http.Handler, entered <-chan struct{}) {
	in := make(chan struct{}, 16)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in <- struct{}{}
		<-release
	}), in
}

func TestGraceExceededForcesCloseAndSaysSo(t *testing.T) {
	h, entered := blocking(t)
	s := start(t, h, serve.Options{IgnoreSignals: true, Grace: 200 * time.Millisecond})
	clientErr := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + s.addr + "/")
		if err == nil {
			resp.Body.Close()
		}
		clientErr <- err
	}()
	<-entered
	s.stop()
	err := s.wait(t)
	if err == nil {
		t.Fatal("Run = nil after the grace period ran out; want an error")
	}
	for _, want := range []string{"grace period of 200ms was exceeded", "closed 1 connections by force", "1 with a request in flight"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := <-clientErr; err == nil {
		t.Error("the stuck request got a response; want its connection closed")
	}
}

func TestReadHeaderTimeoutAndMaxHeaderBytes(t *testing.T) {
	s := start(t, http.HandlerFunc(hello), serve.Options{
		IgnoreSignals:     true,
		ReadHeaderTimeout: 200 * time.Millisecond,
		MaxHeaderBytes:    1 << 10,
	})
	t.Run("slow headers are cut off", func(t *testing.T) {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n") // never finish the headers
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		// net/http answers 408 or just closes; either way the read ends
		// long before our 5 s deadline.
		_, err = io.ReadAll(c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the server kept a connection with unfinished headers open for 5s; ReadHeaderTimeout not applied")
		}
	})
	// Over the cap: problem+json from serve. Past net/http's own limit
	// (twice the cap plus its 4 KiB of buffer): net/http's text/plain 431,
	// sent before any handler runs (documented on DefaultMaxHeaderBytes);
	// net/http then closes the connection with the rest unread, and the
	// reset that follows 500 ms later can overtake a slow reader, so there
	// a failed read is accepted too.
	for _, tt := range []struct {
		name, contentType string
		size              int
	}{
		{"just over the cap", "application/problem+json", 1200},
		{"twice the cap", "application/problem+json", 2 << 10},
		// Past the cap plus net/http's 4 KiB buffer, but under twice the
		// cap plus it: still serve's answer, because serve gives net/http
		// twice the cap.
		{"the cap plus 4 KiB", "application/problem+json", 1<<10 + 4<<10 + 200},
		{"1 MiB", "text/plain; charset=utf-8", 1 << 20},
	} {
		t.Run("oversized headers get 431: "+tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			go io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", tt.size)+"\r\n\r\n")
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil && tt.contentType != "application/problem+json" {
				t.Logf("connection cut by net/http before the answer was read: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || resp.Header.Get("Content-Type") != tt.contentType {
				t.Fatalf("status %d %q, want 431 %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), tt.contentType, body)
			}
			if tt.contentType == "application/problem+json" && !strings.Contains(string(body), "limit of 1024 bytes") {
				t.Errorf("problem does not state the limit: %s", body)
			}
		})
	}
	t.Run("under the cap passes", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "http://"+s.addr+"/", nil)
		req.Header.Set("X-Fits", strings.Repeat("a", 800))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}

func TestAdminListener(t *testing.T) {
	admin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "admin") })
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		t.Run(addr, func(t *testing.T) {
			s := start(t, http.HandlerFunc(hello), serve.Options{
				IgnoreSignals: true,
				Admin:         &serve.Admin{Addr: addr, Handler: admin},
			})
			if s.admin == "" {
				t.Fatal("OnReady got no admin address")
			}
			if code, body, _ := get(t, http.DefaultClient, "http://"+s.admin+"/"); code != 200 || body != "admin" {
				t.Errorf("admin GET = %d %q", code, body)
			}
			if _, body, _ := get(t, http.DefaultClient, "http://"+s.addr+"/"); body != "hello" {
				t.Errorf("main GET = %q", body)
			}
			s.stop()
			if err := s.wait(t); err != nil {
				t.Fatal(err)
			}
			assertRefused(t, s.admin)
		})
	}
}

func TestRunSendsReadyAndStopping(t *testing.T) {
	for _, withAdmin := range []bool{false, true} {
		t.Run(fmt.Sprintf("admin=%v", withAdmin), func(t *testing.T) {
			value, got := notifyListener(t, filepath.Join(t.TempDir(), "notify"))
			getenv := func(k string) string {
				if k == serve.NotifySocketEnv {
					return value
				}
				return ""
			}
			o := serve.Options{IgnoreSignals: true, Getenv: getenv}
			if withAdmin {
				o.Admin = &serve.Admin{Addr: "127.0.0.1:0", Handler: http.HandlerFunc(hello)}
			}
			s := start(t, http.HandlerFunc(hello), o)
			msg := receive(t, got)
			if !strings.HasPrefix(msg, "READY=1\n") || !strings.Contains(msg, "STATUS=serving on "+s.addr) {
				t.Errorf("first datagram %q; want READY=1 with a STATUS naming %s", msg, s.addr)
			}
			// The admin address travels in the READY=1 datagram itself.
			wantAdmin := ""
			if withAdmin {
				wantAdmin = serve.NotifyAdminKey + "=" + s.admin
			}
			if gotAdmin := lineWithPrefix(msg, serve.NotifyAdminKey+"="); gotAdmin != wantAdmin {
				t.Errorf("READY datagram %q: admin line %q, want %q", msg, gotAdmin, wantAdmin)
			}
			s.stop()
			if msg := receive(t, got); !strings.HasPrefix(msg, "STOPPING=1") {
				t.Errorf("second datagram %q; want STOPPING=1", msg)
			}
			if err := s.wait(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// lineWithPrefix returns the first line of msg that starts with prefix.
func lineWithPrefix(msg, prefix string) string {
	for line := range strings.SplitSeq(msg, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

func TestBadNotifySocketIsLoggedNotFatal(t *testing.T) {
	var logged strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}), nil))
	s := start(t, http.HandlerFunc(hello), serve.Options{
		IgnoreSignals: true,
		Logger:        log,
		Getenv:        func(string) string { return "relative/socket" },
	})
	if _, body, _ := get(t, http.DefaultClient, "http://"+s.addr+"/"); body != "hello" {
		t.Fatalf("GET = %q", body)
	}
	s.stop()
	if err := s.wait(t); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logged.String(), "sd_notify READY=1 failed") || !strings.Contains(logged.String(), "not an absolute path") {
		t.Errorf("log does not explain the notify failure:\n%s", logged.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// failingListener accepts nothing and fails permanently after one call.
type failingListener struct {
	net.Listener
	calls atomic.Int32
}

var errBroken = errors.New("listener broke")

func (l *failingListener) Accept() (net.Conn, error) {
	if l.calls.Add(1) > 1 {
		return nil, errBroken
	}
	// The first call blocks briefly so that Run sees "accepting" first.
	time.Sleep(50 * time.Millisecond)
	return nil, errBroken
}

func TestListenerErrorIsReturned(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = serve.Run(context.Background(), &failingListener{Listener: inner}, http.HandlerFunc(hello), serve.Options{IgnoreSignals: true, Logger: quiet})
	if !errors.Is(err, errBroken) {
		t.Fatalf("Run = %v, want it to wrap %v", err, errBroken)
	}
}

// selfSigned returns a TLS certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "serve test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func protoHandler(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) }

func TestTLSNegotiatesHTTP2(t *testing.T) {
	cert, pool := selfSigned(t)
	s := start(t, http.HandlerFunc(protoHandler), serve.Options{
		IgnoreSignals: true,
		TLSConfig:     &tls.Config{Certificates: []tls.Certificate{cert}},
	})
	for _, tt := range []struct {
		name  string
		proto func(*http.Protocols)
		want  string
	}{
		{"h2 via ALPN", func(p *http.Protocols) { p.SetHTTP1(true); p.SetHTTP2(true) }, "HTTP/2.0"},
		{"HTTP/1.1 client still served", func(p *http.Protocols) { p.SetHTTP1(true) }, "HTTP/1.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, Protocols: new(http.Protocols)}
			tt.proto(tr.Protocols)
			defer tr.CloseIdleConnections()
			if _, body, _ := get(t, &http.Client{Transport: tr}, "https://"+s.addr+"/"); body != tt.want {
				t.Errorf("served over %q, want %q", body, tt.want)
			}
		})
	}
}

func TestH2COptIn(t *testing.T) {
	h2cOnly := func() *http.Client {
		tr := &http.Transport{Protocols: new(http.Protocols)}
		tr.Protocols.SetUnencryptedHTTP2(true)
		return &http.Client{Transport: tr, Timeout: 5 * time.Second}
	}
	t.Run("enabled", func(t *testing.T) {
		s := start(t, http.HandlerFunc(protoHandler), serve.Options{IgnoreSignals: true, H2C: true})
		c := h2cOnly()
		defer c.CloseIdleConnections()
		if _, body, _ := get(t, c, "http://"+s.addr+"/"); body != "HTTP/2.0" {
			t.Errorf("served over %q, want HTTP/2.0", body)
		}
		if _, body, _ := get(t, http.DefaultClient, "http://"+s.addr+"/"); body != "HTTP/1.1" {
			t.Errorf("HTTP/1.1 client served over %q", body)
		}
	})
	t.Run("off by default", func(t *testing.T) {
		s := start(t, http.HandlerFunc(protoHandler), serve.Options{IgnoreSignals: true})
		c := h2cOnly()
		defer c.CloseIdleConnections()
		resp, err := c.Get("http://" + s.addr + "/")
		if err == nil {
			resp.Body.Close()
			t.Fatalf("h2c request succeeded (%s) without H2C; want it refused", resp.Proto)
		}
	})
}

// acceptSignal reports every connection the server accepts.
type acceptSignal struct {
	net.Listener
	accepted chan struct{}
}

func (l *acceptSignal) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted <- struct{}{}
	}
	return c, err
}

// A connection accepted before the listener closed whose request arrives
// after it closed must still be answered. Plain http.Server.Shutdown drops
// such a request without a response (golang/go#75591): the client gets EOF
// on a fresh connection and cannot safely retry.
func TestRequestOnConnectionAcceptedBeforeCloseIsAnswered(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := inner.Addr().String()
	ln := &acceptSignal{Listener: inner, accepted: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- serve.Run(ctx, ln, http.HandlerFunc(hello), serve.Options{
			IgnoreSignals: true, Logger: quiet, Getenv: func(string) string { return "" },
			OnReady: func(serve.Ready) { close(ready) },
		})
	}()
	<-ready
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	<-ln.accepted
	cancel()
	// Wait (bounded) until the listener is closed: new dials are refused.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still open 5s after cancel")
		}
	}
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("request sent after the listener closed, on a connection accepted before: %v; want a response", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello" || !resp.Close {
		t.Errorf("got %d %q close=%v; want 200 hello with Connection: close", resp.StatusCode, body, resp.Close)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

// An HTTP/2 request in flight when the stop begins completes; Run then
// returns nil.
func TestHTTP2RequestInFlightCompletes(t *testing.T) {
	cert, pool := selfSigned(t)
	stopBegan := make(chan struct{})
	entered := make(chan struct{})
	s := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-stopBegan
		io.WriteString(w, r.Proto)
	}), serve.Options{
		IgnoreSignals: true,
		TLSConfig:     &tls.Config{Certificates: []tls.Certificate{cert}},
		OnStopping:    []func(){func() { close(stopBegan) }},
	})
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	got := make(chan string, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr}).Get("https://" + s.addr + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(body)
	}()
	<-entered
	s.stop()
	if body := <-got; body != "HTTP/2.0" {
		t.Errorf("in-flight HTTP/2 request got %q, want its HTTP/2.0 answer", body)
	}
	if err := s.wait(t); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
}
