// Command drain measures serve's graceful stop under load and prints the
// figures: a real child process (this program, re-executed) serves with
// serve.Run on loopback while concurrent clients load it; it gets SIGTERM
// midway; every request is classified as completed, refused, reset or
// failed.
//
// Two profiles run by default, one after the other:
//
//   - mixed: the flags below (32 clients, half keep-alive, most requests
//     sleeping 50–200 ms in the handler, lame duck 200 ms);
//
//   - prod: 16 clients that open a new connection for every fast request
//     (what "Connection: close" during the lame duck makes clients do),
//     lame duck 2 s, grace 5 s, SIGTERM after 1 s of a 4 s load: the
//     kernel's accept queue is never empty when the listener closes.
//
//     go run ./bench/drain
//     go run ./bench/drain -profile prod
//     go run ./bench/drain -profile mixed -clients 64 -duration 3s -grace 2s -json
//
// It exits 0 when every drain was clean (resets 0, failed 0, every request
// the child accepted completed, the child exited 0 within lame duck +
// grace), 1 when one was not, and 2 on bad flags.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/golocal/golocal/serve/draintest"
)

func main() {
	if draintest.IsChild(os.Getenv) {
		os.Exit(draintest.ChildMain(os.Getenv, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clients := fs.Int("clients", 32, "concurrent clients (half keep-alive, half a new connection per request)")
	duration := fs.Duration("duration", 2*time.Second, "how long the load runs")
	stopAfter := fs.Duration("stop-after", 0, "when SIGTERM is sent (default: half of -duration)")
	lameDuck := fs.Duration("lame-duck", 200*time.Millisecond, "the child's lame-duck delay")
	grace := fs.Duration("grace", 5*time.Second, "the child's grace period")
	reconnect := fs.Bool("reconnect", false, "mixed profile: every client opens a new connection per request, fast requests")
	profile := fs.String("profile", "both", "which runs: mixed (the flags), prod (fixed: 16 reconnecting clients, lame duck 2s) or both")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "show the child's log")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "drain: unexpected argument %q; all settings are flags (see -h)\n", fs.Arg(0))
		return 2
	case *clients < 1 || *clients > 1000:
		fmt.Fprintf(stderr, "drain: -clients %d is out of range; use 1 to 1000\n", *clients)
		return 2
	case *duration < 200*time.Millisecond || *duration > time.Minute:
		fmt.Fprintf(stderr, "drain: -duration %v is out of range; use 200ms to 1m\n", *duration)
		return 2
	case *stopAfter < 0 || *stopAfter >= *duration:
		fmt.Fprintf(stderr, "drain: -stop-after %v must be between 0 and -duration (%v)\n", *stopAfter, *duration)
		return 2
	case *lameDuck < 0 || *grace <= 0 || *grace > time.Minute:
		fmt.Fprintf(stderr, "drain: -lame-duck must be >= 0 and -grace between 0 and 1m\n")
		return 2
	case *profile != "both" && *profile != "mixed" && *profile != "prod":
		fmt.Fprintf(stderr, "drain: -profile %q: want mixed, prod or both\n", *profile)
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "drain: cannot find this program to re-execute it as the child: %v\n", err)
		return 1
	}
	runs := []namedRun{{"mixed", draintest.Config{
		Clients:   *clients,
		Duration:  *duration,
		StopAfter: *stopAfter,
		LameDuck:  *lameDuck,
		Grace:     *grace,
		Reconnect: *reconnect,
	}}, {"prod", prodProfile}}
	switch *profile {
	case "mixed":
		runs = runs[:1]
	case "prod":
		runs = runs[1:]
	}
	code := 0
	for i, r := range runs {
		r.cfg.Command = func() *exec.Cmd { return exec.Command(self) }
		if *verbose {
			r.cfg.Log = stderr
		}
		if i > 0 && !*asJSON {
			fmt.Fprintln(stdout)
		}
		if c := runOne(r, *asJSON, stdout, stderr); c != 0 {
			code = c
		}
	}
	return code
}

// prodProfile is the production-like run: 16 clients reconnecting for
// every request through a 2 s lame duck.
var prodProfile = draintest.Config{
	Clients:   16,
	Duration:  4 * time.Second,
	StopAfter: time.Second,
	LameDuck:  2 * time.Second,
	Grace:     5 * time.Second,
	Reconnect: true,
}

type namedRun struct {
	name string
	cfg  draintest.Config
}

// runOne runs one profile and prints its report; it returns the exit code.
func runOne(r namedRun, asJSON bool, stdout, stderr io.Writer) int {
	rep, err := draintest.Run(context.Background(), r.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "drain: %s: %v\n", r.name, err)
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		out := struct {
			Profile string `json:"profile"`
			*draintest.Report
			Problems []string `json:"problems"`
		}{r.name, rep, rep.Problems()}
		if out.Problems == nil {
			out.Problems = []string{}
		}
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "drain: %v\n", err)
			return 1
		}
	} else {
		fmt.Fprintf(stdout, "== profile %s\n", r.name)
		rep.WriteText(stdout)
	}
	if len(rep.Problems()) > 0 {
		return 1
	}
	return 0
}
