// Command probe compares golocal probe's timings with curl's on the same
// loopback URLs and prints the medians side by side, per phase, with
// whether each agrees within max(1 ms, 10%) of curl's:
//
//	go run ./bench/probe
//	go run ./bench/probe -runs 20 -curl /usr/bin/curl
//
// It starts an HTTP/1.1 server on 127.0.0.1 and an HTTP/2 server over TLS,
// runs `curl -w '%{json}'` and the probe -runs times each, and exits 0 when
// every phase agrees, 1 when one does not, 2 on bad flags or a missing curl.
//
// How the two are made to measure the same thing: every request uses a new
// connection (curl gets a distinct host name per transfer, all pinned to
// 127.0.0.1 with --resolve, so neither its connection cache nor TLS session
// resumption applies; -k and --no-sessionid; the probe makes a fresh
// transport per run), and both clocks start before name resolution. Both
// run warm: curl makes all its transfers in one process and the probe
// runs in this one, and the first transfer of each is a discarded warm-up.
// A fresh curl process per transfer would add roughly 1.5 ms of OpenSSL
// start-up (library page faults, context creation) to its appconnect that
// has nothing to do with the server. curl before 8.10 has no
// time_posttransfer, so that phase is shown for the probe only.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golocal/golocal/internal/probe"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	runs int
	curl string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.IntVar(&c.runs, "runs", 20, "requests per client and protocol (3-200)")
	fs.StringVar(&c.curl, "curl", "/usr/bin/curl", "path of the curl binary")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.runs < 3 || c.runs > 200 {
		return c, fmt.Errorf("-runs %d out of range; use 3 to 200", c.runs)
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "probe:", err)
		}
		return 2
	}
	if _, err := exec.LookPath(cfg.curl); err != nil {
		fmt.Fprintf(stderr, "probe: curl not found at %s (install the curl package): %v\n", cfg.curl, err)
		return 2
	}
	cmps, err := Compare(context.Background(), cfg.curl, cfg.runs)
	if err != nil {
		fmt.Fprintln(stderr, "probe:", err)
		return 1
	}
	ok := true
	for _, c := range cmps {
		Print(stdout, c)
		ok = ok && c.Agree()
	}
	if !ok {
		fmt.Fprintln(stdout, "some phases disagree beyond max(1 ms, 10%)")
		return 1
	}
	fmt.Fprintln(stdout, "every phase agrees within max(1 ms, 10%)")
	return 0
}

// Comparison holds the medians of one protocol.
type Comparison struct {
	Name  string
	Runs  int
	Curl  map[probe.Phase]time.Duration // median per phase; missing when curl lacks it
	Probe map[probe.Phase]time.Duration
}

// tolerance is max(1 ms, 10% of curl's value).
func tolerance(curl time.Duration) time.Duration { return max(time.Millisecond, curl/10) }

// Agree reports whether every phase curl measured is within tolerance.
func (c Comparison) Agree() bool {
	for p, cv := range c.Curl {
		if d := c.Probe[p] - cv; d > tolerance(cv) || -d > tolerance(cv) {
			return false
		}
	}
	return true
}

// Print writes the side-by-side table.
func Print(w io.Writer, c Comparison) {
	fmt.Fprintf(w, "%s, median of %d runs each\n", c.Name, c.Runs)
	fmt.Fprintf(w, "  %-14s %10s %10s %10s %9s  %s\n", "phase", "curl", "probe", "diff", "ratio", "agree (max(1ms,10%))")
	for _, p := range probe.Phases {
		pv := c.Probe[p]
		cv, ok := c.Curl[p]
		if !ok {
			fmt.Fprintf(w, "  %-14s %10s %10s %10s %9s  %s\n", p, "n/a", fmtD(pv), "", "", "curl has no "+string(p))
			continue
		}
		ratio := "-"
		if cv > 0 {
			ratio = fmt.Sprintf("%.2f", float64(pv)/float64(cv))
		}
		d := pv - cv
		verdict := "yes"
		if d > tolerance(cv) || -d > tolerance(cv) {
			verdict = "NO"
		}
		fmt.Fprintf(w, "  %-14s %10s %10s %10s %9s  %s\n", p, fmtD(cv), fmtD(pv), fmtD(d), ratio, verdict)
	}
	fmt.Fprintln(w)
}

func fmtD(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d.Microseconds())/1000) }

// Compare starts the two servers and measures both clients on each.
func Compare(ctx context.Context, curl string, runs int) ([]Comparison, error) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, strings.Repeat("golocal probe timing comparison\n", 64))
	})
	h1 := httptest.NewServer(handler)
	defer h1.Close()
	h2 := httptest.NewUnstartedServer(handler)
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()

	var out []Comparison
	for _, s := range []struct {
		name, url string
		tls       bool
	}{{"HTTP/1.1 on loopback", h1.URL, false}, {"HTTP/2 over TLS on loopback", h2.URL, true}} {
		c, err := compareOne(ctx, curl, s.name, s.url, s.tls, runs)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// curlJSON is the part of curl's %{json} output used here (seconds).
type curlJSON struct {
	NameLookup    float64  `json:"time_namelookup"`
	Connect       float64  `json:"time_connect"`
	AppConnect    float64  `json:"time_appconnect"`
	PreTransfer   float64  `json:"time_pretransfer"`
	PostTransfer  *float64 `json:"time_posttransfer"`
	StartTransfer float64  `json:"time_starttransfer"`
	Total         float64  `json:"time_total"`
	NumConnects   int      `json:"num_connects"`
	HTTPVersion   string   `json:"http_version"`
	Code          int      `json:"response_code"`
}

func secs(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func compareOne(ctx context.Context, curl, name, rawURL string, tls bool, runs int) (Comparison, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Comparison{}, err
	}
	port := u.Port()
	host := func(i int) string { return "h" + strconv.Itoa(i) + ".probe.test" }

	// curl: runs+1 transfers in one process, each to its own host name.
	args := []string{"-s", "--no-sessionid", "-w", "%{json}\n"}
	if tls {
		args = append(args, "-k", "--http2")
	} else {
		args = append(args, "--http1.1")
	}
	for i := 0; i <= runs; i++ {
		args = append(args, "--resolve", host(i)+":"+port+":127.0.0.1", "-o", "/dev/null", u.Scheme+"://"+host(i)+":"+port+"/")
	}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	outb, err := exec.CommandContext(cctx, curl, args...).Output()
	if err != nil {
		return Comparison{}, fmt.Errorf("running curl: %v", err)
	}
	var curlRuns [][]time.Duration
	hasPost := false
	for i, line := range strings.Split(strings.TrimSpace(string(outb)), "\n") {
		var j curlJSON
		if err := json.Unmarshal([]byte(line), &j); err != nil {
			return Comparison{}, fmt.Errorf("curl -w %%{json} output line %d: %v", i+1, err)
		}
		if j.Code != 200 || j.NumConnects != 1 {
			return Comparison{}, fmt.Errorf("curl transfer %d: status %d, %d new connections; want 200 on a new connection", i, j.Code, j.NumConnects)
		}
		if i == 0 {
			continue // warm-up
		}
		post := 0.0
		if j.PostTransfer != nil {
			post, hasPost = *j.PostTransfer, true
		}
		curlRuns = append(curlRuns, []time.Duration{secs(j.NameLookup), secs(j.Connect), secs(j.AppConnect), secs(j.PreTransfer), secs(post), secs(j.StartTransfer), secs(j.Total)})
	}

	// The probe: the same URLs and pinning, a fresh transport per run.
	var probeRuns []probe.Timings
	for i := 0; i <= runs; i++ {
		target, _ := url.Parse(u.Scheme + "://" + host(i) + ":" + port + "/")
		r, _ := probe.ParseResolve(host(i) + ":" + port + ":127.0.0.1")
		opts := probe.Options{Resolve: []probe.Resolve{r}, Insecure: tls, Timeout: 10 * time.Second}
		if !tls {
			opts.HTTP = "1.1"
		}
		res := probe.Run(ctx, target, opts)
		if res.Err != nil {
			return Comparison{}, fmt.Errorf("probe run %d: %v", i, res.Err)
		}
		if i > 0 {
			probeRuns = append(probeRuns, res.Final().Timings)
		}
	}

	c := Comparison{Name: name, Runs: runs, Curl: map[probe.Phase]time.Duration{}, Probe: map[probe.Phase]time.Duration{}}
	for k, p := range probe.Phases {
		if p == probe.PhasePostTransfer && !hasPost {
			continue
		}
		v := make([]time.Duration, len(curlRuns))
		for i, r := range curlRuns {
			v[i] = r[k]
		}
		slices.Sort(v)
		c.Curl[p] = probe.Percentile(v, 50)
	}
	for p, s := range probe.Summarize(probeRuns) {
		c.Probe[p] = s.Median
	}
	return c, nil
}
