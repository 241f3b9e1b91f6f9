// Package hosttest sends requests with an exact Host line, for tests of
// the Host checks that guard loopback servers against DNS rebinding
// (package hostcheck): net/http's client cannot send an empty, malformed
// or missing Host.
//
//	status, body := hosttest.Get(t, "127.0.0.1:8080", "/", "rebind.attacker.example")
//	if status != 403 { ... }
package hosttest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// NoHost as Get's host sends an HTTP/1.0 request without a Host line.
const NoHost = "\x00none"

// Get sends GET path to addr with exactly the Host line given and returns
// the status and, for a 403, up to 4 KiB of body (other answers may be
// streams that never end, such as an event stream, so their body is not
// read). Everything is bounded by 10 s.
func Get(t testing.TB, addr, path, host string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"
	if host == NoHost {
		req = "GET " + path + " HTTP/1.0\r\n\r\n"
	}
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("GET %s with Host %q: %v", path, host, err)
	}
	// The body is not closed: closing reads it to the end, which a stream
	// never reaches; closing the connection is enough.
	if resp.StatusCode != http.StatusForbidden {
		return resp.StatusCode, ""
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(body)
}
