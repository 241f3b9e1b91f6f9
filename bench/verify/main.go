// Command verify times golocal verify by area on a real service:
//
//	go run ./bench/verify                         # examples/orders, prod profile
//	go run ./bench/verify -pkg ./cmd/web -env K=V
//
// It builds the package once (that time is printed apart, since a warm
// build cache makes it vanish), then runs the whole checklist and prints,
// per area, how many checks ran, how long they took and their share of
// the audit, and the measured SIGTERM→exit drain. The acceptance target
// is the whole audit of examples/orders under 90 s on two cores.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/golocal/golocal/internal/verify"
)

type envFlag []string

func (e *envFlag) String() string     { return strings.Join(*e, ",") }
func (e *envFlag) Set(s string) error { *e = append(*e, s); return nil }

func main() {
	pkg := flag.String("pkg", "./examples/orders", "main package to audit")
	var env envFlag
	flag.Var(&env, "env", "KEY=value for the service (repeatable)")
	flag.Parse()
	if err := run(*pkg, env); err != nil {
		fmt.Fprintln(os.Stderr, "bench/verify:", err)
		os.Exit(1)
	}
}

func run(pkg string, env []string) error {
	tmp, err := os.MkdirTemp("", "bench-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "service")
	start := time.Now()
	if out, err := exec.Command("go", "build", "-trimpath", "-o", bin, pkg).CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	buildTook := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start = time.Now()
	rep, err := verify.Run(ctx, verify.Options{Binary: bin, Env: env})
	if err != nil {
		return err
	}
	total := time.Since(start)
	counts := map[verify.Area]int{}
	for _, r := range rep.Results {
		if r.Status != verify.NotRun {
			counts[r.Area]++
		}
	}
	fmt.Printf("golocal verify %s: %d checks, %d pass, %d warn, %d fail, %d not run\n\n", pkg, len(rep.Results), rep.Summary.Pass, rep.Summary.Warn, rep.Summary.Fail, rep.Summary.NotRun)
	fmt.Printf("%-10s %6s %9s %7s\n", "area", "checks", "seconds", "share")
	var sum float64
	for _, a := range verify.Areas {
		s := rep.AreaSeconds[a]
		sum += s
		fmt.Printf("%-10s %6d %9.2f %6.1f%%\n", a, counts[a], s, 100*s/total.Seconds())
	}
	fmt.Printf("%-10s %6s %9.2f %6.1f%%  (start, discovery, stop)\n", "setup", "", total.Seconds()-sum, 100*(total.Seconds()-sum)/total.Seconds())
	fmt.Printf("%-10s %6d %9.2f\n\n", "total", len(rep.Results), total.Seconds())
	fmt.Printf("go build (not in the total): %.2fs\n", buildTook.Seconds())
	if d := rep.Facts.DrainSeconds; d != nil {
		fmt.Printf("SIGTERM→exit under load: %.2fs\n", *d)
	}
	if len(rep.Summary.RequiredFailed) > 0 {
		fmt.Printf("required checks failed: %s\n", strings.Join(rep.Summary.RequiredFailed, ", "))
	}
	return nil
}
