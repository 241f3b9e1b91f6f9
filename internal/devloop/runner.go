package devloop

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Runner. The zero value of every field has a working
// default; only OnEvent is needed to see anything.
type Options struct {
	// Dir is the folder golocal dev was started in; Package is relative to
	// it. Default: the current folder.
	Dir string
	// Package is the main package ("." or "./cmd/web"); empty means
	// FindMainPackage decides.
	Package string
	// Args are passed to the app.
	Args []string
	// Env holds KEY=VALUE pairs added to the app's environment. The app
	// also gets GOLOCAL_PROFILE=dev (see ProfileEnv) unless set here or in
	// BaseEnv.
	Env []string
	// BaseEnv is the environment the app and go build start from (default
	// os.Environ()).
	BaseEnv []string
	// Getenv looks up PATH and GOROOT to find the go command (default
	// os.Getenv).
	Getenv func(string) string
	// BuildFlags and Tags are passed to go build.
	BuildFlags []string
	Tags       []string
	// KeepDebugInfo keeps symbols and DWARF (no -ldflags=-s -w).
	KeepDebugInfo bool
	// NoFastBuild makes every build run go build (see Builder); so does
	// GOLOCAL_NO_FAST_BUILD=1 in the environment.
	NoFastBuild bool
	// WatchRoots, Extensions and Exclude configure the watcher (see
	// WatchOptions). Roots are relative to the module root.
	WatchRoots []string
	Extensions []string
	Exclude    []string
	// Debounce is the watcher's quiet period (default 10 ms).
	Debounce time.Duration
	// Settle is the quiet period used after a change canceled a running
	// build, so that a stream of saves does not start a build per save
	// (default 300 ms).
	Settle time.Duration
	// Grace is how long a stopped app may drain before SIGKILL (default 3 s).
	Grace time.Duration
	// DrainDelay is how long an old app keeps running after the new one
	// took over, for requests already sent to it (default 250 ms).
	DrainDelay time.Duration
	// ReadyTimeout bounds how long a new app may take to serve (default 30 s).
	ReadyTimeout time.Duration
	// NoSocketPassing gives each version only PORT, no listening socket
	// on fd 3 (LISTEN_FDS): the swap then relies on the dev front alone,
	// which holds requests while a version comes up. It is the only mode on
	// Windows, which cannot pass sockets to a child this way, and the
	// default there.
	NoSocketPassing bool
	// noNotify gives each version no NOTIFY_SOCKET: readiness is then an
	// answer on PORT or on the app's own port. Windows has no unixgram
	// sockets; tests set it to take that path on Linux.
	noNotify bool
	// Stdout and Stderr receive the app's output (default: discarded).
	Stdout, Stderr io.Writer
	// OnEvent receives every event, one call at a time. It runs on the
	// runner's goroutine and must not block for long: an EventSwapped
	// handler is where the dev front switches to the new upstream.
	OnEvent func(Event)
}

// EventKind tells what happened.
type EventKind int

// The events a Runner reports.
const (
	EventBuildStarted  EventKind = iota + 1 // a build began (Paths: what changed)
	EventBuildCanceled                      // a newer change canceled the build
	EventBuildFailed                        // Diagnostics and Output say why; the old app keeps serving
	EventSwapped                            // Upstream now serves; Build and Swap are the timings
	EventHold                               // no app can serve until the next EventSwapped
	EventAppFailed                          // the app exited or never became ready; Message and Output
	EventStylesChanged                      // only stylesheets changed (Paths)
	EventReload                             // pages should reload (Paths), no build needed
	EventWarning                            // advice (Message)
	EventStopped                            // the runner stopped and left nothing behind
	EventSkipped                            // Go files changed that the program does not import (Paths): no build
)

var eventNames = map[EventKind]string{
	EventBuildStarted: "build-started", EventBuildCanceled: "build-canceled", EventBuildFailed: "build-failed",
	EventSwapped: "swapped", EventHold: "hold", EventAppFailed: "app-failed", EventStylesChanged: "styles-changed",
	EventReload: "reload", EventWarning: "warning", EventStopped: "stopped", EventSkipped: "skipped",
}

// String returns the event's name as used in JSON output.
func (k EventKind) String() string {
	if s, ok := eventNames[k]; ok {
		return s
	}
	return "event-" + strconv.Itoa(int(k))
}

// Event is one thing that happened in the loop.
type Event struct {
	Kind     EventKind
	Paths    []string
	Build    time.Duration // go build wall time
	Swap     time.Duration // new app start to serving
	Upstream *url.URL      // where the serving app listens (EventSwapped)
	// Admin is, on EventSwapped, the address of the app's admin server
	// (serve.Options.Admin) that stays the same across reloads; nil when
	// the serving version has none or does not announce it over sd_notify.
	Admin       *url.URL
	Mode        string // how it serves: PORT, LISTEN_FDS + READY=1, fixed port
	First       bool   // the first app of the session
	Direct      bool   // built by running compile and link directly (see BuildResult.Direct)
	Restored    bool   // EventSwapped: the previous binary, started again after the new one failed
	Panic       bool   // EventAppFailed: the app panicked; Diagnostics[0] is where
	How         string // which build path was taken and why (see BuildResult.How)
	Diagnostics []Diagnostic
	Output      string
	Message     string

	app *child // EventSwapped: the version now serving
}

// Runner is the dev loop: it watches, builds, and swaps app versions
// without a gap.
type Runner struct {
	opts     Options
	root     string
	pkg      string
	goCmd    string
	buildEnv []string
	appEnv   []string
	watcher  *Watcher
	tempDir  string
	rebuild  chan struct{}
	builds   atomic.Int64
	eventMu  sync.Mutex
	retiring sync.WaitGroup
	sequence int
	builder  *Builder
}

// New checks everything that can be checked before the first build: the go
// command, the module, the main package and the watch roots; and opens the
// internal listening socket shared with every version of the app.
func New(opts Options) (*Runner, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.BaseEnv == nil {
		opts.BaseEnv = os.Environ()
	}
	if opts.Dir == "" {
		opts.Dir = "."
	}
	if runtime.GOOS == "windows" {
		opts.NoSocketPassing, opts.noNotify = true, true
	}
	for d, v := range map[*time.Duration]time.Duration{&opts.Grace: 3 * time.Second, &opts.DrainDelay: 250 * time.Millisecond, &opts.ReadyTimeout: 30 * time.Second, &opts.Settle: 300 * time.Millisecond, &opts.Debounce: 10 * time.Millisecond} {
		if *d <= 0 {
			*d = v
		}
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	opts.Dir = dir
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("folder %s does not exist", dir)
	}
	goCmd, err := findGo(opts.Getenv)
	if err != nil {
		return nil, err
	}
	root, err := FindModuleRoot(dir)
	if err != nil {
		return nil, err
	}
	pkg, err := FindMainPackage(dir, opts.Package, opts.Tags)
	if err != nil {
		return nil, err
	}
	for _, kv := range opts.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("app environment %q: want KEY=VALUE", kv)
		}
	}
	r := &Runner{opts: opts, root: root, pkg: pkg, goCmd: goCmd, rebuild: make(chan struct{}, 1)}
	r.buildEnv = opts.BaseEnv
	r.appEnv = append(withoutKeys(opts.BaseEnv, "PORT", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET"), opts.Env...)
	if !hasKey(r.appEnv, ProfileEnv) {
		// Apps configured with golocal's config package pick the dev
		// profile (readable errors, no secure-only cookies, no required
		// production secrets) unless the user chose another.
		r.appEnv = append(r.appEnv, ProfileEnv+"=dev")
	}

	w, err := NewWatcher(WatchOptions{
		Root: root, Roots: opts.WatchRoots, Extensions: opts.Extensions, Exclude: opts.Exclude,
		Debounce: opts.Debounce, Embedded: func(abs string) bool { return r.builder.Embedded(abs) },
		Warn: func(msg string) { r.emit(Event{Kind: EventWarning, Message: msg}) },
	})
	if err != nil {
		return nil, err
	}
	r.watcher = w
	r.tempDir, err = os.MkdirTemp("", "golocal-dev-")
	if err != nil {
		_ = w.fsw.Close()
		return nil, fmt.Errorf("cannot create a folder for builds: %w", err)
	}
	// go build's work folders (kept with -work for direct builds) live in
	// the runner's folder, so that one RemoveAll cleans everything.
	r.buildEnv = append(withoutKeys(r.buildEnv, "GOTMPDIR"), "GOTMPDIR="+r.tempDir)
	noFast := ""
	switch {
	case opts.NoFastBuild:
		noFast = "--no-fast-build"
	case opts.Getenv(NoFastBuildEnv) == "1":
		noFast = NoFastBuildEnv + "=1"
	}
	r.builder = NewBuilder(BuildOptions{GoCmd: r.goCmd, Dir: r.opts.Dir, Root: r.root, Package: r.pkg, Flags: r.opts.BuildFlags, Tags: r.opts.Tags, KeepDebugInfo: r.opts.KeepDebugInfo, Env: r.buildEnv}, r.tempDir, noFast)
	r.builder.onCgo = func(msg string) {
		r.emit(Event{Kind: EventWarning, Message: msg})
		r.Rebuild()
	}
	return r, nil
}

// ProfileEnv is the variable the runner sets to "dev" in the app's
// environment, unless the environment or Options.Env already sets it. The
// config package reads it as the default profile.
const ProfileEnv = "GOLOCAL_PROFILE"

func hasKey(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

func withoutKeys(env []string, keys ...string) []string {
	out := make([]string, 0, len(env))
outer:
	for _, kv := range env {
		for _, k := range keys {
			if strings.HasPrefix(kv, k+"=") {
				continue outer
			}
		}
		out = append(out, kv)
	}
	return out
}

// Root returns the module root, Package the main package being run.
func (r *Runner) Root() string { return r.root }

// Package returns the main package being run, relative to Options.Dir.
func (r *Runner) Package() string { return r.pkg }

// Builds returns how many builds have started.
func (r *Runner) Builds() int { return int(r.builds.Load()) }

// Rebuild asks for a build now, as if a Go file changed.
func (r *Runner) Rebuild() {
	select {
	case r.rebuild <- struct{}{}:
	default:
	}
}

func (r *Runner) emit(e Event) {
	if r.opts.OnEvent == nil {
		return
	}
	r.eventMu.Lock()
	defer r.eventMu.Unlock()
	r.opts.OnEvent(e)
}
