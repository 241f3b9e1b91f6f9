// Command reload measures golocal dev against the floor every hot reloader
// is judged by: a plain "go build" of a one-line change plus process start
// to the first response.
//
//	go run ./bench/reload [-edits 20]
//
// It builds golocal, generates a 15-line net/http app that only knows PORT,
// runs "golocal dev" on it and, for each edit, measures the time from the
// save to the first response carrying the new body through the dev front.
// Alternating with those edits, it measures the floor on a copy of the app:
// edit, go build, start, first response. Two background clients (one
// keep-alive, one opening a fresh connection per request) send a request
// every 5 ms through the front for the whole run and count every failure
// (transport error or a status other than 200). Everything is on loopback
// and bounded in time.
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
	"syscall"
	"time"

	"github.com/golocal/golocal/internal/devtest"
)

// appSource is the 15-line net/http app the tests of golocal dev use too.
const appSource = devtest.PortApp

// pollEvery is how often the measuring client asks for the new body, for
// golocal dev and for the floor alike. Each answer through the front costs
// CPU that the build needs, so it is not made finer than needed.
const pollEvery = 3 * time.Millisecond

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/reload:", err)
		os.Exit(1)
	}
}

func run() error {
	edits := flag.Int("edits", 20, "number of edits (each measured for golocal dev and for the floor)")
	interval := flag.Duration("interval", 5*time.Millisecond, "background client request interval")
	keep := flag.Bool("keep", false, "keep the temporary folder (app, logs)")
	breakdown := flag.Int("breakdown", 5, "build-only samples per link variant (0: skip)")
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

	golocal := filepath.Join(tmp, "golocal")
	if out, err := exec.Command("go", "build", "-o", golocal, filepath.Join(repo, "cmd", "golocal")).CombinedOutput(); err != nil {
		return fmt.Errorf("building golocal: %v\n%s", err, out)
	}
	appDir, floorDir := filepath.Join(tmp, "app"), filepath.Join(tmp, "floor")
	for _, d := range []string{appDir, floorDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "go.mod"), []byte("module example.test/reloadapp\n\ngo 1.26\n"), 0o644); err != nil {
			return err
		}
		if err := save(filepath.Join(d, "main.go"), "v0"); err != nil {
			return err
		}
		// Warm the build cache for both so that neither pays for the
		// standard library.
		if out, err := exec.Command("go", "-C", d, "build", "-o", filepath.Join(d, "warm"), ".").CombinedOutput(); err != nil {
			return fmt.Errorf("warming the build cache: %v\n%s", err, out)
		}
	}

	if *breakdown > 0 {
		if err := linkBreakdown(floorDir, *breakdown); err != nil {
			return err
		}
	}

	frontPort, err := freePort()
	if err != nil {
		return err
	}
	front := "http://127.0.0.1:" + strconv.Itoa(frontPort) + "/"
	logFile, err := os.Create(filepath.Join(tmp, "golocal-dev.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	dev := exec.Command(golocal, "dev", "--json", "--addr", "127.0.0.1:"+strconv.Itoa(frontPort))
	dev.Dir = appDir
	dev.Stdout, dev.Stderr = logFile, logFile
	marker := "GOLOCAL_BENCH_MARKER=" + tmp
	dev.Env = append(os.Environ(), "NO_COLOR=1", marker)
	dev.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := dev.Start(); err != nil {
		return err
	}
	devDone := make(chan error, 1)
	go func() { devDone <- dev.Wait() }()
	stopDev := func() error {
		_ = dev.Process.Signal(os.Interrupt)
		select {
		case err := <-devDone:
			return err
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-dev.Process.Pid, syscall.SIGKILL)
			<-devDone
			return errors.New("golocal dev did not stop within 15 s of SIGINT")
		}
	}
	poller := &http.Client{Timeout: 10 * time.Second}
	if _, err := waitBody(poller, front, "v0", 120*time.Second); err != nil {
		_ = stopDev()
		return fmt.Errorf("golocal dev never served v0: %v (log: %s)", err, tail(logFile.Name()))
	}

	ctx, stopClients := context.WithCancel(context.Background())
	keepAlive := &client{name: "keep-alive", c: &http.Client{Timeout: 10 * time.Second}}
	fresh := &client{name: "fresh connection", c: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	var wg sync.WaitGroup
	for _, c := range []*client{keepAlive, fresh} {
		wg.Add(1)
		go func() { defer wg.Done(); c.loop(ctx, front, *interval) }()
	}

	var devTimes, floorTimes []time.Duration
	var runErr error
	for i := 1; i <= *edits; i++ {
		body := "v" + strconv.Itoa(i)
		if err := save(filepath.Join(appDir, "main.go"), body); err != nil {
			runErr = err
			break
		}
		d, err := waitBody(poller, front, body, 60*time.Second)
		if err != nil {
			runErr = fmt.Errorf("edit %d: %v (log: %s)", i, err, tail(logFile.Name()))
			break
		}
		devTimes = append(devTimes, d)
		// Let the old version retire before measuring the floor, so the
		// two measurements do not share the CPU.
		time.Sleep(400 * time.Millisecond)
		f, err := floorOnce(floorDir, i)
		if err != nil {
			runErr = err
			break
		}
		floorTimes = append(floorTimes, f)
		fmt.Printf("edit %2d: golocal dev %4d ms   floor %4d ms\n", i, d.Milliseconds(), f.Milliseconds())
	}
	// Keep the clients running a little after the last swap: the retiring
	// version is stopped after it.
	time.Sleep(500 * time.Millisecond)
	stopClients()
	wg.Wait()
	devErr := stopDev()
	if runErr != nil {
		return runErr
	}

	fmt.Println()
	fmt.Printf("golocal dev save → new body (n=%d): median %d ms, min %d ms, max %d ms\n", len(devTimes), median(devTimes).Milliseconds(), slices.Min(devTimes).Milliseconds(), slices.Max(devTimes).Milliseconds())
	fmt.Printf("floor go build + start → new body (n=%d): median %d ms, min %d ms, max %d ms\n", len(floorTimes), median(floorTimes).Milliseconds(), slices.Min(floorTimes).Milliseconds(), slices.Max(floorTimes).Milliseconds())
	ratio := float64(median(devTimes)) / float64(median(floorTimes))
	fmt.Printf("ratio median/median: %.2f × floor (target ≤ 0.85) %s\n", ratio, verdict(ratio <= 0.85))
	failed := keepAlive.failed.Load() + fresh.failed.Load()
	for _, c := range []*client{keepAlive, fresh} {
		fmt.Printf("background client %-16s %6d requests, %d failed%s\n", c.name+":", c.total.Load(), c.failed.Load(), c.firstErrors())
	}
	fmt.Printf("failed requests over %d reloads: %d (target 0) %s\n", len(devTimes), failed, verdict(failed == 0))
	fmt.Printf("load average after: %s\n", loadAverage())
	if b, s, direct, n := ownFigures(logFile.Name()); n > 0 {
		fmt.Printf("golocal dev's own figures over %d swaps: build median %d ms (%d direct compile+link), start-to-serving median %d ms\n", n, median(b).Milliseconds(), direct, median(s).Milliseconds())
	}
	if devErr != nil {
		fmt.Printf("golocal dev exit: %v\n", devErr)
	}
	if leftovers := processesWith(marker); len(leftovers) > 0 {
		fmt.Printf("LEFTOVER processes after golocal dev stopped: %v\n", leftovers)
	}
	return nil
}

// ownFigures reads the swapped events golocal dev printed with --json
// (the first start excluded).
func ownFigures(path string) (build, swap []time.Duration, direct, n int) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		var e struct {
			Event   string `json:"event"`
			BuildMS int64  `json:"build_ms"`
			SwapMS  int64  `json:"swap_ms"`
			Direct  bool   `json:"direct"`
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
	}
	return build, swap, direct, n - 1
}

func verdict(ok bool) string {
	if ok {
		return "OK"
	}
	return "MISSED"
}

// save writes the app with body the way editors save: a temporary file
// renamed over the original.
func save(path, body string) error {
	tmp := path + ".tmp~"
	if err := os.WriteFile(tmp, []byte(strings.Replace(appSource, "BODY", body, 1)), 0o644); err != nil {
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
func floorOnce(dir string, i int) (time.Duration, error) {
	body := "f" + strconv.Itoa(i)
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := save(filepath.Join(dir, "main.go"), body); err != nil {
		return 0, err
	}
	bin := filepath.Join(dir, "app-"+strconv.Itoa(i))
	if out, err := exec.Command("go", "-C", dir, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("floor build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.Remove(bin)
	}()
	c := &http.Client{Timeout: 10 * time.Second}
	if _, err := waitBody(c, "http://127.0.0.1:"+strconv.Itoa(port)+"/", body, 60*time.Second); err != nil {
		return 0, fmt.Errorf("floor: %v", err)
	}
	return time.Since(start), nil
}

// linkBreakdown times build-only variants alternately so that load changes
// hit them equally: the default link and the lean development link.
func linkBreakdown(dir string, n int) error {
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
			if err := save(filepath.Join(dir, "main.go"), fmt.Sprintf("b%d-%d", round+1, vi)); err != nil {
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
