package devloop

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/devproxy"
)

// withFront puts a real dev front before the loop, wired the way golocal
// dev wires it: EventSwapped switches the upstream (then pages would
// reload), EventHold holds requests.
func withFront(t *testing.T, opts Options) (*loop, string) {
	t.Helper()
	front := devproxy.New(devproxy.Options{HoldTimeout: 60 * time.Second})
	srv := httptest.NewServer(front)
	t.Cleanup(func() {
		front.Close()
		srv.Close()
	})
	next := opts.OnEvent
	opts.OnEvent = func(e Event) {
		switch e.Kind {
		case EventSwapped:
			front.SetUpstream(e.Upstream)
		case EventHold:
			front.SetUpstream(nil)
		}
		if next != nil {
			next(e)
		}
	}
	return startLoop(t, opts), srv.URL
}

// hammer sends a request through the front every 5 ms until stop is
// closed, and counts those that did not get a 200.
func hammer(t *testing.T, u string, keepAlive bool, stop <-chan struct{}) (sent, failed *atomic.Int64, done chan struct{}) {
	sent, failed, done = new(atomic.Int64), new(atomic.Int64), make(chan struct{})
	go func() {
		defer close(done)
		c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: !keepAlive}}
		defer c.CloseIdleConnections()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			sent.Add(1)
			resp, err := c.Get(u)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err != nil || resp.StatusCode != 200 {
				failed.Add(1)
				t.Logf("request failed: %v %v", err, resp)
			}
		}
	}()
	return sent, failed, done
}

// A hard-coded port (no PORT, no socket activation) still swaps without a
// failed request: the old version stops first and the front holds what
// arrives until the new one serves on the same port.
func TestFixedPortAppSwapsWithoutFailures(t *testing.T) {
	src, _ := fixedPortSource(t)
	dir := writeModule(t, map[string]string{"main.go": src("v1")})
	l, front := withFront(t, Options{Dir: dir, Grace: time.Second})
	if e := l.waitFor(EventSwapped, buildTimeout); e.Mode != modeFixed.String() {
		t.Fatalf("mode %q, want fixed port", e.Mode)
	}
	stop := make(chan struct{})
	sent, failed, done := hammer(t, front, true, stop)
	for i := 2; i <= 3; i++ {
		writeFile(t, filepath.Join(dir, "main.go"), src(fmt.Sprintf("v%d", i)))
		l.waitFor(EventSwapped, buildTimeout)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	<-done
	if failed.Load() != 0 || sent.Load() == 0 {
		t.Errorf("%d of %d requests failed across two fixed-port swaps", failed.Load(), sent.Load())
	}
	if body, err := getString(front); body != "v3" {
		t.Errorf("after the swaps: %q %v", body, err)
	}
}

// An app that keeps accepting during a lame duck after SIGTERM (as serve
// does, and examples/orders with a 1 s lame duck) must not answer once the
// front switched to the new version: each version has its own socket.
func TestLameDuckVersionGetsNoRequestsAfterSwap(t *testing.T) {
	lameDuck := strings.Replace(socketApp, "\t\tln.Close()\n", "\t\ttime.Sleep(1500 * time.Millisecond)\n\t\tln.Close()\n", 1)
	if lameDuck == socketApp {
		t.Fatal("socketApp changed: the lame duck was not inserted")
	}
	src := func(v string) string {
		return strings.NewReplacer("VERSION", v, "SENDREADY", "true").Replace(lameDuck)
	}
	dir := writeModule(t, map[string]string{"main.go": src("v1"), "helpers.go": socketAppHelpers})
	l, front := withFront(t, Options{Dir: dir})
	l.waitFor(EventSwapped, buildTimeout)
	writeFile(t, filepath.Join(dir, "main.go"), src("v2"))
	l.waitFor(EventSwapped, buildTimeout)
	// Right after the switch (when pages are told to reload), v1 is still
	// in its lame duck and still accepting.
	c := &http.Client{Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	for i := 0; i < 40; i++ {
		resp, err := c.Get(front)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "v2" {
			t.Fatalf("request %d after the swap answered %q, want v2", i, b)
		}
	}
}

// NoSocketPassing passes PORT and no socket, and still swaps without a
// failed request. Windows adds no NOTIFY_SOCKET (noNotify): an app on
// golocal's serve package is then ready when it answers on PORT.
func TestNoSocketPassingSwapsOnPort(t *testing.T) {
	guard := func(src, env string) string {
		return strings.Replace(src, "func main() {", "func main() {\n\tif os.Getenv(\""+env+"\") != \"\" {\n\t\tpanic(\""+env+" is set\")\n\t}", 1)
	}
	serveSrc := func(v string) string {
		return guard(guard(strings.ReplaceAll(serveApp, "VERSION", v), "LISTEN_FDS"), "NOTIFY_SOCKET")
	}
	tests := []struct {
		name string
		src  func(v string) string
		kit  bool // the app imports golocal's serve
		opts Options
	}{
		{"PORT app", func(v string) string { return guard(appSource(v), "LISTEN_FDS") }, false, Options{NoSocketPassing: true}},
		{"as on Windows, a serve app", serveSrc, true, Options{NoSocketPassing: true, noNotify: true,
			BuildFlags: []string{"-mod=mod"}, BaseEnv: append(os.Environ(), "GOPROXY=off", "GOFLAGS=")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.src("x"), "LISTEN_FDS is set") {
				t.Fatal("the app's source changed: the check was not inserted")
			}
			var dir string
			if tt.kit {
				if testing.Short() {
					t.Skip("builds an app on golocal's serve package")
				}
				dir = kitModule(t, tt.src("v1"))
			} else {
				dir = writeModule(t, map[string]string{"main.go": tt.src("v1")})
			}
			opts := tt.opts
			opts.Dir = dir
			l, front := withFront(t, opts)
			if e := l.waitFor(EventSwapped, buildTimeout); e.Mode != modePort.String() {
				t.Fatalf("mode %q, want PORT", e.Mode)
			}
			stop := make(chan struct{})
			sent, failed, done := hammer(t, front, false, stop)
			writeFile(t, filepath.Join(dir, "main.go"), tt.src("v2"))
			e := l.waitFor(EventSwapped, buildTimeout)
			if body, err := get(e.Upstream); err != nil || body != "v2" {
				t.Errorf("after the swap the app answers %q, %v; want v2", body, err)
			}
			time.Sleep(300 * time.Millisecond)
			close(stop)
			<-done
			if failed.Load() != 0 || sent.Load() == 0 {
				t.Errorf("%d of %d requests failed", failed.Load(), sent.Load())
			}
		})
	}
}

func getString(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// A fixed-port app whose new version crashes at start: the old one had to
// be stopped to free the port, so the runner says so and starts the
// previous binary again; the front serves it (and keeps the failure on
// screen: the swap back is Restored, which does not reload pages).
func TestFixedPortCrashRestoresPreviousVersion(t *testing.T) {
	src, _ := fixedPortSource(t)
	dir := writeModule(t, map[string]string{"main.go": src("v1")})
	l, front := withFront(t, Options{Dir: dir, Grace: time.Second})
	l.waitFor(EventSwapped, buildTimeout)
	crashing := strings.Replace(src("v2"), "func main() {", "func main() {\n\tpanic(\"v2 cannot start\")", 1)
	writeFile(t, filepath.Join(dir, "main.go"), crashing)
	e := l.waitFor(EventAppFailed, buildTimeout)
	if !e.Panic || !strings.Contains(e.Message, "v2 cannot start") || !strings.Contains(e.Message, "fixed port") || !strings.Contains(e.Message, "started again") {
		t.Errorf("failure = %q (panic %v)", e.Message, e.Panic)
	}
	if len(e.Diagnostics) != 1 || e.Diagnostics[0].File != "main.go" {
		t.Errorf("diagnostics %+v, want main.go", e.Diagnostics)
	}
	back := l.waitFor(EventSwapped, buildTimeout)
	if !back.Restored {
		t.Error("the swap back is not marked Restored")
	}
	if body, err := getString(front); body != "v1" {
		t.Errorf("after the crash the front answers %q %v, want v1 again", body, err)
	}
}
