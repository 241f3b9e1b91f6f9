// Command health measures /readyz under load with a slow (200 ms) check and
// prints the figures side by side: once with the check cached and refreshed
// in the background (health's default), once with caching disabled so the
// check runs inside every probe. Everything runs on loopback, for a bounded
// time.
//
//	go run ./bench/health
//	go run ./bench/health -clients 32 -duration 3s -check 200ms
//
// It exits 0 when every request of the cached run answered 200, 1 when
// some failed, and 2 on bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/golocal/golocal/health"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	clients  int
	duration time.Duration
	check    time.Duration
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.IntVar(&c.clients, "clients", 16, "concurrent clients (1-512)")
	fs.DurationVar(&c.duration, "duration", 2*time.Second, "load time per mode (at most 30s)")
	fs.DurationVar(&c.check, "check", 200*time.Millisecond, "how long the slow check takes")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected argument %q; this command takes only flags", fs.Arg(0))
	case c.clients < 1 || c.clients > 512:
		return c, fmt.Errorf("-clients %d out of range; use 1 to 512 (the machine is shared)", c.clients)
	case c.duration <= 0 || c.duration > 30*time.Second:
		return c, fmt.Errorf("-duration %v out of range; use more than 0 and at most 30s", c.duration)
	case c.check < 0 || c.check > 5*time.Second:
		return c, fmt.Errorf("-check %v out of range; use 0 to 5s", c.check)
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "bench/health:", err)
		}
		return 2
	}
	fmt.Fprintf(stdout, "/readyz with a %v check, %d clients, %v per mode, loopback\n\n", cfg.check, cfg.clients, cfg.duration)
	fmt.Fprintf(stdout, "%-28s %9s %9s %9s %9s %10s %7s %7s\n", "mode", "requests", "req/s", "p50", "p99", "max", "failed", "checks")
	exit := 0
	for _, mode := range []struct {
		name     string
		interval time.Duration
	}{
		{"cached (interval 1s)", time.Second},
		{"uncached (check per probe)", -1},
	} {
		res, err := measure(cfg, mode.interval)
		if err != nil {
			fmt.Fprintln(stderr, "bench/health:", err)
			return 1
		}
		fmt.Fprintf(stdout, "%-28s %9d %9.0f %9s %9s %10s %7d %7d\n", mode.name, res.requests, res.rate,
			round(res.p50), round(res.p99), round(res.max), res.failed, res.checkRuns)
		if mode.interval > 0 && res.failed > 0 {
			exit = 1
		}
	}
	return exit
}

type result struct {
	requests, failed, checkRuns int
	rate                        float64
	p50, p99, max               time.Duration
}

func measure(cfg config, interval time.Duration) (result, error) {
	var mu sync.Mutex
	runs := 0
	h := health.New(health.Options{})
	err := h.Add(health.Check{Name: "slow", Interval: interval, Timeout: cfg.check + time.Second,
		Func: func(ctx context.Context) (health.Details, error) {
			mu.Lock()
			runs++
			mu.Unlock()
			select {
			case <-time.After(cfg.check):
				return nil, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}})
	if err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.Start(ctx)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, fmt.Errorf("listening on loopback: %w", err)
	}
	srv := &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/readyz"

	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.clients, MaxConnsPerHost: cfg.clients},
	}
	defer client.CloseIdleConnections()
	// Warm up: the first result (Start already kicked it) and connections.
	warm := time.Now().Add(cfg.check + 5*time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(warm) {
			return result{}, fmt.Errorf("%s never became ready during warm-up: %v", url, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	runsBefore := runs
	mu.Unlock()

	var (
		wg        sync.WaitGroup
		latencies = make([][]time.Duration, cfg.clients)
		failures  = make([]int, cfg.clients)
	)
	start := time.Now()
	deadline := start.Add(cfg.duration)
	for i := range cfg.clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				t0 := time.Now()
				resp, err := client.Get(url)
				if err != nil {
					failures[i]++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				latencies[i] = append(latencies[i], time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					failures[i]++
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	res := result{}
	for i := range cfg.clients {
		all = append(all, latencies[i]...)
		res.failed += failures[i]
	}
	slices.Sort(all)
	res.requests = len(all) + res.failed
	res.rate = float64(res.requests) / elapsed.Seconds()
	if len(all) > 0 {
		res.p50 = all[len(all)*50/100]
		res.p99 = all[min(len(all)-1, len(all)*99/100)]
		res.max = all[len(all)-1]
	}
	mu.Lock()
	res.checkRuns = runs - runsBefore
	mu.Unlock()
	return res, nil
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
