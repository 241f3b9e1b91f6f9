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
