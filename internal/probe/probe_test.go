package probe

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/lint"
	"github.com/golocal/golocal/internal/lint/linttest"
	"github.com/golocal/golocal/middleware"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func hello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "hello, world\n")
}

func tlsServer(t *testing.T, h http.Handler, h2 bool) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = h2
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, pool
}

func TestPhasesPresentAndOrdered(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(hello))
	t.Cleanup(plain.Close)
	tlsSrv, pool := tlsServer(t, http.HandlerFunc(hello), true)
	tests := []struct {
		name      string
		url       string
		opts      Options
		wantProto string
		wantTLS   bool
		wantRaw   bool
	}{
		{"http/1.1 plain", plain.URL + "/", Options{}, "HTTP/1.1", false, true},
		{"http/1.1 over TLS", tlsSrv.URL + "/", Options{HTTP: "1.1", RootCAs: pool}, "HTTP/1.1", true, true},
		{"http/2 over TLS", tlsSrv.URL + "/", Options{RootCAs: pool}, "HTTP/2.0", true, false},
		{"http/2 over TLS with -k", tlsSrv.URL + "/", Options{HTTP: "2", Insecure: true}, "HTTP/2.0", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Run(context.Background(), mustURL(t, tt.url), tt.opts)
			if res.Err != nil {
				t.Fatalf("probe failed: %v", res.Err)
			}
			h := res.Final()
			if h.Proto != tt.wantProto || h.Status != 200 {
				t.Errorf("proto %q status %d, want %q 200", h.Proto, h.Status, tt.wantProto)
			}
			tm := h.Timings
			if tm.Reached != PhaseTotal {
				t.Errorf("reached %q, want total", tm.Reached)
			}
			prev := time.Duration(0)
			for _, p := range Phases {
				v := tm.Get(p)
				if p == PhaseAppConnect && !tt.wantTLS {
					if v != 0 {
						t.Errorf("appconnect %v over plain HTTP, want 0", v)
					}
					continue
				}
				if v <= 0 {
					t.Errorf("phase %s missing: %+v", p, tm)
				}
				if v < prev {
					t.Errorf("phase %s = %v is before the previous phase (%v): %+v", p, v, prev, tm)
				}
				prev = v
			}
			if (h.TLS != nil) != tt.wantTLS {
				t.Errorf("TLS state present = %v, want %v", h.TLS != nil, tt.wantTLS)
			}
			if tt.wantTLS {
				info := SummarizeTLS(h.TLS, h.VerifyError, time.Now())
				if info.Version == "" || info.Cipher == "" || len(info.Chain) == 0 || len(info.Chain[0].SANs) == 0 {
					t.Errorf("incomplete TLS summary: %+v", info)
				}
				if tt.opts.HTTP != "1.1" && h.ALPN != "h2" {
					t.Errorf("ALPN %q, want h2", h.ALPN)
				}
				if tt.opts.Insecure && h.VerifyError == "" {
					t.Error("with -k the untrusted test certificate should be reported")
				}
			}
			if (h.Raw != nil) != tt.wantRaw {
				t.Errorf("raw view present = %v, want %v", h.Raw != nil, tt.wantRaw)
			}
			if tt.wantRaw && (h.Raw.StatusCode != 200 || h.WireBytes <= h.HeadBytes || h.HeadBytes == 0) {
				t.Errorf("raw view: status %d, head %d B, wire %d B", h.Raw.StatusCode, h.HeadBytes, h.WireBytes)
			}
			if h.BodyBytes != int64(len("hello, world\n")) || h.RemoteAddr == "" || h.LocalAddr == "" {
				t.Errorf("body %d B, remote %q local %q", h.BodyBytes, h.RemoteAddr, h.LocalAddr)
			}
		})
	}
}

func TestTrueSizesNoDecompression(t *testing.T) {
	// A gzip body is reported as sent: the probe never decompresses.
	gz := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "" {
			t.Errorf("probe sent Accept-Encoding %q", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(gz)
	}))
	t.Cleanup(srv.Close)
	h := Run(context.Background(), mustURL(t, srv.URL), Options{}).Final()
	if h.BodyBytes != int64(len(gz)) || !bytes.Equal(h.Exchange.Body, gz) {
		t.Errorf("body %d B %x, want the %d gzip bytes", h.BodyBytes, h.Exchange.Body, len(gz))
	}
}

func TestRedirectsHopByHop(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/b", http.StatusFound) })
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/c", http.StatusPermanentRedirect) })
	mux.HandleFunc("/c", hello)
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	res := Run(context.Background(), mustURL(t, srv.URL+"/a"), Options{FollowRedirects: true})
	if res.Err != nil || len(res.Hops) != 3 {
		t.Fatalf("err %v, %d hops, want 3", res.Err, len(res.Hops))
	}
	for i, want := range []int{302, 308, 200} {
		h := res.Hops[i]
		if h.Status != want || h.Timings.Total <= 0 || h.Timings.Connect <= 0 {
			t.Errorf("hop %d: status %d timings %+v, want %d with every phase", i, h.Status, h.Timings, want)
		}
	}
	if got := res.Hops[2].URL.Path; got != "/c" {
		t.Errorf("final hop %s, want /c", got)
	}
	// Without -L the redirect is the answer.
	if res := Run(context.Background(), mustURL(t, srv.URL+"/a"), Options{}); len(res.Hops) != 1 || res.Final().Status != 302 {
		t.Errorf("without -L: %d hops", len(res.Hops))
	}
	res = Run(context.Background(), mustURL(t, srv.URL+"/loop"), Options{FollowRedirects: true, MaxRedirects: 3})
	if res.Err == nil || res.Err.Kind != ErrRedirect || len(res.Hops) != 4 {
		t.Errorf("loop: err %v, %d hops; want a redirect error after 4 hops", res.Err, len(res.Hops))
	}
}

func TestRawFramingDespiteNetHTTP(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		refused bool // Go's client refuses the response
		rules   []string
	}{
		{"conflicting Content-Length", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi", true, []string{"cl-conflict"}},
		{"NUL in a value", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nhi", true, []string{"hdr-ctl-value"}},
		{"folded line", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nhi", false, []string{"hdr-obs-fold"}},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 2\n\nhi", false, []string{"hdr-bare-lf-cr"}},
		{"space before colon", "HTTP/1.1 200 OK\r\nContent-Type : text/plain\r\nContent-Length: 2\r\n\r\nhi", false, []string{"hdr-ws-before-colon"}},
		{"TE and CL", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", false, []string{"te-and-cl"}},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhi", false, []string{"cl-mismatch"}},
		{"bad name", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX Bad(Name): 1\r\nContent-Length: 2\r\n\r\nhi", true, []string{"hdr-bad-name"}},
		{"line without colon", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nnocolon\r\nContent-Length: 2\r\n\r\nhi", true, []string{"hdr-bad-name"}},
		{"bare CR in a value", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nhi", true, []string{"hdr-bare-lf-cr"}},
		{"two Locations", "HTTP/1.1 302 Found\r\nContent-Type: text/plain\r\nLocation: /a\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n", false, []string{"location-multi"}},
		{"two Content-Dispositions", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\nContent-Disposition: inline\r\nContent-Length: 2\r\n\r\nhi", false, []string{"cdisp-multi"}},
		{"two Content-Types", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi", false, []string{"singleton-dup"}},
		{"gzip that is not", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: 7\r\n\r\nnot gz!", false, []string{"ce-corrupt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := linttest.Serve(t, []byte(tt.raw))
			res := Run(context.Background(), mustURL(t, srv.URL()+"/"), Options{Timeout: 5 * time.Second})
			h := res.Final()
			if h.Raw == nil || !h.Raw.HeadComplete {
				t.Fatalf("no raw view: err %v", res.Err)
			}
			if tt.refused && (h.ClientError == "" || h.Status != 0 || res.Err != nil) {
				t.Errorf("want Go's refusal as a finding: client error %q, status %d, err %v", h.ClientError, h.Status, res.Err)
			}
			if tt.name == "short body" {
				// Not Go's refusal of the head: the body ended early. The
				// hop is linted, not failed.
				if res.Err != nil || h.Status != 200 || !strings.Contains(h.ClientError, "unexpected EOF") {
					t.Errorf("short body: err %v, status %d, client error %q; want a linted hop", res.Err, h.Status, h.ClientError)
				}
			} else if !tt.refused && h.ClientError != "" {
				t.Errorf("Go refused what it was expected to accept (and hide): %q", h.ClientError)
			}
			rep := lint.Run(h.Exchange, lint.Options{})
			for _, id := range tt.rules {
				if !rep.Has(id) {
					t.Errorf("%s not reported; findings %+v", id, rep.Findings)
				}
			}
		})
	}
}

// rawServer accepts connections on loopback and hands each to serve.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				go func() { <-done; c.Close() }()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				readRequestHead(c)
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func readRequestHead(c net.Conn) {
	var b []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(b, []byte("\r\n\r\n")) && len(b) < 1<<16 {
		n, err := c.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			return
		}
	}
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestBadInputBounded(t *testing.T) {
	silent := rawServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	trickle := rawServer(t, func(c net.Conn) {
		for _, b := range []byte("HTTP/1.1 200 OK\r\nX-Slow: yes\r\n") {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(40 * time.Millisecond)
		}
	})
	huge := rawServer(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: ")
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		for i := 0; i < 160; i++ { // 10 MB
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(c, "\r\n\r\n")
	})
	endless := rawServer(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
		chunk := bytes.Repeat([]byte("z"), 64<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	silentBody := rawServer(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
		_, _ = io.Copy(io.Discard, c)
	})
	garbage := rawServer(t, func(c net.Conn) { _, _ = c.Write([]byte("\xff\xfe not http at all \x00\r\n\r\n")) })
	closer := rawServer(t, func(c net.Conn) {})
	plain := httptest.NewServer(http.HandlerFunc(hello))
	t.Cleanup(plain.Close)
	untrusted, _ := tlsServer(t, http.HandlerFunc(hello), false)

	tests := []struct {
		name string
		url  string
		opts Options
		kind ErrorKind
		msg  string
	}{
		{"refused", "http://" + closedPort(t) + "/", Options{}, ErrRefused, "refused"},
		{"no such host", "http://no-such-host.invalid/", Options{}, ErrDNS, "cannot resolve"},
		{"TLS to a plain server", "https://" + strings.TrimPrefix(plain.URL, "http://") + "/", Options{}, ErrTLS, "TLS handshake"},
		{"untrusted certificate", untrusted.URL + "/", Options{}, ErrTLS, "-k"},
		{"never answers", "http://" + silent + "/", Options{Timeout: 300 * time.Millisecond}, ErrTimeout, "never answers"},
		{"trickles the head", "http://" + trickle + "/", Options{Timeout: 300 * time.Millisecond}, ErrTimeout, "trickles"},
		{"stalls in the body", "http://" + silentBody + "/", Options{Timeout: 300 * time.Millisecond}, ErrTimeout, "body"},
		{"10 MB header", "http://" + huge + "/", Options{Timeout: 5 * time.Second}, ErrHeadTooLarge, "larger than"},
		{"endless body", "http://" + endless + "/", Options{Timeout: 5 * time.Second, MaxBodyBytes: 2 << 20}, ErrBodyTooLarge, "larger or endless"},
		{"not HTTP", "http://" + garbage + "/", Options{Timeout: 2 * time.Second}, ErrProtocol, "no valid HTTP response"},
		{"closes at once", "http://" + closer + "/", Options{Timeout: 2 * time.Second}, ErrProtocol, "closed the connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res := Run(context.Background(), mustURL(t, tt.url), tt.opts)
			took := time.Since(start)
			if res.Err == nil {
				t.Fatalf("no error; final hop %+v", res.Final())
			}
			if res.Err.Kind != tt.kind || !strings.Contains(res.Err.Message, tt.msg) {
				t.Errorf("error %s %q, want %s containing %q", res.Err.Kind, res.Err.Message, tt.kind, tt.msg)
			}
			limit := max(tt.opts.Timeout, time.Second) + 2*time.Second
			if took > limit {
				t.Errorf("took %v, want under %v", took, limit)
			}
		})
	}
}

func TestInvalidUTF8Escaped(t *testing.T) {
	srv := linttest.Serve(t, []byte("HTTP/1.1 200 \xff\xfe\r\nContent-Type: text/plain\r\nX-Bad: \xc3\x28\x1b[31m\r\nContent-Length: 2\r\n\r\nhi"))
	rep := Probe(context.Background(), mustURL(t, srv.URL()+"/"), Config{})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte{0x1b}) || bytes.Contains(b, []byte(`\u001b`)) {
		t.Errorf("escape byte reached the JSON: %s", b)
	}
	var out bytes.Buffer
	if err := WriteText(&out, rep, termPalette(false)); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out.Bytes(), []byte{0x1b}) || !strings.Contains(out.String(), `\xc3(\x1b[31m`) {
		t.Errorf("text view does not escape the value:\n%s", out.String())
	}
}

func TestActiveCORSAndConneg(t *testing.T) {
	// A reflecting CORS server: every origin is echoed with credentials.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	rep := Probe(context.Background(), mustURL(t, srv.URL+"/"), Config{Origin: "https://app.example.test", Conneg: true})
	if rep.Lint == nil || !rep.Lint.Has("cors-reflect") {
		t.Fatalf("cors-reflect not found: %+v", rep.Lint)
	}
	for _, s := range rep.Lint.Skipped {
		if strings.HasPrefix(s.Rule, "cors-") && strings.Contains(s.Reason, "--origin") {
			t.Errorf("%s skipped although --origin was given: %s", s.Rule, s.Reason)
		}
	}
	if rep.ExitCode != ExitFailure {
		t.Errorf("exit code %d, want 1 for an error finding", rep.ExitCode)
	}
}

func TestRepeatsAndSLO(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(hello))
	t.Cleanup(srv.Close)
	slo, err := ParseSLO("total=10s,ttfb=1ns")
	if err != nil {
		t.Fatal(err)
	}
	rep := Probe(context.Background(), mustURL(t, srv.URL+"/"), Config{Runs: 5, SLO: slo})
	if len(rep.Results) != 5 || rep.Stats[PhaseTotal].N != 5 {
		t.Fatalf("%d runs, stats %+v", len(rep.Results), rep.Stats)
	}
	s := rep.Stats[PhaseTotal]
	if !(s.Min <= s.Median && s.Median <= s.P90 && s.P90 <= s.Max && s.Min > 0) {
		t.Errorf("stats out of order: %+v", s)
	}
	if len(rep.SLO) != 2 || !rep.SLO[0].OK || rep.SLO[1].OK || rep.SLO[1].Of != "median" {
		t.Errorf("SLO results %+v: want total ok, ttfb breached, of median", rep.SLO)
	}
	if rep.ExitCode != ExitFailure {
		t.Errorf("exit %d, want 1 on an SLO breach", rep.ExitCode)
	}
}

func TestPercentile(t *testing.T) {
	v := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		q    int
		want time.Duration
	}{{50, 5}, {90, 9}, {100, 10}, {1, 1}}
	for _, tt := range tests {
		got := Percentile(v, tt.q)
		if tt.q == 50 {
			tt.want = 5 // (5+6)/2 in integer nanoseconds
		}
		if got != tt.want {
			t.Errorf("p%d = %v, want %v", tt.q, got, tt.want)
		}
	}
	if Percentile([]time.Duration{3, 5, 7}, 50) != 5 || Percentile(nil, 50) != 0 {
		t.Error("odd median or empty input wrong")
	}
}

func TestJSONSchema(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(hello))
	t.Cleanup(srv.Close)
	rep := Probe(context.Background(), mustURL(t, srv.URL+"/"), Config{Runs: 2, SLO: SLO{{PhaseTotal, time.Minute}}})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "url", "runs", "hops", "stats_ms", "lint", "slo", "error", "fail_on", "exit_code"} {
		if _, ok := m[k]; !ok {
			t.Errorf("top-level key %q missing", k)
		}
	}
	if m["schema_version"] != float64(SchemaVersion) {
		t.Errorf("schema_version %v", m["schema_version"])
	}
	hop := m["hops"].([]any)[0].(map[string]any)
	for _, k := range []string{"url", "method", "status", "proto", "remote_addr", "local_addr", "timings_ms", "reached", "dns_lookup", "head_bytes", "body_bytes", "wire_bytes", "headers"} {
		if _, ok := hop[k]; !ok {
			t.Errorf("hop key %q missing", k)
		}
	}
	timings := hop["timings_ms"].(map[string]any)
	for _, p := range Phases {
		if _, ok := timings[string(p)].(float64); !ok {
			t.Errorf("timings_ms.%s missing or not a number", p)
		}
	}
	stat := m["stats_ms"].(map[string]any)["total"].(map[string]any)
	for _, k := range []string{"min", "median", "p90", "max", "n"} {
		if _, ok := stat[k]; !ok {
			t.Errorf("stats_ms.total.%s missing", k)
		}
	}
	lintRep := m["lint"].(map[string]any)
	for _, k := range []string{"findings", "score", "grade", "tests"} {
		if _, ok := lintRep[k]; !ok {
			t.Errorf("lint.%s missing", k)
		}
	}
}

func TestJUnitIsXML(t *testing.T) {
	srv := linttest.Serve(t, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\nX-A: \x01<&>\r\n\r\nhi"))
	rep := Probe(context.Background(), mustURL(t, srv.URL()+"/"), Config{SLO: SLO{{PhaseTotal, time.Nanosecond}}})
	var out bytes.Buffer
	if err := WriteJUnit(&out, rep, lint.Error); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out.Bytes(), &suites); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out.String())
	}
	s := suites.Suites[0]
	if s.Tests != len(s.Cases) || s.Tests < len(lint.Rules()) || s.Failures < 3 {
		t.Errorf("tests %d, cases %d, failures %d", s.Tests, len(s.Cases), s.Failures)
	}
	failed := map[string]bool{}
	for _, c := range s.Cases {
		failed[c.Name] = c.Failure != nil
	}
	for _, name := range []string{"request", "cl-conflict", "slo total"} {
		if !failed[name] {
			t.Errorf("test case %q did not fail", name)
		}
	}
}

// TestStackHasNoErrors probes a service built with middleware.Stack in its
// strict production configuration over TLS. The URL names example.com
// (in the httptest certificate) pinned to loopback with --resolve, so the
// Host is not a loopback name and HSTS is sent as in production.
func TestStackHasNoErrors(t *testing.T) {
	stack, err := middleware.Stack(middleware.StackOptions{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		CORS:   &middleware.CORSOptions{AllowedOrigins: []string{"https://app.example.com"}, AllowCredentials: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><title>orders</title><p>hello`)
	})
	for _, h2 := range []bool{true, false} {
		srv, pool := tlsServer(t, stack(mux), h2)
		port, _ := strconv.Atoi(mustURL(t, srv.URL).Port())
		u := mustURL(t, "https://example.com:"+strconv.Itoa(port)+"/")
		res, _ := ParseResolve("example.com:" + strconv.Itoa(port) + ":127.0.0.1")
		rep := Probe(context.Background(), u, Config{Options: Options{RootCAs: pool, Resolve: []Resolve{res}}, Conneg: true, Origin: "https://app.example.com"})
		if rep.Error != nil {
			t.Fatalf("h2=%v: %s", h2, rep.Error.Message)
		}
		if rep.Lint.Count(lint.Error) != 0 {
			t.Errorf("h2=%v: error-level findings on a Stack service: %+v", h2, rep.Lint.Findings)
		}
		if rep.Hops[0].Status != 200 || !hasHeader(rep.Hops[0], "Strict-Transport-Security") {
			t.Errorf("h2=%v: status %d, HSTS missing: %+v", h2, rep.Hops[0].Status, rep.Hops[0].Headers)
		}
		t.Logf("h2=%v: score %d grade %s, %d warnings", h2, rep.Lint.Score, rep.Lint.Grade, rep.Lint.Count(lint.Warn))
	}
}

func hasHeader(h HopJSON, name string) bool {
	for _, f := range h.Headers {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		in, want, note, err string
	}{
		{"localhost:8080/x", "http://localhost:8080/x", "assuming http", ""},
		{"example.test", "http://example.test", "assuming http", ""},
		{"HTTPS://example.test/", "https://example.test/", "", ""},
		{"[::1]:8080", "http://[::1]:8080", "assuming http", ""},
		{"ftp://example.test/", "", "", "unsupported URL scheme"},
		{"mailto:a@b", "", "", "unsupported URL scheme"},
		{"http://", "", "", "no host"},
		{"", "", "", "empty"},
		{"http://exa mple/", "", "", "whitespace"},
		{"http://\xff/", "", "", "UTF-8"},
		{"http://u:p@example.test/", "", "", "user info"},
		{"http://example.test:99999/", "", "", "port"},
	}
	for _, tt := range tests {
		u, note, err := ParseURL(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseURL(%q) err %v, want %q", tt.in, err, tt.err)
			}
		case err != nil:
			t.Errorf("ParseURL(%q): %v", tt.in, err)
		case u.String() != tt.want || !strings.Contains(note, tt.note):
			t.Errorf("ParseURL(%q) = %q note %q, want %q note %q", tt.in, u, note, tt.want, tt.note)
		}
	}
}

func TestContextCancelStops(t *testing.T) {
	silent := rawServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := Run(ctx, mustURL(t, "http://"+silent+"/"), Options{})
	if res.Err == nil || !errors.Is(res.Err, context.DeadlineExceeded) && res.Err.Kind != ErrTimeout {
		t.Errorf("err %v", res.Err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

// TestTextNamesScorePenalties checks that the human view says where the
// points went, and that a plain-http probe is told why HTTPS tests fail.
func TestTextNamesScorePenalties(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want []string
		not  []string
	}{
		{"plain http default Go", "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 2\r\n\r\nhi",
			[]string{"-20 redirection: redirection-missing", "-20 strict-transport-security: hsts-not-implemented-no-https", "plain http:", "-25 content-security-policy: csp-not-implemented"}, nil},
		{"strict headers over http", "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 2\r\n\r\nhi",
			[]string{"-20 redirection", "plain http:"}, []string{"content-security-policy:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := linttest.Serve(t, []byte(tt.raw))
			rep := Probe(context.Background(), mustURL(t, srv.URL()+"/"), Config{})
			var out bytes.Buffer
			if err := WriteText(&out, rep, termPalette(false)); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("text view lacks %q:\n%s", w, out.String())
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out.String(), n) {
					t.Errorf("text view has %q:\n%s", n, out.String())
				}
			}
		})
	}
}

// TestJUnitTimeInSeconds: JUnit's time attribute counts seconds, and a
// loopback exchange takes well under one.
func TestJUnitTimeInSeconds(t *testing.T) {
	srv := linttest.Serve(t, []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"))
	rep := Probe(context.Background(), mustURL(t, srv.URL()+"/"), Config{})
	var out bytes.Buffer
	if err := WriteJUnit(&out, rep, lint.Error); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Time float64 `xml:"time,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out.Bytes(), &suites); err != nil || len(suites.Suites) != 1 {
		t.Fatalf("not XML: %v\n%s", err, out.String())
	}
	total := time.Duration(rep.Hops[len(rep.Hops)-1].Timings[PhaseTotal])
	if got := suites.Suites[0].Time; total <= 0 || got >= 1 || math.Abs(got-total.Seconds()) > 1e-6 {
		t.Errorf("suite time %v s, want the probe's total %v in seconds", got, total)
	}
}

// A server that lies about Content-Length and closes early: the probe
// reports cl-mismatch with the head and the bytes that came, exit 1, and
// never aborts the lint with exit 3 (before the fix it did: "no valid HTTP
// response … unexpected EOF").
func TestShortBodyIsAFinding(t *testing.T) {
	tests := []struct {
		name, head, body string
		wantRule         string
		wantBody         int64 // de-chunked
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 1000\r\nX-Frame-Options: DENY\r\n\r\n", "<p>only part", "cl-mismatch", 12},
		{"content-length, empty body", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n", "", "cl-mismatch", 0},
		{"chunked without last chunk", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\nhello\r\n", "cl-mismatch", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := rawServer(t, func(c net.Conn) { _, _ = io.WriteString(c, tt.head+tt.body) })
			rep := Probe(context.Background(), mustURL(t, "http://"+addr+"/"), Config{Options: Options{Timeout: 5 * time.Second}})
			if rep.Error != nil || rep.ExitCode != ExitFailure || rep.Lint == nil {
				t.Fatalf("error %+v, exit %d, lint %v; want exit 1 with a lint report", rep.Error, rep.ExitCode, rep.Lint != nil)
			}
			var f *lint.Finding
			for i := range rep.Lint.Findings {
				if rep.Lint.Findings[i].Rule == tt.wantRule {
					f = &rep.Lint.Findings[i]
				}
			}
			if f == nil || f.Severity != lint.Error {
				t.Fatalf("no %s error finding; findings %+v", tt.wantRule, rep.Lint.Findings)
			}
			h := rep.Hops[0]
			if h.Status != 200 || !hasHeader(h, "Content-Type") || h.BodyBytes != tt.wantBody {
				t.Errorf("hop: status %d, body %d B, headers %+v; want the head and the %d body bytes received", h.Status, h.BodyBytes, h.Headers, tt.wantBody)
			}
			if h.Reached != PhaseStartTransfer || h.Timings[PhaseTotal] != 0 {
				t.Errorf("reached %q total %v; the body never ended, so total stays 0", h.Reached, h.Timings[PhaseTotal])
			}
			// The rest of the response was linted too.
			if tt.name == "content-length" && !rep.Lint.Has("xcto") {
				t.Errorf("xcto not reported: the head was not linted; findings %+v", rep.Lint.Findings)
			}
		})
	}
}

// TestConnegIgnoresNonces is issue 18's vary-conneg case: a page that
// embeds a fresh CSP nonce and CSRF token in every answer differs between
// the conneg variants only by those tokens, which is not negotiation; a
// page whose text follows Accept-Language without Vary still fires.
func TestConnegIgnoresNonces(t *testing.T) {
	token := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	page := func(w http.ResponseWriter, greeting string) {
		nonce, csrf := token(18), hex.EncodeToString([]byte(token(16)))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'nonce-"+nonce+"'")
		fmt.Fprintf(w, `<!doctype html><title>Orders</title><h1>%s</h1>
<form method="post"><input type="hidden" name="csrf_token" value="%s"><button>Order</button></form>
<script nonce="%s">document.title += " ready";</script>
<p>Request id: %s. Internationalization done server-side.</p>`, greeting, csrf, nonce, token(12))
	}
	nonces := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { page(w, "Hello") }))
	t.Cleanup(nonces.Close)
	language := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		greeting := "Hello"
		if strings.HasPrefix(r.Header.Get("Accept-Language"), "fr") {
			greeting = "Bonjour"
		}
		page(w, greeting)
	}))
	t.Cleanup(language.Close)

	// The bodies really differ per request: the test can fail.
	a, b := Run(context.Background(), mustURL(t, nonces.URL), Options{}), Run(context.Background(), mustURL(t, nonces.URL), Options{})
	if bytes.Equal(a.Final().Body, b.Final().Body) {
		t.Fatal("two answers of the nonce page are identical; the test proves nothing")
	}
	for _, tt := range []struct {
		name string
		url  string
		want bool
	}{{"fresh nonce and CSRF token", nonces.URL, false}, {"text follows Accept-Language", language.URL, true}} {
		t.Run(tt.name, func(t *testing.T) {
			rep := Probe(context.Background(), mustURL(t, tt.url+"/"), Config{Conneg: true})
			if rep.Lint == nil {
				t.Fatalf("no lint report: %+v", rep.Error)
			}
			if got := rep.Lint.Has("vary-conneg"); got != tt.want {
				t.Errorf("vary-conneg fired = %v, want %v; findings %+v", got, tt.want, rep.Lint.Findings)
			}
		})
	}
}

// TestNameLookupOfIPLiteral: for an IP literal (and --resolve) no lookup
// runs, so namelookup is the microseconds the probe took to pick the
// address, ~0 as curl reports it. Before, it was the time until the first
// connect attempt: the client's whole set-up (about 1 ms in a fresh
// process).
func TestNameLookupOfIPLiteral(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(hello))
	t.Cleanup(srv.Close)
	port := mustURL(t, srv.URL).Port()
	mustResolve := func(t *testing.T, s string) Resolve {
		r, err := ParseResolve(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name string
		url  string
		opts Options
	}{
		{"IP literal", srv.URL + "/", Options{}},
		{"--resolve", "http://app.example.test:" + port + "/", Options{Resolve: []Resolve{mustResolve(t, "app.example.test:"+port+":127.0.0.1")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lookups []time.Duration
			for range 5 {
				h := Run(context.Background(), mustURL(t, tt.url), tt.opts).Final()
				if h.Err != nil || h.Timings.DNS {
					t.Fatalf("err %v, dns %v; want a response without a lookup", h.Err, h.Timings.DNS)
				}
				if h.Timings.NameLookup <= 0 || h.Timings.NameLookup > h.Timings.Connect {
					t.Fatalf("namelookup %v, connect %v: want 0 < namelookup <= connect", h.Timings.NameLookup, h.Timings.Connect)
				}
				lookups = append(lookups, h.Timings.NameLookup)
			}
			slices.Sort(lookups)
			if med := lookups[len(lookups)/2]; med > 200*time.Microsecond {
				t.Errorf("median namelookup %v for an address given outright; want ~0 (curl: tens of µs)", med)
			}
			t.Logf("namelookup %v", lookups)
		})
	}
}
