package devloop

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/devtest"
)

// portApp is the shared 15-line app (see devtest.PortApp).
const portApp = devtest.PortApp

func appSource(body string) string { return devtest.App(body) }

// writeModule creates a module with the given files in a fresh folder.
func writeModule(t *testing.T, files map[string]string) string { return devtest.WriteModule(t, files) }

// writeFile saves like an editor (see devtest.Save).
func writeFile(t *testing.T, path, content string) { devtest.Save(t, path, content) }

// loop is a Runner under test with its events recorded.
type loop struct {
	t      *testing.T
	r      *Runner
	events chan Event
	mu     sync.Mutex
	all    []Event
	up     atomic.Pointer[url.URL]
	done   chan error
	cancel context.CancelFunc
	marker string
}

func startLoop(t *testing.T, opts Options) *loop {
	t.Helper()
	l := &loop{t: t, events: make(chan Event, 256), done: make(chan error, 1)}
	next := opts.OnEvent // a test's own wiring (see withFront)
	opts.OnEvent = func(e Event) {
		if next != nil {
			next(e)
		}
		if e.Kind == EventSwapped {
			l.up.Store(e.Upstream)
		}
		if e.Kind == EventHold {
			l.up.Store(nil)
		}
		l.mu.Lock()
		l.all = append(l.all, e)
		l.mu.Unlock()
		select {
		case l.events <- e:
		default:
		}
	}
	if opts.Stderr == nil {
		opts.Stderr = testWriter{t}
		opts.Stdout = testWriter{t}
	}
	// Every process of this test carries the marker, so that the cleanup
	// can prove none outlived the runner.
	marker := fmt.Sprintf("GOLOCAL_TEST_MARKER=%s-%d", strings.ReplaceAll(t.Name(), "/", "_"), time.Now().UnixNano())
	opts.Env = append(opts.Env, marker)
	l.marker = marker
	r, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	l.r = r
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go func() { l.done <- r.Run(ctx) }()
	t.Cleanup(func() {
		l.stop()
		if left := processesWith(marker); len(left) > 0 {
			t.Errorf("processes left behind after Run returned: %v", left)
		}
	})
	return l
}

func (l *loop) stop() {
	l.cancel()
	select {
	case err := <-l.done:
		if err != nil {
			l.t.Errorf("Run: %v", err)
		}
		l.done <- nil
	case <-time.After(20 * time.Second):
		l.t.Errorf("Run did not return 20 s after cancel")
	}
}

// waitFor returns the next event of kind, failing on timeout. Events of
// other kinds are skipped; an EventBuildFailed or EventAppFailed fails the
// test unless it is the kind waited for.
func (l *loop) waitFor(kind EventKind, timeout time.Duration) Event {
	l.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e := <-l.events:
			if e.Kind == kind {
				return e
			}
			if (e.Kind == EventBuildFailed || e.Kind == EventAppFailed) && kind != EventBuildFailed && kind != EventAppFailed {
				l.t.Fatalf("waiting for %v, got %v: %s %v\n%s", kind, e.Kind, e.Message, e.Diagnostics, e.Output)
			}
		case <-deadline:
			l.t.Fatalf("no %v event within %v", kind, timeout)
		}
	}
}

// snapshot returns the events so far.
func (l *loop) snapshot() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.all...)
}

func (l *loop) count(kind EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.all {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func get(u *url.URL) (string, error) {
	if u == nil {
		return "", fmt.Errorf("no upstream")
	}
	resp, err := http.Get(u.String())
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return string(b), fmt.Errorf("status %d", resp.StatusCode)
	}
	return string(b), err
}

// processesWith lists the pids whose environment holds kv.
func processesWith(kv string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, v := range strings.Split(string(b), "\x00") {
			if v == kv {
				out = append(out, e.Name())
				break
			}
		}
	}
	return out
}

// waitUntil polls cond every 10 ms until it holds or timeout passes.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("app: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestSwapServesNewVersion(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": appSource("v1")})
	l := startLoop(t, Options{Dir: dir})
	e := l.waitFor(EventSwapped, 60*time.Second)
	if e.Mode != modePort.String() || !e.First {
		t.Errorf("first swap: mode %q first %v", e.Mode, e.First)
	}
	if body, err := get(e.Upstream); err != nil || body != "v1" {
		t.Fatalf("v1: %q %v", body, err)
	}
	writeFile(t, filepath.Join(dir, "main.go"), appSource("v2"))
	e = l.waitFor(EventSwapped, 60*time.Second)
	if body, err := get(e.Upstream); err != nil || body != "v2" {
		t.Fatalf("v2: %q %v", body, err)
	}
	t.Logf("build %v swap %v", e.Build, e.Swap)
}

// TestAllInterfacesWarnedOnce: an app that listens on ":"+PORT (gin's
// r.Run(), many tutorials) is reachable from other machines; golocal dev
// says so once per session, after the swap (the check reads /proc and the
// swap does not wait for it). An app on 127.0.0.1 gets no warning.
func TestAllInterfacesWarnedOnce(t *testing.T) {
	tests := []struct {
		name, host string
		warnings   int
	}{
		{"all interfaces", `":"`, 1},
		{"loopback", `"127.0.0.1:"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := func(body string) string {
				return strings.Replace(appSource(body), `"127.0.0.1:"`, tt.host, 1)
			}
			dir := writeModule(t, map[string]string{"main.go": src("v1")})
			l := startLoop(t, Options{Dir: dir})
			l.waitFor(EventSwapped, 60*time.Second)
			writeFile(t, filepath.Join(dir, "main.go"), src("v2"))
			l.waitFor(EventSwapped, 60*time.Second)
			writeFile(t, filepath.Join(dir, "main.go"), src("v3"))
			l.waitFor(EventSwapped, 60*time.Second)
			l.stop() // every warning is emitted before Run returns
			n := 0
			for _, e := range l.snapshot() {
				if e.Kind == EventWarning && strings.Contains(e.Message, "listens on all network interfaces") {
					n++
				}
			}
			if n != tt.warnings {
				t.Errorf("%d all-interfaces warnings over three versions, want %d", n, tt.warnings)
			}
		})
	}
}
