// Command drain measures serve's graceful stop under load and prints the
// figures: a real child process (this program, re-executed) serves with
// serve.Run on loopback while concurrent clients load it; it gets SIGTERM
// midway; every request is classified as completed, refused or failed.
//
//	go run ./bench/drain
//	go run ./bench/drain -clients 64 -duration 3s -grace 2s -json
//
// It exits 0 when the drain was clean (failed 0, every request the child
// accepted completed, the child exited 0 within lame duck + grace), 1 when
// it was not, and 2 on bad flags.
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
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "drain: cannot find this program to re-execute it as the child: %v\n", err)
		return 1
	}
	cfg := draintest.Config{
		Command:   func() *exec.Cmd { return exec.Command(self) },
		Clients:   *clients,
		Duration:  *duration,
		StopAfter: *stopAfter,
		LameDuck:  *lameDuck,
		Grace:     *grace,
	}
	if *verbose {
		cfg.Log = stderr
	}
	rep, err := draintest.Run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintf(stderr, "drain: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		out := struct {
			*draintest.Report
			Problems []string `json:"problems"`
		}{rep, rep.Problems()}
		if out.Problems == nil {
			out.Problems = []string{}
		}
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "drain: %v\n", err)
			return 1
		}
	} else {
		rep.WriteText(stdout)
	}
	if len(rep.Problems()) > 0 {
		return 1
	}
	return 0
}
