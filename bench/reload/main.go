// Command reload measures golocal dev against the floor every hot reloader
// is judged by: a plain "go build" of a one-line change plus process start
// to the first response.
//
//	go run ./bench/reload [-edits 20] [-apps hello,service,service-full]
//
// It builds golocal and measures, in one run, three cases:
//
//   - hello: a 15-line net/http app that only knows PORT, edited in
//     package main (target: ≤ 0.5× the floor);
//   - service: an app with a third-party router (chi) and two database
//     drivers (pgx, modernc.org/sqlite) linked in, handlers in the
//     sub-package internal/web, edited there (target: ≤ 0.6× the floor);
//   - service-full: the same with --no-fast-build, against the floor of
//     "go build -ldflags=-s -w" + start with golocal's own build settings
//     (CGO_ENABLED=0 when golocal dev chose it): what golocal adds around
//     go build (target: ≤ 1.05×).
//
// For each edit it measures the time from the save to the first response
// carrying the new body through the dev front, the way a browser sees it:
// the measuring client listens on the dev front's live-reload stream
// (/__golocal/events) and asks for the page when a reload arrives (and
// every 100 ms in case one is missed). It does not poll the front while
// the build runs, which would take CPU from the build that the floor's
// build does not lose. Alternating with those edits, it measures the floor
// on a copy of the app: edit, go build, start, first response (polled every
// 3 ms once the build is done). Two background clients (one keep-alive, one opening a
// fresh connection per request) send a request every 5 ms through the
// front for the whole run and count every failure (transport error or a
// status other than 200). Everything is on loopback and bounded in time.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golocal/golocal/internal/devtest"
)

// pollEvery is how often the measuring client asks the floor's app for
// the new body once its build is done.
const pollEvery = 3 * time.Millisecond

// fallbackEvery is how often the measuring client asks the dev front for
// the new body when no reload event came.
const fallbackEvery = 100 * time.Millisecond

// appKind is one app the bench edits: its files with BODY in the edited
// file, and how to measure it.
type appKind struct {
	name       string
	files      map[string]string // BODY marks the answer in edited
	edited     string
	devArgs    []string // extra golocal dev flags
	floorFlags []string // extra go build flags of the floor
	floorName  string
	target     float64
	// sameConfig: the floor builds with golocal's own choice of cgo.
	sameConfig bool
}

// serviceGoMod pins the service app's third-party modules to the versions
// golocal's own go.mod uses (chi: the version the module proxy serves).
const serviceGoMod = `module example.test/serviceapp

go 1.26

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/jackc/pgx/v5 v5.12.0
	modernc.org/sqlite v1.62.0
)
`

// serviceMain wires a router, a SQLite database and PostgreSQL's driver,
// and leaves the handlers to internal/web.
const serviceMain = `package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"example.test/serviceapp/internal/web"
)

func main() {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := db.Exec("CREATE TABLE t (v TEXT)"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := pgx.ParseConfig(os.Getenv("DATABASE_URL")); err != nil && os.Getenv("DATABASE_URL") != "" {
		fmt.Fprintln(os.Stderr, err)
	}
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), web.Routes(db)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

// serviceWeb holds the handlers; BODY is what "/" answers.
const serviceWeb = `package web

import (
	"database/sql"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Routes returns the app's handler.
func Routes(db *sql.DB) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "BODY")
	})
	r.Get("/count", func(w http.ResponseWriter, r *http.Request) {
		var n int
		if err := db.QueryRowContext(r.Context(), "SELECT count(*) FROM t").Scan(&n); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, n)
	})
	return r
}
`

func kinds() []appKind {
	service := map[string]string{"go.mod": serviceGoMod, "main.go": serviceMain, "internal/web/web.go": serviceWeb}
	return []appKind{
		{name: "hello", files: map[string]string{"go.mod": "module example.test/reloadapp\n\ngo 1.26\n", "main.go": devtest.PortApp},
			edited: "main.go", floorName: "go build + start", target: 0.5},
		{name: "service", files: service, edited: "internal/web/web.go", floorName: "go build + start", target: 0.6},
		{name: "service-full", files: service, edited: "internal/web/web.go", devArgs: []string{"--no-fast-build"},
			floorFlags: []string{"-ldflags=-s -w"}, floorName: "go build -ldflags='-s -w' + start", target: 1.05, sameConfig: true},
	}
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/reload:", err)
		os.Exit(1)
	}
}

type config struct {
	edits    int
	interval time.Duration
	tmp      string
	golocal  string
}

func run() error {
	edits := flag.Int("edits", 20, "number of edits per app (each measured for golocal dev and for the floor)")
	interval := flag.Duration("interval", 5*time.Millisecond, "background client request interval")
	keep := flag.Bool("keep", false, "keep the temporary folder (apps, logs)")
	breakdown := flag.Int("breakdown", 0, "build-only samples per link variant on the hello app (0: skip)")
	apps := flag.String("apps", "hello,service,service-full", "which apps to measure, comma-separated")
	flag.Parse()

	repo, err := moduleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "golocal-bench-reload-")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Println("temporary folder:", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	fmt.Printf("load average before: %s\n", loadAverage())
	cfg := config{edits: *edits, interval: *interval, tmp: tmp, golocal: filepath.Join(tmp, "golocal")}
	if out, err := exec.Command("go", "build", "-o", cfg.golocal, filepath.Join(repo, "cmd", "golocal")).CombinedOutput(); err != nil {
		return fmt.Errorf("building golocal: %v\n%s", err, out)
	}
	var results []result
	for _, k := range kinds() {
		if !slices.Contains(strings.Split(*apps, ","), k.name) {
			continue
		}
		appDir, floorDir, err := prepare(cfg, k)
		if err != nil {
			return err
		}
		if k.name == "hello" && *breakdown > 0 {
			if err := linkBreakdown(floorDir, k, *breakdown); err != nil {
				return err
			}
		}
		fmt.Printf("\n== %s: edits in %s%s\n", k.name, k.edited, strings.Join(append([]string{""}, k.devArgs...), " "))
		res, err := measure(cfg, k, appDir, floorDir)
		if err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
		results = append(results, res)
	}
	fmt.Println()
	fmt.Println("summary (medians, save → new body served):")
	for _, r := range results {
		ratio := float64(median(r.dev)) / float64(median(r.floor))
		fmt.Printf("  %-13s golocal dev %5d ms   %-50s %5d ms   %.2f× (target ≤ %.2f) %s   failed requests %d over %d reloads %s\n",
			r.kind.name, median(r.dev).Milliseconds(), r.floorName, median(r.floor).Milliseconds(), ratio, r.kind.target, verdict(ratio <= r.kind.target), r.failed, len(r.dev), verdict(r.failed == 0))
	}
	fmt.Println("golocal dev's first build, per app (its cgo choice applies to every later build):")
	for _, r := range results {
		fmt.Printf("  %-13s %s\n", r.kind.name, r.config)
	}
	fmt.Printf("load average after: %s\n", loadAverage())
	return nil
}

// prepare writes the app twice (one for golocal dev, one for the floor),
// completes go.sum and warms the build cache for both.
func prepare(cfg config, k appKind) (appDir, floorDir string, err error) {
	appDir, floorDir = filepath.Join(cfg.tmp, k.name, "app"), filepath.Join(cfg.tmp, k.name, "floor")
	for _, d := range []string{appDir, floorDir} {
		for name, content := range k.files {
			if name == k.edited {
				content = strings.Replace(content, "BODY", "v0", 1)
			}
			p := filepath.Join(d, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return "", "", err
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				return "", "", err
			}
		}
		if out, err := exec.Command("go", "-C", d, "mod", "tidy").CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go mod tidy for the %s app: %v\n%s", k.name, err, out)
		}
		// Warm the build cache for both, with cgo and without, so that
		// neither pays for the standard library or the third-party modules.
		for _, cgo := range []string{"CGO_ENABLED=1", "CGO_ENABLED=0"} {
			args := append(append([]string{"-C", d, "build", "-o", filepath.Join(d, "warm")}, k.floorFlags...), ".")
			cmd := exec.Command("go", args...)
			cmd.Env = append(os.Environ(), cgo)
			if out, err := cmd.CombinedOutput(); err != nil {
				return "", "", fmt.Errorf("warming the build cache (%s): %v\n%s", cgo, err, out)
			}
		}
	}
	return appDir, floorDir, nil
}

type result struct {
	kind       appKind
	floorName  string
	config     string // how golocal dev built first (its cgo choice)
	dev, floor []time.Duration
	floorBuild []time.Duration // the floor's go build alone
	failed     int64
}

// measure runs golocal dev on appDir and edits it cfg.edits times,
// alternating with the floor on floorDir.
func measure(cfg config, k appKind, appDir, floorDir string) (result, error) {
	res := result{kind: k, floorName: k.floorName}
	frontPort, err := freePort()
	if err != nil {
		return res, err
	}
	front := "http://127.0.0.1:" + strconv.Itoa(frontPort) + "/"
	logFile, err := os.Create(filepath.Join(cfg.tmp, k.name+"-golocal-dev.log"))
	if err != nil {
		return res, err
	}
	defer logFile.Close()
	dev := exec.Command(cfg.golocal, append([]string{"dev", "--json", "--addr", "127.0.0.1:" + strconv.Itoa(frontPort)}, k.devArgs...)...)
	dev.Dir = appDir
	dev.Stdout, dev.Stderr = logFile, logFile
	marker := "GOLOCAL_BENCH_MARKER=" + cfg.tmp + "/" + k.name
	dev.Env = append(os.Environ(), "NO_COLOR=1", marker)
	newProcessGroup(dev)
	if err := dev.Start(); err != nil {
		return res, err
	}
	devDone := make(chan error, 1)
	go func() { devDone <- dev.Wait() }()
	stopDev := func() error {
		interruptGroup(dev)
		select {
		case err := <-devDone:
			return err
		case <-time.After(15 * time.Second):
			killGroup(dev)
			<-devDone
			return errors.New("golocal dev did not stop within 15 s of SIGINT")
		}
	}
	poller := &http.Client{Timeout: 10 * time.Second}
	if _, err := waitBody(poller, front, "v0", 180*time.Second); err != nil {
		_ = stopDev()
		return res, fmt.Errorf("golocal dev never served v0: %v (log: %s)", err, tail(logFile.Name()))
	}
	// The first go build's package graph loads in the background: let it
	// finish before the first measured edit.
	time.Sleep(2 * time.Second)
	res.config = firstHow(logFile.Name())
	var floorEnv []string
	if k.sameConfig && strings.Contains(res.config, "CGO_ENABLED=0") {
		floorEnv = []string{"CGO_ENABLED=0"}
		res.floorName = "CGO_ENABLED=0 " + k.floorName
	}
	events, stopEvents, err := listenEvents(front + "__golocal/events")
	if err != nil {
		_ = stopDev()
		return res, err
	}
	defer stopEvents()

	ctx, stopClients := context.WithCancel(context.Background())
	keepAlive := &client{name: "keep-alive", c: &http.Client{Timeout: 10 * time.Second}}
	fresh := &client{name: "fresh connection", c: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	var wg sync.WaitGroup
	for _, c := range []*client{keepAlive, fresh} {
		wg.Add(1)
		go func() { defer wg.Done(); c.loop(ctx, front, cfg.interval) }()
	}
	var runErr error
	for i := 1; i <= cfg.edits; i++ {
		body := "v" + strconv.Itoa(i)
		drain(events)
		if err := save(filepath.Join(appDir, k.edited), k.files[k.edited], body); err != nil {
			runErr = err
			break
		}
		d, err := waitReloaded(poller, front, body, events, 120*time.Second)
		if err != nil {
			runErr = fmt.Errorf("edit %d: %v (log: %s)", i, err, tail(logFile.Name()))
			break
		}
		res.dev = append(res.dev, d)
		// Let the old version retire, and golocal dev's work after a go
		// build (it reloads the package graph, about half a second of
		// CPU) finish, before measuring the floor, so that the two
		// measurements do not share the CPU.
		time.Sleep(1500 * time.Millisecond)
		f, fb, err := floorOnce(floorDir, k, i, floorEnv)
		if err != nil {
			runErr = err
			break
		}
		res.floor = append(res.floor, f)
		res.floorBuild = append(res.floorBuild, fb)
		fmt.Printf("edit %2d: golocal dev %4d ms   floor %4d ms\n", i, d.Milliseconds(), f.Milliseconds())
	}
	// Keep the clients running a little after the last swap: the retiring
	// version is stopped after it.
	time.Sleep(500 * time.Millisecond)
	stopClients()
	wg.Wait()
	devErr := stopDev()
	if runErr != nil {
		return res, runErr
	}
	fmt.Printf("golocal dev save → new body (n=%d): median %d ms, min %d ms, max %d ms\n", len(res.dev), median(res.dev).Milliseconds(), slices.Min(res.dev).Milliseconds(), slices.Max(res.dev).Milliseconds())
	fmt.Printf("floor %s → new body (n=%d): median %d ms, min %d ms, max %d ms\n", res.floorName, len(res.floor), median(res.floor).Milliseconds(), slices.Min(res.floor).Milliseconds(), slices.Max(res.floor).Milliseconds())
	res.failed = keepAlive.failed.Load() + fresh.failed.Load()
	for _, c := range []*client{keepAlive, fresh} {
		fmt.Printf("background client %-16s %6d requests, %d failed%s\n", c.name+":", c.total.Load(), c.failed.Load(), c.firstErrors())
	}
	if b, s, direct, n, hows := ownFigures(logFile.Name()); n > 0 {
		fmt.Printf("golocal dev's own figures over %d swaps: build median %d ms (%d fast), start-to-serving median %d ms; the floor's go build alone: median %d ms\n", n, median(b).Milliseconds(), direct, median(s).Milliseconds(), median(res.floorBuild).Milliseconds())
		for _, h := range hows {
			fmt.Printf("  %s\n", h)
		}
	}
	if devErr != nil {
		fmt.Printf("golocal dev exit: %v\n", devErr)
	}
	if leftovers := processesWith(marker); len(leftovers) > 0 {
		fmt.Printf("LEFTOVER processes after golocal dev stopped: %v\n", leftovers)
	}
	return res, nil
}

// ownFigures reads the swapped events golocal dev printed with --json
// (the first start excluded), and a few of the build paths they took.
func ownFigures(path string) (build, swap []time.Duration, direct, n int, hows []string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, 0, 0, nil
	}
	for _, line := range strings.Split(string(data), "\n") {
		var e struct {
			Event   string `json:"event"`
			BuildMS int64  `json:"build_ms"`
			SwapMS  int64  `json:"swap_ms"`
			Direct  bool   `json:"direct"`
			How     string `json:"how"`
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Event != "swapped" {
			continue
		}
		n++
		if n == 1 {
			continue
		}
		build = append(build, time.Duration(e.BuildMS)*time.Millisecond)
		swap = append(swap, time.Duration(e.SwapMS)*time.Millisecond)
		if e.Direct {
			direct++
		}
		if len(hows) < 3 {
			hows = append(hows, e.How)
		}
	}
	return build, swap, direct, n - 1, hows
}

func verdict(ok bool) string {
	if ok {
		return "OK"
	}
	return "MISSED"
}

// save writes template with body the way editors save: a temporary file
// renamed over the original.
func save(path, template, body string) error {
	tmp := path + ".tmp~"
	if err := os.WriteFile(tmp, []byte(strings.Replace(template, "BODY", body, 1)), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// waitBody polls url every pollEvery until it answers 200 with body and
// returns the time that took.
func waitBody(c *http.Client, url, body string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	deadline := start.Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		resp, err := c.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == body {
				return time.Since(start), nil
			}
			last = fmt.Sprintf("%d %q", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		time.Sleep(pollEvery)
	}
	return 0, fmt.Errorf("no %q within %v (last: %s)", body, timeout, last)
}

// floorOnce is the baseline: edit, plain go build, start, first response.
func floorOnce(dir string, k appKind, i int, env []string) (total, build time.Duration, err error) {
	body := "f" + strconv.Itoa(i)
	port, err := freePort()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := save(filepath.Join(dir, k.edited), k.files[k.edited], body); err != nil {
		return 0, 0, err
	}
	bin := filepath.Join(dir, "app-"+strconv.Itoa(i))
	args := append(append([]string{"-C", dir, "build", "-o", bin}, k.floorFlags...), ".")
	goBuild := exec.Command("go", args...)
	goBuild.Env = append(os.Environ(), env...)
	if out, err := goBuild.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("floor build: %v\n%s", err, out)
	}
	built := time.Since(start)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.Remove(bin)
	}()
	c := &http.Client{Timeout: 10 * time.Second}
	if _, err := waitBody(c, "http://127.0.0.1:"+strconv.Itoa(port)+"/", body, 60*time.Second); err != nil {
		return 0, 0, fmt.Errorf("floor: %v", err)
	}
	return time.Since(start), built, nil
}

// linkBreakdown times build-only variants alternately so that load changes
// hit them equally: the default link and the lean development link.
func linkBreakdown(dir string, k appKind, n int) error {
	variants := []struct {
		name string
		args []string
	}{
		{"go build (default)", nil},
		{"go build -ldflags=-s -w", []string{"-ldflags=-s -w"}},
		{"go build -trimpath -ldflags=-s -w", []string{"-trimpath", "-ldflags=-s -w"}},
	}
	times := make([][]time.Duration, len(variants))
	// One unmeasured round: -trimpath has its own cache entries.
	for round := -1; round < n; round++ {
		for vi, v := range variants {
			if err := save(filepath.Join(dir, k.edited), k.files[k.edited], fmt.Sprintf("b%d-%d", round+1, vi)); err != nil {
				return err
			}
			args := append(append([]string{"-C", dir, "build", "-o", filepath.Join(dir, "breakdown")}, v.args...), ".")
			start := time.Now()
			if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %v\n%s", v.name, err, out)
			}
			if round >= 0 {
				times[vi] = append(times[vi], time.Since(start))
			}
		}
	}
	fmt.Printf("build only, one-line change, median of %d:\n", n)
	for vi, v := range variants {
		fmt.Printf("  %-36s %4d ms\n", v.name, median(times[vi]).Milliseconds())
	}
	return nil
}

type client struct {
	name   string
	c      *http.Client
	total  atomic.Int64
	failed atomic.Int64
	mu     sync.Mutex
	errs   []string
}

func (c *client) loop(ctx context.Context, url string, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.total.Add(1)
		resp, err := c.c.Get(url)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != 200 {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		if err != nil {
			c.failed.Add(1)
			c.mu.Lock()
			if len(c.errs) < 3 {
				c.errs = append(c.errs, err.Error())
			}
			c.mu.Unlock()
		}
	}
}

func (c *client) firstErrors() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) == 0 {
		return ""
	}
	return " (first: " + strings.Join(c.errs, "; ") + ")"
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module github.com/golocal/golocal")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("run this from the golocal checkout: go run ./bench/reload")
		}
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\n" + string(b)
}

// processesWith lists processes whose environment holds marker (golocal
// dev and the app versions it started inherit it): none may survive it.
func processesWith(marker string) []string {
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
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Split(splitNUL)
		for sc.Scan() {
			if sc.Text() == marker {
				out = append(out, e.Name())
			}
		}
	}
	return out
}

func splitNUL(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// firstHow returns the How of the first version golocal dev served.
func firstHow(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		var e struct {
			Event string `json:"event"`
			How   string `json:"how"`
		}
		if json.Unmarshal([]byte(line), &e) == nil && e.Event == "swapped" {
			return e.How
		}
	}
	return ""
}

// listenEvents reads the dev front's live-reload stream as a browser's
// EventSource does and sends each event's name on the returned channel.
func listenEvents(url string) (<-chan string, func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("live-reload stream: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, nil, fmt.Errorf("live-reload stream: status %d", resp.StatusCode)
	}
	events := make(chan string, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				select {
				case events <- name:
				default: // nobody waits: the fallback poll still sees the body
				}
			}
		}
	}()
	return events, func() { cancel(); <-done }, nil
}

// drain empties events of what came before a save.
func drain(events <-chan string) {
	for {
		select {
		case <-events:
		default:
			return
		}
	}
}

// waitReloaded waits for a reload event (or fallbackEvery) and asks url
// for the page until it answers 200 with body, returning the time since
// the call.
func waitReloaded(c *http.Client, url, body string, events <-chan string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	fallback := time.NewTicker(fallbackEvery)
	defer fallback.Stop()
	last := "no answer yet"
	for {
		select {
		case <-deadline.C:
			return 0, fmt.Errorf("no %q within %v (last: %s)", body, timeout, last)
		case name := <-events:
			if name != "reload" {
				continue
			}
		case <-fallback.C:
		}
		resp, err := c.Get(url)
		if err != nil {
			last = err.Error()
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && string(b) == body {
			return time.Since(start), nil
		}
		last = fmt.Sprintf("%d %q", resp.StatusCode, b)
	}
}
