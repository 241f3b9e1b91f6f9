//go:build unix

package verify

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestWaitListeningIgnoresAnotherProcess: the service never listens, but
// something else (here the test) has bound the port chosen for it. The
// answer on the port is not the service's: the wait ends in a listen
// error that says another process holds the port, not in an audit of
// the wrong server. Once the service's own process listens, it counts.
func TestWaitListeningIgnoresAnotherProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/net/tcp"); err != nil {
		t.Skip("needs /proc to tell whose listener answers")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	script := dir + "/never-listens"
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := startProcess(script, dir, []string{"PATH=/usr/bin:/bin"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.kill()
	err = waitListening(context.Background(), p, port, 500*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "another process listens on that port") {
		t.Fatalf("got %v, want a listen error naming another process", err)
	}
	if !listensOn(os.Getpid(), port) {
		t.Error("the test's own listener was not found as its own")
	}
}
