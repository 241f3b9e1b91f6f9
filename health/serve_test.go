package health_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/golocal/golocal/health"
	"github.com/golocal/golocal/serve"
)

// TestReadinessFlipsDuringGracefulStop runs a real server through
// serve.Run: once the stop begins, /readyz answers 503 on new connections
// (during the lame duck) while a request already in flight completes
// with 200.
func TestReadinessFlipsDuringGracefulStop(t *testing.T) {
	h := health.New(health.Options{})
	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	h.Register(mux)
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "slow done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	runErr := make(chan error, 1)
	go func() {
		runErr <- serve.Run(ctx, ln, mux, serve.Options{
			OnStopping:    []func(){h.MarkStopping},
			LameDuck:      3 * time.Second,
			IgnoreSignals: true,
			Getenv:        func(string) string { return "" },
			Logger:        slog.New(slog.DiscardHandler),
		})
	}()
	fresh := func() *http.Client {
		return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	}

	// Ready before the stop.
	waitStatus(t, fresh(), base+"/readyz", http.StatusOK)

	slow := make(chan *http.Response, 1)
	slowErr := make(chan error, 1)
	go func() {
		resp, err := fresh().Get(base + "/slow")
		if err != nil {
			slowErr <- err
			return
		}
		slow <- resp
	}()
	<-entered
	stop() // graceful stop begins: OnStopping runs, then the lame duck
	waitStatus(t, fresh(), base+"/readyz", http.StatusServiceUnavailable)
	if resp, err := fresh().Get(base + "/livez"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/livez during stop: %v %v; liveness must stay 200", resp, err)
	} else {
		resp.Body.Close()
	}
	close(release)
	select {
	case resp := <-slow:
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "slow done" {
			t.Errorf("in-flight request: %d %q, want 200 \"slow done\"", resp.StatusCode, body)
		}
	case err := <-slowErr:
		t.Fatalf("in-flight request failed: %v", err)
	}
	if err := <-runErr; err != nil {
		t.Errorf("serve.Run: %v", err)
	}
}

// waitStatus polls url until it answers want, failing after 5 s.
func waitStatus(t *testing.T, c *http.Client, url string, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	last := "no response"
	for time.Now().Before(deadline) {
		resp, err := c.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
			last = resp.Status + " " + string(body)
		} else {
			last = err.Error()
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("GET %s never answered %d; last: %s", url, want, last)
}
