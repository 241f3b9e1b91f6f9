package canary

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golocal/golocal/internal/devloop"
)

// RunSpec says how to start the two versions.
type RunSpec struct {
	Binary [2]string
	// Env is the environment both versions get; VersionEnv adds to one.
	Env        []string
	VersionEnv [2][]string
	// AdminEnv, when set, is the name of the variable that sets the app's
	// admin listener address (ORDERS_ADMIN_ADDR): each version gets its
	// own free loopback port in it, so two copies of an app with a fixed
	// admin port do not clash.
	AdminEnv string
	Args     []string
	TempDir  string
	// Output receives both versions' output, each line prefixed with the
	// version's name; nil discards it.
	Output       io.Writer
	ReadyTimeout time.Duration
	Grace        time.Duration
}

// Running is one started version.
type Running struct {
	Version Version
	Proc    *devloop.Process
	// Admin is the admin listener's base URL, nil when none was found.
	Admin *url.URL
}

// StartError is a version that could not be started.
type StartError struct {
	Version Version
	Err     error
}

func (e *StartError) Error() string {
	return fmt.Sprintf("the %s could not be started: %v", e.Version, e.Err)
}
func (e *StartError) Unwrap() error { return e.Err }

// StartVersions starts both versions (each on its own socket, with its own
// NOTIFY_SOCKET and admin port) and waits until both serve. They share the
// working directory and whatever state it points to (a database file), as
// a canary shares production's database; so they start one after the
// other, the baseline first, as in a rollout: two copies running the same
// migrations at once would race. If either fails, the other is stopped
// before returning.
func StartVersions(ctx context.Context, spec RunSpec) ([2]*Running, error) {
	var out [2]*Running
	for v := range out {
		r, err := startVersion(ctx, spec, Version(v))
		if err != nil {
			if out[Baseline] != nil {
				out[Baseline].Proc.Stop()
			}
			return [2]*Running{}, &StartError{Version: Version(v), Err: err}
		}
		out[v] = r
	}
	return out, nil
}

func startVersion(ctx context.Context, spec RunSpec, v Version) (*Running, error) {
	env := append(append([]string(nil), spec.Env...), spec.VersionEnv[v]...)
	if spec.AdminEnv != "" {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		env = append(env, spec.AdminEnv+"=127.0.0.1:"+strconv.Itoa(port))
	}
	var w io.Writer = io.Discard
	if spec.Output != nil {
		w = &prefixWriter{w: spec.Output, prefix: "[" + v.String() + "] "}
	}
	p, err := devloop.Launch(ctx, devloop.LaunchOptions{
		Binary: spec.Binary[v], Args: spec.Args, Env: env, Stdout: w, Stderr: w,
		TempDir: spec.TempDir, Name: v.String(), ReadyTimeout: spec.ReadyTimeout, Grace: spec.Grace,
	})
	if err != nil {
		return nil, err
	}
	r := &Running{Version: v, Proc: p}
	r.Admin = findAdmin(p.Output, 2*time.Second)
	return r, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cannot find a free loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// textAdmin finds serve's admin attribute in a slog text line
// (`msg="serve: serving" addr=127.0.0.1:8080 admin=127.0.0.1:9090`).
var textAdmin = regexp.MustCompile(`serve: serving.*\badmin="?([^\s"]+)`)

// findAdmin reads serve's "serve: serving" log line (JSON or text) for the
// admin listener's address, waiting up to wait for it to be written.
func findAdmin(output func() string, wait time.Duration) *url.URL {
	deadline := time.Now().Add(wait)
	for {
		if a := AdminFromLog(output()); a != "" {
			if u, err := url.Parse("http://" + a); err == nil {
				return u
			}
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// AdminFromLog returns the admin address of the kit's "serve: serving" log
// record in out, "" when there is none.
func AdminFromLog(out string) string {
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if !strings.Contains(line, "serve: serving") {
			continue
		}
		if i := strings.IndexByte(line, '{'); i >= 0 {
			var rec struct {
				Admin string `json:"admin"`
			}
			if json.Unmarshal([]byte(line[i:]), &rec) == nil && rec.Admin != "" {
				return rec.Admin
			}
		}
		if m := textAdmin.FindStringSubmatch(line); m != nil {
			return m[1]
		}
	}
	return ""
}

// prefixWriter prefixes each line with the version's name.
type prefixWriter struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	midLine bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for _, c := range b {
		if !p.midLine {
			out = append(out, p.prefix...)
			p.midLine = true
		}
		out = append(out, c)
		if c == '\n' {
			p.midLine = false
		}
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Watch calls crashed (once) when a version ends while stop has not been
// closed.
func Watch(versions [2]*Running, stop <-chan struct{}, crashed func(v Version, how string)) {
	var once sync.Once
	for _, r := range versions {
		go func() {
			select {
			case <-r.Proc.Exited():
				select {
				case <-stop:
					return
				default:
				}
				once.Do(func() { crashed(r.Version, r.Proc.ExitDescription()) })
			case <-stop:
			}
		}()
	}
}
