package lint_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/lint"
	"github.com/golocal/golocal/internal/lint/linttest"
)

// maxCapture bounds what a test capture reads.
const maxCapture = 32 << 20

// captureRaw is a minimal, test-only version of the probe's capture: it
// writes one request over real TCP (TLS when the server has it) and reads
// the response bytes until the peer closes, the size cap or a deadline.
func captureRaw(t *testing.T, addr string, cfg *tls.Config, method, target string, hdr http.Header) ([]byte, *tls.ConnectionState) {
	t.Helper()
	var conn net.Conn
	var err error
	var state *tls.ConnectionState
	if cfg != nil {
		tc, derr := tls.Dial("tcp", addr, cfg)
		if derr != nil {
			t.Fatalf("dial %s: %v", addr, derr)
		}
		st := tc.ConnectionState()
		state, conn = &st, tc
	} else if conn, err = net.Dial("tcp", addr); err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var req bytes.Buffer
	req.WriteString(method + " " + target + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: golocal-lint-test\r\nConnection: close\r\n")
	keys := make([]string, 0, len(hdr))
	for k := range hdr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range hdr[k] {
			req.WriteString(k + ": " + v + "\r\n")
		}
	}
	req.WriteString("\r\n")
	if _, err := conn.Write(req.Bytes()); err != nil {
		t.Fatalf("write request: %v", err)
	}
	b, err := io.ReadAll(io.LimitReader(conn, maxCapture))
	if err != nil && !errors.Is(err, io.EOF) {
		t.Logf("capture ended with %v after %d bytes", err, len(b))
	}
	return b, state
}

// fetch builds an Exchange the way the probe does: the raw bytes parsed by
// lint.ParseRaw, plus Go's own client on a second connection for Go's view
// (status, header, or the error it refused the response with).
func fetch(t *testing.T, srv *linttest.Server, method, target string, hdr http.Header) *lint.Exchange {
	t.Helper()
	return fetchURL(t, srv.URL()+target, srv.ClientTLS(), method, hdr)
}

// fetchURL is fetch for any server on loopback, e.g. an httptest.Server.
func fetchURL(t *testing.T, rawURL string, cfg *tls.Config, method string, hdr http.Header) *lint.Exchange {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	b, state := captureRaw(t, u.Host, cfg, method, u.RequestURI(), hdr)
	raw, _ := lint.ParseRawFor(method, b)
	ex := &lint.Exchange{URL: u, Method: method, RequestHeader: hdr, Proto: "HTTP/1.1", TLS: state, Raw: raw, Received: time.Now()}
	if ex.RequestHeader == nil {
		ex.RequestHeader = http.Header{}
	}

	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true, TLSClientConfig: cfg, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	req, err := http.NewRequest(method, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		ex.ClientError = err.Error()
		return ex
	}
	defer resp.Body.Close()
	ex.Status, ex.Header = resp.StatusCode, resp.Header
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCapture))
	ex.Body = body
	if err != nil {
		ex.ClientError = "reading the body: " + err.Error()
	}
	return ex
}

// crlf turns the readable "\n" of test literals into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
