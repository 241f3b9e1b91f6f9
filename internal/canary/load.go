package canary

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Target is one request to send: a method and a path with its query.
type Target struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// maxLineBytes bounds one line of an access log or paths file.
const maxLineBytes = 64 << 10

// ParseAccessLog reads the kit's JSON access log (one object a line with
// method, path and status; other lines, such as other log records, are
// skipped when they have no "path"). A line that is not JSON is an error
// naming its number.
func ParseAccessLog(r io.Reader) ([]Target, error) {
	var out []Target
	err := eachLine(r, func(n int, line string) error {
		if line == "" {
			return nil
		}
		var rec struct {
			Method string `json:"method"`
			Path   string `json:"path"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return fmt.Errorf("line %d is not a JSON access log record (%v); --replay reads the kit's access log, one JSON object a line with method and path", n, err)
		}
		if rec.Path == "" {
			return nil // another log record (startup, warnings)
		}
		t, err := checkTarget(rec.Method, rec.Path)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, t)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = errors.New("no access log records with a path; is this the kit's JSON access log (middleware.AccessLog)?")
	}
	return out, err
}

// ParsePaths reads a paths file: one request a line, "/path?query" (a
// GET) or "METHOD /path"; blank lines and lines starting with # are
// skipped.
func ParsePaths(r io.Reader) ([]Target, error) {
	var out []Target
	err := eachLine(r, func(n int, line string) error {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			return nil
		}
		method, path := http.MethodGet, line
		if f := strings.Fields(line); len(f) == 2 {
			method, path = f[0], f[1]
		} else if len(f) > 2 {
			return fmt.Errorf("line %d: %q: write one request a line, \"/path\" or \"METHOD /path\"", n, line)
		}
		t, err := checkTarget(method, path)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, t)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = errors.New("the paths file lists no request; write one a line, \"/path\" or \"METHOD /path\"")
	}
	return out, err
}

func eachLine(r io.Reader, f func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLineBytes)
	for n := 1; sc.Scan(); n++ {
		if err := f(n, strings.TrimRight(sc.Text(), "\r")); err != nil {
			return err
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return fmt.Errorf("a line is longer than %d KiB", maxLineBytes>>10)
	}
	return sc.Err()
}

// checkTarget validates a method and an origin-form path.
func checkTarget(method, path string) (Target, error) {
	if method == "" {
		method = http.MethodGet
	}
	for _, c := range method {
		if c < 'A' || c > 'Z' {
			return Target{}, fmt.Errorf("method %q is not an HTTP method such as GET or POST", method)
		}
	}
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return Target{}, fmt.Errorf("path %q must start with a single / (a path on the service, not a URL)", path)
	}
	if _, err := url.ParseRequestURI(path); err != nil || strings.ContainsAny(path, " \t\x00") {
		return Target{}, fmt.Errorf("path %q is not a valid request path", path)
	}
	return Target{Method: method, Path: path}, nil
}

// LoadOptions say how to generate traffic.
type LoadOptions struct {
	// Front is the front's base URL.
	Front *url.URL
	// Targets are sent in order, round and round until Duration passes;
	// with Duration 0 each is sent once (a replay).
	Targets  []Target
	RPS      float64
	Duration time.Duration
	// Routing marks the share of requests meant for the candidate (the
	// header or cookie); CandidateShare is that share, 0..1.
	Routing        Routing
	CandidateShare float64
	// Progress is called about ten times a second with done and total.
	Progress func(done, total int)
	// Client sends the requests (nil: a fresh one without proxy).
	Client *http.Client
}

// Load sends the requests at the given rate, each in its own goroutine so
// a slow answer does not slow the schedule (open-loop load, as real users
// arrive). It returns when all have been answered or ctx is done.
func Load(ctx context.Context, o LoadOptions) error {
	if o.RPS <= 0 {
		return errors.New("the request rate must be positive")
	}
	total := len(o.Targets)
	if o.Duration > 0 {
		total = int(o.RPS * o.Duration.Seconds())
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}
		defer client.CloseIdleConnections()
	}
	var done atomic.Int64
	stopProgress := reportProgress(o.Progress, &done, total)
	defer stopProgress()
	var wg sync.WaitGroup
	defer wg.Wait()
	interval := time.Duration(float64(time.Second) / o.RPS)
	start := time.Now()
	marked := 0.0
	for i := range total {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		// Mark an even spread: request i is marked when the running share
		// falls behind CandidateShare.
		mark := marked < o.CandidateShare*float64(i+1)
		if mark {
			marked++
		}
		t := o.Targets[i%len(o.Targets)]
		wg.Go(func() {
			defer done.Add(1)
			send(ctx, client, o, t, mark)
		})
	}
	return nil
}

func send(ctx context.Context, client *http.Client, o LoadOptions, t Target, mark bool) {
	u := o.Front.String() + t.Path
	req, err := http.NewRequestWithContext(ctx, t.Method, u, nil)
	if err != nil {
		return
	}
	req.Header.Set("User-Agent", "golocal-canary-load")
	if mark {
		o.Routing.Mark(req)
	}
	resp, err := client.Do(req)
	if err != nil {
		return // the front records the version's failure
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func reportProgress(f func(done, total int), done *atomic.Int64, total int) func() {
	if f == nil {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				f(int(done.Load()), total)
				return
			case <-t.C:
				f(int(done.Load()), total)
			}
		}
	}()
	return func() { close(stop); <-finished }
}

// ProgressBar renders done/total as a bar of width cells.
func ProgressBar(done, total, width int) string {
	if total <= 0 {
		total = 1
	}
	filled := min(width, done*width/total)
	return fmt.Sprintf("[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total)
}
