//go:build unix

package serve_test

import (
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golocal/golocal/serve"
)

func TestSecondSignalForcesStop(t *testing.T) {
	// Real signals to this process. Run has signal.Notify registered from
	// before OnReady until it returns, and the handler below keeps it
	// running, so neither signal can reach the default handler.
	h, entered := blocking(t)
	stopBegan := make(chan struct{})
	s := start(t, h, serve.Options{
		Grace:      time.Minute,
		OnStopping: []func(){func() { close(stopBegan) }},
	})
	go func() {
		resp, err := http.Get("http://" + s.addr + "/")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopBegan:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not start a stop")
	}
	// Standard signals do not queue: the second is sent only once the
	// first was seen, or the kernel could merge them.
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := s.wait(t)
	if err == nil || !strings.Contains(err.Error(), "a second signal arrived") || !strings.Contains(err.Error(), "closed 1 connections") {
		t.Fatalf("Run = %v; want the forced-stop error naming the second signal and 1 connection", err)
	}
}
