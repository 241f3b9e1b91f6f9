package linttest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/golocal/golocal/internal/lint/linttest"
)

func TestServeAnswersWithCannedBytes(t *testing.T) {
	srv := linttest.Serve(t, []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"))
	resp, err := http.Get(srv.URL() + "/x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "hello" {
		t.Fatalf("got %d %q, want 200 \"hello\"", resp.StatusCode, body)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || !strings.HasPrefix(string(reqs[0]), "GET /x HTTP/1.1\r\n") {
		t.Fatalf("requests = %q", reqs)
	}
}

func TestServeFuncSeesTheRequest(t *testing.T) {
	srv := linttest.ServeFunc(t, func(head []byte) []byte {
		if strings.Contains(string(head), "Origin: https://attacker.test") {
			return []byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
		}
		return []byte("HTTP/1.1 204 No Content\r\n\r\n")
	})
	req, _ := http.NewRequest("GET", srv.URL(), nil)
	req.Header.Set("Origin", "https://attacker.test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
}

func TestServeTLS(t *testing.T) {
	srv := linttest.ServeTLS(t, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: srv.ClientTLS()}}
	resp, err := client.Get(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.TLS == nil || resp.StatusCode != 200 {
		t.Fatalf("TLS=%v status=%d", resp.TLS != nil, resp.StatusCode)
	}
}

func TestServeH2(t *testing.T) {
	srv := linttest.ServeH2(t, linttest.H2Response{Fields: []linttest.H2Field{
		{Name: ":status", Value: "200"}, {Name: "content-type", Value: "text/plain"}, {Name: "connection", Value: "keep-alive"}}, Body: []byte("hi")})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: srv.ClientTLS(), ForceAttemptHTTP2: true}}
	resp, err := client.Get(srv.URL() + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(body) != "hi" || resp.Header.Get("Connection") != "keep-alive" {
		t.Fatalf("got %s %d %q %v", resp.Proto, resp.StatusCode, body, resp.Header)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || !strings.Contains(string(reqs[0]), ":path: /x\r\n") {
		t.Fatalf("requests = %q", reqs)
	}

	// An upper-case name goes out as sent: Go's client refuses it.
	upper := linttest.ServeH2(t, linttest.H2Response{Fields: []linttest.H2Field{{Name: ":status", Value: "200"}, {Name: "Content-Type", Value: "text/plain"}}})
	client = &http.Client{Transport: &http.Transport{TLSClientConfig: upper.ClientTLS(), ForceAttemptHTTP2: true}}
	if _, err := client.Get(upper.URL()); err == nil || !strings.Contains(err.Error(), `invalid header field name "Content-Type"`) {
		t.Fatalf("err %v, want Go's refusal of the upper-case name", err)
	}
}
