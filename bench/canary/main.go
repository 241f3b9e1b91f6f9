// Command canary measures what the golocal canary front costs: the latency
// it adds to a request (p50, p99, sequential requests on one keep-alive
// connection) with two loopback upstreams behind it (weight routing, 50%
// each), against the same upstreams reached directly, in one run. A second
// row measures --mirror, where each request goes to both upstreams and the
// answers are buffered and compared.
//
//	go run ./bench/canary
//	go run ./bench/canary -n 20000 -json
//
// Direct and proxied requests alternate, so that machine noise hits both
// alike. Exit status: 0 when every request succeeded, 1 when any failed,
// 2 on bad flags.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/golocal/golocal/internal/canary"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type latency struct {
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
}

type report struct {
	Requests       int           `json:"requests"`
	Direct         latency       `json:"direct"`
	Front          latency       `json:"front"`
	Mirror         latency       `json:"mirror"`
	AddedP50       time.Duration `json:"added_p50_ns"`
	AddedP99       time.Duration `json:"added_p99_ns"`
	MirrorAddedP50 time.Duration `json:"mirror_added_p50_ns"`
	Failed         int           `json:"failed"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("canary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 5000, "requests per row (100 to 1000000)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *n < 100 || *n > 1_000_000 {
		fmt.Fprintf(stderr, "canary bench: -n %d is out of range; give 100 to 1000000\n", *n)
		return 2
	}
	r := measure(*n)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
	} else {
		fmt.Fprintf(stdout, "requests per row: %d (sequential, keep-alive, two loopback upstreams)\n", r.Requests)
		fmt.Fprintf(stdout, "%-22s p50 %9v  p99 %9v\n", "direct", r.Direct.P50, r.Direct.P99)
		fmt.Fprintf(stdout, "%-22s p50 %9v  p99 %9v\n", "front (weight 50%)", r.Front.P50, r.Front.P99)
		fmt.Fprintf(stdout, "%-22s p50 %9v  p99 %9v\n", "front (--mirror)", r.Mirror.P50, r.Mirror.P99)
		fmt.Fprintf(stdout, "front adds p50 %v, p99 %v; mirror adds p50 %v\n", r.AddedP50, r.AddedP99, r.MirrorAddedP50)
	}
	if r.Failed > 0 {
		fmt.Fprintf(stderr, "canary bench: %d requests failed\n", r.Failed)
		return 1
	}
	return 0
}

func measure(n int) report {
	body := []byte(`{"id":42,"name":"widget","price":1234}`)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	ups := [2]*httptest.Server{httptest.NewServer(app), httptest.NewServer(app)}
	defer ups[0].Close()
	defer ups[1].Close()
	front := func(mode canary.Routing) *httptest.Server {
		b, _ := url.Parse(ups[0].URL)
		c, _ := url.Parse(ups[1].URL)
		return httptest.NewServer(canary.NewFront(canary.FrontOptions{Routing: mode, Baseline: b, Candidate: c, Recorder: canary.NewRecorder(time.Now())}))
	}
	weighted, mirrored := front(canary.Routing{Mode: canary.ByWeight, Weight: 50}), front(canary.Routing{Mode: canary.Mirror})
	defer weighted.Close()
	defer mirrored.Close()
	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}}
	var d, f, m []time.Duration
	failed := 0
	for i := range n {
		for _, row := range []struct {
			u   string
			out *[]time.Duration
		}{{ups[i%2].URL, &d}, {weighted.URL, &f}, {mirrored.URL, &m}} {
			start := time.Now()
			resp, err := client.Get(row.u + "/items/42")
			if err != nil {
				failed++
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failed++
			}
			*row.out = append(*row.out, time.Since(start))
		}
	}
	r := report{Requests: n, Direct: percentiles(d), Front: percentiles(f), Mirror: percentiles(m), Failed: failed}
	r.AddedP50, r.AddedP99 = r.Front.P50-r.Direct.P50, r.Front.P99-r.Direct.P99
	r.MirrorAddedP50 = r.Mirror.P50 - r.Direct.P50
	return r
}

func percentiles(d []time.Duration) latency {
	if len(d) == 0 {
		return latency{}
	}
	slices.Sort(d)
	return latency{P50: d[len(d)/2], P99: d[len(d)*99/100]}
}
