package draintest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/serve"
)

// Environment variables through which [Run] configures the child. They are
// an internal protocol between Run and [ChildMain]; programs only test
// [IsChild].
const (
	envChild    = "GOLOCAL_DRAIN_CHILD"
	envStats    = "GOLOCAL_DRAIN_STATS"
	envGrace    = "GOLOCAL_DRAIN_GRACE"
	envLameDuck = "GOLOCAL_DRAIN_LAME_DUCK"
)

// bodySize is the size of every /work response: big enough to take more
// than one write on a busy connection, small enough to keep the load about
// connection handling rather than bandwidth.
const bodySize = 4096

// IsChild reports whether this process was started by [Run] as the server
// under test; such a program should call [ChildMain] and exit with its
// result before doing anything else.
func IsChild(getenv func(string) string) bool {
	return getenv(envChild) == "1"
}

// childStats is what the child writes to the stats file after serve.Run
// returned: the server's own view, to compare with the clients'.
type childStats struct {
	// Accepted counts /work requests whose handler started.
	Accepted int64 `json:"accepted"`
	// Finished counts /work handlers that wrote their whole response.
	Finished int64 `json:"finished"`
	// Conns lists the remote address of every connection the server
	// accepted, so the parent can tell a connection the kernel completed
	// but the server never took (reset when the listener closed) from one
	// the server dropped.
	Conns []string `json:"conns"`
}

// ChildMain is the child side of a drain run: it serves a small load
// handler with [serve.Run] on the listening socket inherited as fd 3
// (LISTEN_FDS=1, the systemd socket-activation convention), reports
// readiness through NOTIFY_SOCKET, stops on SIGTERM with the lame duck and
// grace period chosen by the parent, and writes its counters for the
// parent to compare. It returns the process exit code: 0 after a clean
// stop.
//
// The handler serves GET /work?id=ID&ms=N: it sleeps N milliseconds (at
// most 10 s), then answers 200 with a 4 KiB body that starts with
// "id=ID\n".
func ChildMain(getenv func(string) string, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := runChild(getenv, log); err != nil {
		fmt.Fprintf(stderr, "drain child: %v\n", err)
		return 1
	}
	return 0
}

func runChild(getenv func(string) string, log *slog.Logger) error {
	grace, err := durationEnv(getenv, envGrace)
	if err != nil {
		return err
	}
	lameDuck, err := durationEnv(getenv, envLameDuck)
	if err != nil {
		return err
	}
	statsPath := getenv(envStats)
	if statsPath == "" {
		return fmt.Errorf("%s is not set; start this program through draintest.Run", envStats)
	}
	ln, err := inheritedListener(getenv)
	if err != nil {
		return err
	}
	// Accepted connections are recorded through serve's ConnState hook,
	// not a listener wrapper: serve takes the kernel backlog at the close
	// only from an unwrapped listener, and that is the path to measure.
	rec := &acceptRecorder{}
	var stats childStats
	mux := http.NewServeMux()
	mux.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) {
		atomic.AddInt64(&stats.Accepted, 1)
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		ms = min(max(ms, 0), 10_000)
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client went away; it will count this request itself.
			t.Stop()
			return
		}
		body := make([]byte, bodySize)
		n := copy(body, "id="+r.URL.Query().Get("id")+"\n")
		for i := n; i < len(body); i++ {
			body[i] = 'x'
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if _, err := w.Write(body); err == nil {
			atomic.AddInt64(&stats.Finished, 1)
		}
	})
	runErr := serve.Run(context.Background(), ln, mux, serve.Options{
		LameDuck:  lameDuck,
		Grace:     grace,
		Logger:    log,
		Getenv:    getenv,
		ConnState: rec.connState,
	})
	stats.Accepted = atomic.LoadInt64(&stats.Accepted)
	stats.Finished = atomic.LoadInt64(&stats.Finished)
	stats.Conns = rec.addrs()
	data, err := json.Marshal(&stats)
	if err != nil {
		return errors.Join(runErr, err)
	}
	if err := os.WriteFile(statsPath, data, 0o600); err != nil {
		return errors.Join(runErr, fmt.Errorf("writing stats for the parent: %w", err))
	}
	return runErr
}

func durationEnv(getenv func(string) string, name string) (time.Duration, error) {
	v := getenv(name)
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a duration such as 5s; start this program through draintest.Run", name, v)
	}
	return d, nil
}

// inheritedListener takes the socket passed as fd 3 through listen's
// reading of the socket-activation protocol, which checks LISTEN_PID: an
// inherited variable meant for another process must not make us adopt a
// random fd.
func inheritedListener(getenv func(string) string) (net.Listener, error) {
	lns, warnings, err := listen.Inherited(getenv, os.Unsetenv)
	if err != nil {
		return nil, err
	}
	if len(lns) != 1 {
		for _, l := range lns {
			l.Listener.Close()
		}
		return nil, fmt.Errorf("LISTEN_FDS=%q: the drain child expects exactly one inherited socket (LISTEN_FDS=1) %s", getenv("LISTEN_FDS"), strings.Join(warnings, "; "))
	}
	return lns[0].Listener, nil
}

// acceptRecorder remembers the remote address of every connection the
// server accepted.
type acceptRecorder struct {
	mu    sync.Mutex
	conns []string
}

func (l *acceptRecorder) connState(c net.Conn, s http.ConnState) {
	if s == http.StateNew {
		l.mu.Lock()
		l.conns = append(l.conns, c.RemoteAddr().String())
		l.mu.Unlock()
	}
}

func (l *acceptRecorder) addrs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.conns...)
}

// childEnv returns env without the variables Run sets, so values inherited
// from the parent's own supervisor cannot leak into the child.
func childEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", serve.NotifySocketEnv,
			envChild, envStats, envGrace, envLameDuck:
			continue
		}
		out = append(out, kv)
	}
	return out
}
