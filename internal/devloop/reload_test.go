package devloop

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/devtest"
)

const buildTimeout = 90 * time.Second

func TestBrokenBuildKeepsOldVersionServing(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": appSource("v1")})
	l := startLoop(t, Options{Dir: dir})
	up := l.waitFor(EventSwapped, buildTimeout).Upstream

	broken := strings.Replace(appSource("v2"), `fmt.Fprint(w, "v2")`, `fmt.Fprint(w, undefinedName)`, 1)
	writeFile(t, filepath.Join(dir, "main.go"), broken)
	e := l.waitFor(EventBuildFailed, buildTimeout)
	if len(e.Diagnostics) == 0 {
		t.Fatalf("no diagnostics; output:\n%s", e.Output)
	}
	d := e.Diagnostics[0]
	if d.File != "main.go" || d.Line != 11 || d.Column == 0 || !strings.Contains(d.Message, "undefined: undefinedName") {
		t.Errorf("diagnostic = %+v, want main.go:11:col undefined: undefinedName", d)
	}
	if body, err := get(up); err != nil || body != "v1" {
		t.Fatalf("old version after a failed build: %q %v", body, err)
	}

	writeFile(t, filepath.Join(dir, "main.go"), appSource("v3"))
	e = l.waitFor(EventSwapped, buildTimeout)
	if body, err := get(e.Upstream); err != nil || body != "v3" {
		t.Fatalf("after the fix: %q %v", body, err)
	}
}

// grandchildApp starts a child that stays in its process group and one
// that leaves it (setsid), then serves.
const grandchildApp = `package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	stay := exec.Command("sleep", "300")
	stay.Env = append(os.Environ(), "GRANDCHILD=VERSION-stay")
	escape := exec.Command("sleep", "301")
	escape.Env = append(os.Environ(), "GRANDCHILD=VERSION-escape")
	escape.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := stay.Start(); err != nil {
		panic(err)
	}
	if err := escape.Start(); err != nil {
		panic(err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "VERSION") })
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

func TestGrandchildDoesNotSurviveReload(t *testing.T) {
	// The marker is unique to this run: processes are found by scanning the
	// whole machine, where another test binary may run the same app.
	tag := "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	src := func(v string) string { return strings.ReplaceAll(grandchildApp, "VERSION", v+tag) }
	dir := writeModule(t, map[string]string{"main.go": src("v1")})
	l := startLoop(t, Options{Dir: dir, Grace: time.Second})
	l.waitFor(EventSwapped, buildTimeout)
	for _, kind := range []string{"stay", "escape"} {
		kv := "GRANDCHILD=v1" + tag + "-" + kind
		waitUntil(t, 10*time.Second, kv+" started", func() bool { return len(processesWith(kv)) > 0 })
	}
	writeFile(t, filepath.Join(dir, "main.go"), src("v2"))
	e := l.waitFor(EventSwapped, buildTimeout)
	if body, _ := get(e.Upstream); body != "v2"+tag {
		t.Fatalf("body %q, want v2%s", body, tag)
	}
	for _, kind := range []string{"stay", "escape"} {
		kv := "GRANDCHILD=v1" + tag + "-" + kind
		waitUntil(t, 10*time.Second, "the old version's grandchild ("+kind+") gone", func() bool { return len(processesWith(kv)) == 0 })
	}
	if n := len(processesWith("GRANDCHILD=v2" + tag + "-escape")); n != 1 {
		t.Errorf("the new version's grandchild: %d processes, want 1", n)
	}
}

func TestChangeDuringBuildRestartsBuild(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": appSource("v1")})
	l := startLoop(t, Options{Dir: dir})
	l.waitFor(EventSwapped, buildTimeout)

	writeFile(t, filepath.Join(dir, "main.go"), appSource("v2"))
	l.waitFor(EventBuildStarted, 10*time.Second)
	writeFile(t, filepath.Join(dir, "main.go"), appSource("v3"))
	l.waitFor(EventBuildCanceled, 10*time.Second)
	e := l.waitFor(EventSwapped, buildTimeout)
	if body, err := get(e.Upstream); err != nil || body != "v3" {
		t.Fatalf("after the restarted build: %q %v, want v3", body, err)
	}
	if n := l.count(EventSwapped); n != 2 {
		t.Errorf("%d swaps, want 2 (v1, then v3 only)", n)
	}
}

func TestSaveBurstFoldsIntoFewBuilds(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": appSource("v0")})
	l := startLoop(t, Options{Dir: dir})
	l.waitFor(EventSwapped, buildTimeout)
	before := l.r.Builds()
	start := time.Now()
	for i := 1; i <= 50; i++ {
		writeFile(t, filepath.Join(dir, "main.go"), appSource("burst"+strconv.Itoa(i)))
		time.Sleep(time.Until(start.Add(time.Duration(i) * 19 * time.Millisecond)))
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Logf("the 50 saves took %v (a loaded machine)", took)
	}
	waitUntil(t, buildTimeout, "burst50 served", func() bool {
		body, _ := get(l.up.Load())
		return body == "burst50"
	})
	if n := l.r.Builds() - before; n > 2 {
		t.Errorf("50 saves within a second started %d builds, want at most 2", n)
	}
}

func TestNoOpSaveRebuildsNothing(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": appSource("v1")})
	l := startLoop(t, Options{Dir: dir})
	l.waitFor(EventSwapped, buildTimeout)
	before := l.r.Builds()
	// Same bytes, new mtime and a rename, as an editor's save.
	writeFile(t, filepath.Join(dir, "main.go"), appSource("v1"))
	time.Sleep(400 * time.Millisecond) // a negative check needs a bounded wait
	if n := l.r.Builds() - before; n != 0 {
		t.Fatalf("a save without a change started %d builds", n)
	}
}

const crashingApp = `package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "boom: DATABASE_URL is not set")
	os.Exit(3)
}
`

func TestAppCrashingAtStartIsReported(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": crashingApp})
	l := startLoop(t, Options{Dir: dir})
	e := l.waitFor(EventAppFailed, buildTimeout)
	if !strings.Contains(e.Message, "exited with code 3 at start") || !strings.Contains(e.Output, "boom: DATABASE_URL is not set") {
		t.Errorf("report = %q, output %q", e.Message, e.Output)
	}
	// The next change tries again.
	writeFile(t, filepath.Join(dir, "main.go"), appSource("fixed"))
	e = l.waitFor(EventSwapped, buildTimeout)
	if body, err := get(e.Upstream); err != nil || body != "fixed" {
		t.Fatalf("after the fix: %q %v", body, err)
	}
}

const sleepyApp = `package main

import "time"

func main() { time.Sleep(time.Hour) }
`

func TestAppNeverReadyIsStoppedAndReported(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": sleepyApp})
	l := startLoop(t, Options{Dir: dir, ReadyTimeout: 1500 * time.Millisecond, Grace: 500 * time.Millisecond})
	e := l.waitFor(EventAppFailed, buildTimeout)
	if !strings.Contains(e.Message, "did not start serving") || !strings.Contains(e.Message, "$PORT") {
		t.Errorf("report = %q", e.Message)
	}
	// The cleanup checks that the app was stopped and nothing was left.
}

// fixedPortApp ignores PORT and LISTEN_FDS.
const fixedPortApp = `package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "VERSION") })
	if err := http.ListenAndServe("127.0.0.1:FIXEDPORT", nil); err != nil {
		panic(err)
	}
}
`

// fixedPortSource returns fixedPortApp on a free port, and the port.
func fixedPortSource(t *testing.T) (func(version string) string, int) {
	t.Helper()
	port, err := freeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	return func(v string) string {
		return strings.NewReplacer("VERSION", v, "FIXEDPORT", strconv.Itoa(port)).Replace(fixedPortApp)
	}, port
}

func TestFixedPortAppIsFoundAndRestarted(t *testing.T) {
	src, port := fixedPortSource(t)
	dir := writeModule(t, map[string]string{"main.go": src("v1")})
	l := startLoop(t, Options{Dir: dir, Grace: time.Second})
	e := l.waitFor(EventSwapped, buildTimeout)
	if e.Mode != modeFixed.String() || e.Upstream.Host != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("mode %q upstream %v, want fixed port %d", e.Mode, e.Upstream, port)
	}
	writeFile(t, filepath.Join(dir, "main.go"), src("v2"))
	l.waitFor(EventHold, buildTimeout)
	e = l.waitFor(EventSwapped, buildTimeout)
	if body, err := get(e.Upstream); err != nil || body != "v2" {
		t.Fatalf("v2: %q %v", body, err)
	}
}

// socketApp accepts on the inherited fd 3 and says READY=1, like an app
// built with golocal's listen and serve packages, using only the standard
// library so that the test module needs nothing else.
const socketApp = `package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) || os.Getenv("LISTEN_FDS") != "1" {
		fmt.Fprintln(os.Stderr, "no socket activation:", os.Getenv("LISTEN_PID"), os.Getpid())
		os.Exit(2)
	}
	ln, err := net.FileListener(os.NewFile(3, "http"))
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "VERSION") })}
	if SENDREADY {
		conn, err := net.Dial("unixgram", os.Getenv("NOTIFY_SOCKET"))
		if err != nil {
			panic(err)
		}
		conn.Write([]byte("READY=1"))
		conn.Close()
	}
	drained := make(chan struct{})
	go func() {
		sig := make(chan os.Signal, 1)
		notifyTerm(sig)
		<-sig
		// Stop accepting first and give the accept loop a moment: a
		// connection accepted just before Shutdown but not yet tracked by
		// the server would otherwise be dropped when main returns.
		ln.Close()
		time.Sleep(50 * time.Millisecond)
		ctx, cancel := contextWithTimeout(2 * time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		close(drained)
	}()
	srv.Serve(ln)
	<-drained // Serve returns as soon as Shutdown starts; requests may still run
}
`

const socketAppHelpers = `package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func notifyTerm(c chan os.Signal) { signal.Notify(c, syscall.SIGTERM) }

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
`

func TestSocketActivatedAppSwapsWithoutFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		ready bool
		mode  readyMode
	}{
		{"READY=1", true, modeNotify},
		{"no sd_notify", false, modeShared},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := func(v string) string {
				return strings.NewReplacer("VERSION", v, "SENDREADY", strconv.FormatBool(tt.ready)).Replace(socketApp)
			}
			dir := writeModule(t, map[string]string{"main.go": src("v1"), "helpers.go": socketAppHelpers})
			l, front := withFront(t, Options{Dir: dir})
			e := l.waitFor(EventSwapped, buildTimeout)
			// An app that says READY=1 may answer the readiness probe first.
			if e.Mode != tt.mode.String() && !(tt.ready && e.Mode == modeShared.String()) {
				t.Fatalf("mode %q upstream %v, want %v", e.Mode, e.Upstream, tt.mode)
			}
			// Requests every 5 ms (fresh connections) through the swap.
			stop := make(chan struct{})
			sent, failed, done := hammer(t, front, false, stop)
			writeFile(t, filepath.Join(dir, "main.go"), src("v2"))
			e2 := l.waitFor(EventSwapped, buildTimeout)
			if e2.Upstream.Host == e.Upstream.Host {
				t.Errorf("both versions serve on %s: each must have its own socket", e.Upstream.Host)
			}
			waitUntil(t, 10*time.Second, "v2 served", func() bool { body, _ := getString(front); return body == "v2" })
			time.Sleep(300 * time.Millisecond) // keep sending while the old version drains
			close(stop)
			<-done
			if failed.Load() != 0 || sent.Load() == 0 {
				t.Errorf("%d of %d requests failed during the swap", failed.Load(), sent.Load())
			}
		})
	}
}

func TestStylesheetAndTemplateChanges(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"main.go":            appSource("v1"),
		"static/site.css":    "body{}",
		"templates/a.html":   "<p>a</p>",
		"static/app.js":      "1",
		"embedded/data.txt":  "x",
		"embed.go":           "package main\n\nimport _ \"embed\"\n\n//go:embed embedded/data.txt\nvar data string\n",
		"node_modules/x.css": "ignored{}",
	})
	l := startLoop(t, Options{Dir: dir, Extensions: []string{"go", "css", "html", "js"}})
	l.waitFor(EventSwapped, buildTimeout)
	waitUntil(t, 30*time.Second, "the program model", func() bool {
		return l.r.builder.Embedded(filepath.Join(l.r.root, "embedded", "data.txt"))
	})
	builds := l.r.Builds()

	writeFile(t, filepath.Join(dir, "static/site.css"), "body{color:red}")
	e := l.waitFor(EventStylesChanged, 10*time.Second)
	if fmt.Sprint(e.Paths) != "[static/site.css]" {
		t.Errorf("styles paths = %v", e.Paths)
	}
	writeFile(t, filepath.Join(dir, "static/app.js"), "2")
	if e := l.waitFor(EventReload, 10*time.Second); fmt.Sprint(e.Paths) != "[static/app.js]" {
		t.Errorf("reload paths = %v", e.Paths)
	}
	writeFile(t, filepath.Join(dir, "templates/a.html"), "<p>b</p>")
	if e := l.waitFor(EventSwapped, 30*time.Second); e.Build != 0 {
		t.Errorf("a template change rebuilt (build %v); want a restart only", e.Build)
	}
	if n := l.r.Builds() - builds; n != 0 {
		t.Errorf("stylesheet, script and template changes started %d builds", n)
	}
	writeFile(t, filepath.Join(dir, "embedded/data.txt"), "y")
	if e := l.waitFor(EventBuildStarted, 10*time.Second); fmt.Sprint(e.Paths) != "[embedded/data.txt]" {
		t.Errorf("embedded change paths = %v", e.Paths)
	}
	l.waitFor(EventSwapped, buildTimeout)
}

// TestFastBuildPaths edits a main package and a package it imports: body
// edits of either are fast builds, an edit that adds an import or a file
// goes through go build, and every build says which path it took.
func TestFastBuildPaths(t *testing.T) {
	lib := "package lib\n\nfunc Name() string { return \"NAME\" }\n"
	main := strings.NewReplacer(`"os"`, "\"os\"\n\n\t\"example.test/app/lib\"", `fmt.Fprint(w, "BODY")`, `fmt.Fprint(w, "BODY-"+lib.Name())`).Replace(portApp)
	dir := writeModule(t, map[string]string{
		"main.go":    strings.Replace(main, "BODY", "v1", 1),
		"lib/lib.go": strings.Replace(lib, "NAME", "a", 1),
	})
	l := startLoop(t, Options{Dir: dir})
	if e := l.waitFor(EventSwapped, buildTimeout); e.Direct || !strings.HasPrefix(e.How, "full: first build") {
		t.Errorf("first build: direct %v, how %q", e.Direct, e.How)
	}
	withImport := strings.Replace(main, `"net/http"`, "\"net/http\"\n\t_ \"strings\"", 1)
	steps := []struct {
		file, content, body string
		how                 string // prefix
	}{
		{"main.go", strings.Replace(main, "BODY", "v2", 1), "v2-a", "fast: . (export"},
		{"lib/lib.go", strings.Replace(lib, "NAME", "b", 1), "v2-b", "fast: lib, . (export changed: lib)"},
		{"main.go", strings.Replace(main, "BODY", "v3", 1), "v3-b", "fast: . (export"},
		{"main.go", strings.Replace(withImport, "BODY", "v4", 1), "v4-b", "full: .: imports changed"},
		{"main.go", strings.Replace(withImport, "BODY", "v5", 1), "v5-b", "fast: . (export"},
		{"lib/extra.go", "package lib\n\nfunc Extra() {}\n", "v5-b", "full: new file lib/extra.go"},
		{"lib/lib.go", strings.Replace(lib, "NAME", "c", 1), "v5-c", "fast: lib, . (export changed: lib)"},
	}
	for _, s := range steps {
		waitFastReady(t, l.r)
		writeFile(t, filepath.Join(dir, s.file), s.content)
		e := l.waitFor(EventSwapped, buildTimeout)
		if body, err := get(e.Upstream); err != nil || body != s.body {
			t.Fatalf("after editing %s: %q %v, want %q", s.file, body, err, s.body)
		}
		if !strings.HasPrefix(e.How, s.how) || e.Direct != strings.HasPrefix(s.how, "fast") {
			t.Errorf("editing %s (want %q): how %q (direct %v), want %q…", s.file, s.body, e.How, e.Direct, s.how)
		}
	}
}

// waitFastReady waits until the Builder's model is loaded for its last
// go build, so that the next edit can take the fast path.
func waitFastReady(t *testing.T, r *Runner) {
	t.Helper()
	waitUntil(t, 30*time.Second, "the program model", func() bool {
		b := r.builder
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.prog != nil && b.progSeq >= b.planSeq
	})
}

func TestRunnerBadInput(t *testing.T) {
	mainSrc := appSource("x")
	tests := []struct {
		name  string
		files map[string]string
		opts  Options
		want  string
	}{
		{"no main package", map[string]string{"lib.go": "package lib\n"}, Options{}, "no main package in"},
		{"several main packages", map[string]string{"cmd/a/main.go": mainSrc, "cmd/b/main.go": mainSrc}, Options{}, "several main packages under ./cmd (./cmd/a, ./cmd/b): choose one, for example: golocal dev ./cmd/a"},
		{"package path does not exist", map[string]string{"cmd/web/main.go": mainSrc}, Options{Package: "./cmd/nope"}, "folder"},
		{"not a main package", map[string]string{"main.go": mainSrc, "lib/lib.go": "package lib\n"}, Options{Package: "./lib"}, `is "package lib", not a program`},
		{"go not on PATH", map[string]string{"main.go": mainSrc}, Options{Getenv: func(k string) string {
			if k == "PATH" {
				return "/nonexistent"
			}
			return ""
		}}, "the go command is not on PATH"},
		{"no go.mod", map[string]string{"go.mod": ""}, Options{}, "no go.mod"},
		{"bad env", map[string]string{"main.go": mainSrc}, Options{Env: []string{"NOEQUALS"}}, "want KEY=VALUE"},
		{"watch root missing", map[string]string{"main.go": mainSrc}, Options{WatchRoots: []string{"nope"}}, "watch root nope: not a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeModule(t, tt.files)
			if tt.files["go.mod"] == "" {
				os.Remove(filepath.Join(dir, "go.mod"))
			}
			tt.opts.Dir = dir
			r, err := New(tt.opts)
			if err == nil {
				os.RemoveAll(r.tempDir)
				t.Fatalf("New succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// serveApp is built on golocal's own serve package (sd_notify READY=1,
// graceful stop), through a replace directive to this checkout.
const serveApp = `package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/golocal/golocal/serve"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		panic(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "VERSION") })
	if err := serve.Run(context.Background(), ln, h, serve.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

func TestServeAppSwapsWithoutFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an app on golocal's serve package")
	}
	src := func(v string) string { return strings.ReplaceAll(serveApp, "VERSION", v) }
	dir := kitModule(t, src("v1"))
	l := startLoop(t, Options{Dir: dir, BuildFlags: []string{"-mod=mod"}, BaseEnv: append(os.Environ(), "GOPROXY=off", "GOFLAGS=")})
	e := l.waitFor(EventSwapped, buildTimeout)
	var sent, failed atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		c := &http.Client{Timeout: 10 * time.Second}
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			sent.Add(1)
			resp, err := c.Get(l.up.Load().String())
			if err == nil {
				resp.Body.Close()
			}
			if err != nil || resp.StatusCode != 200 {
				failed.Add(1)
				t.Logf("request failed: %v", err)
			}
		}
	}()
	writeFile(t, filepath.Join(dir, "main.go"), src("v2"))
	e2 := l.waitFor(EventSwapped, buildTimeout)
	if body, err := get(e2.Upstream); err != nil || body != "v2" {
		t.Fatalf("v2: %q %v", body, err)
	}
	time.Sleep(500 * time.Millisecond) // keep sending while v1 drains
	close(stop)
	<-done
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed", failed.Load(), sent.Load())
	}
	t.Logf("modes: %s then %s", e.Mode, e2.Mode)
}

// kitModule writes a module whose main.go is mainGo and which uses this
// checkout's golocal packages (see devtest.KitModule).
func kitModule(t *testing.T, mainGo string) string {
	t.Helper()
	gomod, gosum := devtest.KitModule(t, "example.test/sapp")
	return writeModule(t, map[string]string{"go.mod": gomod, "go.sum": gosum, "main.go": mainGo})
}

const stubbornApp = `package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signal.Ignore(syscall.SIGTERM)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "VERSION") })
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

func TestStopEscalatesToSIGKILL(t *testing.T) {
	src := func(v string) string { return strings.ReplaceAll(stubbornApp, "VERSION", v) }
	dir := writeModule(t, map[string]string{"main.go": src("v1")})
	l := startLoop(t, Options{Dir: dir, Grace: 300 * time.Millisecond})
	l.waitFor(EventSwapped, buildTimeout)
	writeFile(t, filepath.Join(dir, "main.go"), src("v2"))
	l.waitFor(EventSwapped, buildTimeout)
	// v1 ignores SIGTERM: it must be killed after the grace period.
	waitUntil(t, 10*time.Second, "only v2 running", func() bool { return len(processesWith(l.marker)) == 1 })
}

func TestAppOnIPv6LoopbackPortIsFound(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	src := strings.Replace(appSource("v6"), `"127.0.0.1:"+os.Getenv("PORT")`, `"[::1]:"+os.Getenv("PORT")`, 1)
	dir := writeModule(t, map[string]string{"main.go": src})
	l := startLoop(t, Options{Dir: dir})
	e := l.waitFor(EventSwapped, buildTimeout)
	if e.Mode != modePort.String() || !strings.HasPrefix(e.Upstream.Host, "[::1]:") {
		t.Fatalf("mode %q upstream %v, want PORT on [::1]", e.Mode, e.Upstream)
	}
	if body, err := get(e.Upstream); err != nil || body != "v6" {
		t.Fatalf("%q %v", body, err)
	}
}

// adminApp is serveApp with an admin server on a fresh loopback port
// (127.0.0.1:0) that answers "admin VERSION", as serve.Options.Admin does.
var adminApp = strings.Replace(serveApp, "serve.Options{}",
	`serve.Options{Admin: &serve.Admin{Addr: "127.0.0.1:0", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "admin VERSION") })}}`, 1)

func TestAdminAddressStaysAcrossReloads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an app on golocal's serve package")
	}
	if !strings.Contains(adminApp, "admin VERSION") {
		t.Fatal("serveApp changed: no admin server was added")
	}
	src := func(v string) string { return strings.ReplaceAll(adminApp, "VERSION", v) }
	dir := kitModule(t, src("v1"))
	l := startLoop(t, Options{Dir: dir, BuildFlags: []string{"-mod=mod"}, BaseEnv: append(os.Environ(), "GOPROXY=off", "GOFLAGS=")})
	e1 := l.waitFor(EventSwapped, buildTimeout)
	if e1.Admin == nil {
		t.Fatalf("the first version serves an admin server, but EventSwapped has no Admin URL: %+v", e1)
	}
	if body, err := get(e1.Admin); err != nil || body != "admin v1" {
		t.Fatalf("admin URL %s answered %q, %v; want the app's admin server", e1.Admin, body, err)
	}
	// What the app logged is the version's own port, not the front's.
	if e1.Admin.Host == e1.Upstream.Host {
		t.Errorf("admin URL %s is the app's upstream", e1.Admin)
	}
	for _, v := range []string{"v2", "v3"} {
		writeFile(t, filepath.Join(dir, "main.go"), src(v))
		e := l.waitFor(EventSwapped, buildTimeout)
		if e.Admin == nil || e.Admin.String() != e1.Admin.String() {
			t.Fatalf("after the reload to %s the admin URL is %v, want %s as before", v, e.Admin, e1.Admin)
		}
		if body, err := get(e.Admin); err != nil || body != "admin "+v {
			t.Fatalf("admin URL after the reload to %s answered %q, %v", v, body, err)
		}
	}
	// A version without an admin server: the same URL says so.
	writeFile(t, filepath.Join(dir, "main.go"), strings.ReplaceAll(serveApp, "VERSION", "v4"))
	if e := l.waitFor(EventSwapped, buildTimeout); e.Admin != nil {
		t.Errorf("a version without an admin server swapped with Admin %s", e.Admin)
	}
	resp, err := http.Get(e1.Admin.String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "no admin server") {
		t.Errorf("admin URL with no admin server: %d %q, want 503 saying why", resp.StatusCode, body)
	}
	l.stop()
	if _, err := http.Get(e1.Admin.String()); err == nil {
		t.Error("the admin front still answers after Run returned")
	}
}
