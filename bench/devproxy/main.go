// Command devproxy measures what the golocal dev front costs: the latency
// it adds to each request (p50, p99, sequential requests on one keep-alive
// connection) and the throughput through it (concurrent clients), against
// the same loopback app reached directly, in one run.
//
//	go run ./bench/devproxy
//	go run ./bench/devproxy -n 20000 -c 32 -d 3s -size 4096 -json
//
// Direct and proxied requests alternate, so that machine noise (other
// builds on the box) hits both sides alike. A third row measures HTML
// navigations, which the front rewrites (client injection, CSP amendment).
// The target is at most 150 µs added at p50. Exit status: 0 when every
// request succeeded, 1 when any failed, 2 on bad flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golocal/golocal/internal/devproxy"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// targetAddedP50 is the budget the front must stay within.
const targetAddedP50 = 150 * time.Microsecond

type latency struct {
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
}

type report struct {
	Requests    int           `json:"requests"`
	Concurrency int           `json:"concurrency"`
	Duration    time.Duration `json:"duration_ns"`
	BodyBytes   int           `json:"body_bytes"`
	Direct      latency       `json:"direct"`
	Front       latency       `json:"front"`
	FrontHTML   latency       `json:"front_html"`
	AddedP50    time.Duration `json:"added_p50_ns"`
	AddedP99    time.Duration `json:"added_p99_ns"`
	DirectRPS   float64       `json:"direct_rps"`
	FrontRPS    float64       `json:"front_rps"`
	Failed      int64         `json:"failed"`
	MeetsTarget bool          `json:"meets_target"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("devproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 5000, "sequential requests per side for latency")
	conc := fs.Int("c", 16, "concurrent clients for throughput")
	dur := fs.Duration("d", 2*time.Second, "how long each throughput run lasts")
	size := fs.Int("size", 1024, "response body bytes")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "devproxy: unexpected argument %q; all settings are flags (see -h)\n", fs.Arg(0))
		return 2
	case *n < 10 || *n > 1_000_000:
		fmt.Fprintf(stderr, "devproxy: -n %d is out of range; use 10 to 1000000\n", *n)
		return 2
	case *conc < 1 || *conc > 1000:
		fmt.Fprintf(stderr, "devproxy: -c %d is out of range; use 1 to 1000\n", *conc)
		return 2
	case *dur < 50*time.Millisecond || *dur > time.Minute:
		fmt.Fprintf(stderr, "devproxy: -d %v is out of range; use 50ms to 1m\n", *dur)
		return 2
	case *size < 0 || *size > 64<<20:
		fmt.Fprintf(stderr, "devproxy: -size %d is out of range; use 0 to 64 MiB\n", *size)
		return 2
	}
	rep, err := measure(*n, *conc, *dur, *size)
	if err != nil {
		fmt.Fprintf(stderr, "devproxy: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		printReport(stdout, rep)
	}
	if rep.Failed > 0 {
		return 1
	}
	return 0
}

func printReport(w io.Writer, r report) {
	us := func(d time.Duration) string { return fmt.Sprintf("%8.1f µs", float64(d)/float64(time.Microsecond)) }
	fmt.Fprintf(w, "dev front overhead · %d sequential requests per side, %d-byte bodies, loopback\n\n", r.Requests, r.BodyBytes)
	fmt.Fprintf(w, "  %-26s %11s %11s\n", "", "p50", "p99")
	fmt.Fprintf(w, "  %-26s %s %s\n", "direct", us(r.Direct.P50), us(r.Direct.P99))
	fmt.Fprintf(w, "  %-26s %s %s\n", "through the front", us(r.Front.P50), us(r.Front.P99))
	fmt.Fprintf(w, "  %-26s %s %s\n", "front, HTML (injected)", us(r.FrontHTML.P50), us(r.FrontHTML.P99))
	fmt.Fprintf(w, "  %-26s %s %s\n\n", "added by the front", us(r.AddedP50), us(r.AddedP99))
	fmt.Fprintf(w, "throughput · %d concurrent clients, %s each\n", r.Concurrency, r.Duration)
	fmt.Fprintf(w, "  direct             %10.0f req/s\n", r.DirectRPS)
	fmt.Fprintf(w, "  through the front  %10.0f req/s  (%.0f%% of direct)\n\n", r.FrontRPS, 100*r.FrontRPS/r.DirectRPS)
	verdict := "meets"
	if !r.MeetsTarget {
		verdict = "MISSES"
	}
	fmt.Fprintf(w, "added p50 %s %s the target of ≤ %s · failed requests: %d\n",
		strings.TrimSpace(us(r.AddedP50)), verdict, targetAddedP50, r.Failed)
}

// serveLoopback serves h on a fresh loopback port until ctx ends.
func serveLoopback(ctx context.Context, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening on loopback: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

func measure(n, conc int, dur time.Duration, size int) (report, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := []byte(strings.Repeat("x", size))
	page := []byte("<!doctype html><html><head><title>bench</title></head><body>" + strings.Repeat("p", size) + "</body></html>")
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/page" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", "script-src 'nonce-abc' 'strict-dynamic'; default-src 'self'")
			_, _ = w.Write(page)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	})
	appURL, err := serveLoopback(ctx, app)
	if err != nil {
		return report{}, err
	}
	front := devproxy.New(devproxy.Options{})
	defer front.Close()
	u, _ := url.Parse(appURL)
	front.SetUpstream(u)
	frontURL, err := serveLoopback(ctx, front)
	if err != nil {
		return report{}, err
	}

	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: 2 * conc, MaxIdleConnsPerHost: 2 * conc, DisableCompression: true, Proxy: nil,
	}}
	var failed atomic.Int64
	do := func(url string, nav bool) time.Duration {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if nav {
			req.Header.Set("Sec-Fetch-Mode", "navigate")
			req.Header.Set("Accept", "text/html")
		}
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			failed.Add(1)
			return 0
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		took := time.Since(start)
		if err != nil || res.StatusCode != http.StatusOK {
			failed.Add(1)
		}
		return took
	}

	// Warm up both paths (connections, pools, page faults).
	for range min(n/5, 1000) {
		do(appURL+"/x", false)
		do(frontURL+"/x", false)
		do(frontURL+"/page", true)
	}
	direct := make([]time.Duration, 0, n)
	viaFront := make([]time.Duration, 0, n)
	html := make([]time.Duration, 0, n)
	for range n {
		direct = append(direct, do(appURL+"/x", false))
		viaFront = append(viaFront, do(frontURL+"/x", false))
		html = append(html, do(frontURL+"/page", true))
	}
	rep := report{Requests: n, Concurrency: conc, Duration: dur, BodyBytes: size}
	rep.Direct, rep.Front, rep.FrontHTML = percentiles(direct), percentiles(viaFront), percentiles(html)
	rep.AddedP50 = rep.Front.P50 - rep.Direct.P50
	rep.AddedP99 = rep.Front.P99 - rep.Direct.P99
	rep.MeetsTarget = rep.AddedP50 <= targetAddedP50

	rep.DirectRPS = throughput(conc, dur, func() { do(appURL+"/x", false) })
	rep.FrontRPS = throughput(conc, dur, func() { do(frontURL+"/x", false) })
	rep.Failed = failed.Load()
	if rep.Failed > 0 && rep.Failed == int64(n) {
		return rep, errors.New("every request failed")
	}
	return rep, nil
}

func percentiles(d []time.Duration) latency {
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return latency{P50: at(0.50), P99: at(0.99)}
}

// throughput runs fn from conc goroutines for dur and returns calls/s.
func throughput(conc int, dur time.Duration, fn func()) float64 {
	var count atomic.Int64
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				fn()
				count.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(count.Load()) / time.Since(start).Seconds()
}
