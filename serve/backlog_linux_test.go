//go:build linux

package serve_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golocal/golocal/serve"
)

// TestBacklogServedAtClose holds the accept loop so that connections
// (each with a request already sent) wait in the kernel's accept queue,
// then stops the server. Closing the listener would reset them; Run takes
// them from the queue first and serves them. The variant without the
// backlog drain shows the resets this prevents.
func TestBacklogServedAtClose(t *testing.T) {
	tests := []struct {
		name     string
		drain    bool
		wantOK   int // connections answered 200
		wantLost int // connections reset or closed without an answer
	}{
		{"backlog taken and served", true, 5, 0},
		{"plain close resets the backlog", false, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			mux := http.NewServeMux()
			mux.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "id="+r.URL.Query().Get("id"))
			})
			release := make(chan struct{})
			opts := serve.Options{
				Grace:         5 * time.Second,
				IgnoreSignals: true,
				Getenv:        func(string) string { return "" },
				Logger:        quiet,
			}
			ready := make(chan struct{})
			opts.OnReady = func(serve.Ready) { close(ready) }
			serve.SetBeforeAccept(&opts, func() { <-release })
			if !tt.drain {
				serve.SetNoBacklogDrain(&opts)
			}
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			runErr := make(chan error, 1)
			go func() { runErr <- serve.Run(ctx, ln, mux, opts) }()
			<-ready

			// Five clients connect (the kernel completes the handshake)
			// and send a request; nobody accepts them yet.
			var conns []net.Conn
			for i := range 5 {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				fmt.Fprintf(c, "GET /work?id=%d HTTP/1.1\r\nHost: test\r\n\r\n", i)
				conns = append(conns, c)
			}
			stop()
			// Wait until the listener is closed: new connections refused.
			deadline := time.Now().Add(5 * time.Second)
			for {
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if errors.Is(err, syscall.ECONNREFUSED) {
					break
				}
				if err == nil {
					c.Close() // still listening (or queued: then reset or served)
				} else if !errors.Is(err, syscall.ECONNRESET) { // reset: closed while connecting
					t.Fatalf("dial after stop: %v, want connection refused", err)
				}
				if time.Now().After(deadline) {
					t.Fatal("the listener was not closed within 5s of the stop")
				}
				time.Sleep(5 * time.Millisecond)
			}
			close(release) // let the accept loop run again

			ok, lost := 0, 0
			for i, c := range conns {
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						t.Fatalf("conn %d: no answer within 5s: hung, neither served nor reset", i)
					}
					lost++
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && string(body) == fmt.Sprintf("id=%d", i) {
					ok++
				} else {
					t.Errorf("conn %d: %d %q", i, resp.StatusCode, body)
				}
			}
			if ok != tt.wantOK || lost != tt.wantLost {
				t.Errorf("served %d, lost %d; want %d served, %d lost", ok, lost, tt.wantOK, tt.wantLost)
			}
			select {
			case err := <-runErr:
				if err != nil {
					t.Errorf("serve.Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("serve.Run did not return")
			}
		})
	}
}

// TestBacklogNotTakenFromWrappedListener: a listener wrapper does its own
// work in Accept (TLS, PROXY protocol, recording), so its backlog is not
// taken behind its back: it is closed as it is, and the server stops
// cleanly.
func TestBacklogNotTakenFromWrappedListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{Listener: inner}
	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan struct{})
	runErr := make(chan error, 1)
	go func() {
		runErr <- serve.Run(ctx, ln, http.NotFoundHandler(), serve.Options{
			IgnoreSignals: true, Getenv: func(string) string { return "" }, Logger: quiet,
			OnReady: func(serve.Ready) { close(ready) },
		})
	}()
	<-ready
	resp, err := http.Get("http://" + inner.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	stop()
	if err := <-runErr; err != nil {
		t.Fatalf("serve.Run: %v", err)
	}
	if n := ln.accepted; n < 1 {
		t.Errorf("the wrapper's Accept saw %d connections", n)
	}
	if _, err := net.DialTimeout("tcp", inner.Addr().String(), time.Second); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("dial after stop: %v, want connection refused", err)
	}
}

type countingListener struct {
	net.Listener
	accepted int
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted++
	}
	return c, err
}
