package devloop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrBuildCanceled is returned by Build when its context was canceled (a
// newer change arrived).
var ErrBuildCanceled = errors.New("build canceled")

// BuildOptions describe how to run "go build".
type BuildOptions struct {
	// GoCmd is the path of the go command (found on PATH by the runner).
	GoCmd string
	// Dir is where go build runs (the folder the package path is relative to).
	Dir string
	// Root is the project root diagnostics are made relative to.
	Root string
	// Package is the main package, e.g. "." or "./cmd/web".
	Package string
	// Flags are extra go build flags; Tags become -tags.
	Flags []string
	Tags  []string
	// KeepDebugInfo disables the lean development link (-ldflags=-s -w),
	// for debuggers such as Delve.
	KeepDebugInfo bool
	// Env is the build environment (default: the runner's).
	Env []string
}

// BuildResult is one finished build.
type BuildResult struct {
	// Binary is the new executable (only when Err is nil).
	Binary string
	// Took is the wall time of go build.
	Took time.Duration
	// Output is what go build printed.
	Output []byte
	// Diagnostics is Output parsed.
	Diagnostics []Diagnostic
	// Direct is set when the compiler and linker ran without the go command.
	Direct bool
	// plan is how to repeat this build's compile and link directly.
	plan *toolchainPlan
}

// BuildArgs returns the go command's arguments for a build into out.
func (o BuildOptions) BuildArgs(out string) []string {
	// -x prints the compile and link commands and -work keeps their import
	// configuration, so that the next edit can repeat them directly.
	args := []string{"build", "-x", "-work", "-o", out}
	hasLDFlags := false
	for _, f := range o.Flags {
		if f == "-ldflags" || strings.HasPrefix(f, "-ldflags=") || strings.HasPrefix(f, "--ldflags") {
			hasLDFlags = true
		}
	}
	// -s -w skips the symbol table and DWARF: the linker writes less and
	// finishes sooner, and a development binary is not debugged unless the
	// user asks (KeepDebugInfo) or passes their own -ldflags.
	if !o.KeepDebugInfo && !hasLDFlags {
		args = append(args, "-ldflags=-s -w")
	}
	if len(o.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(o.Tags, ","))
	}
	args = append(args, o.Flags...)
	return append(args, o.Package)
}

// Build runs go build into out. The go command and the compilers and linker
// it starts run in their own process group, so canceling ctx kills the whole
// tree at once (go build does not forward signals to its children reliably).
// A failed build returns its diagnostics in the result and a non-nil error.
func Build(ctx context.Context, o BuildOptions, out string) (BuildResult, error) {
	start := time.Now()
	cmd := exec.Command(o.GoCmd, o.BuildArgs(out)...)
	cmd.Dir = o.Dir
	cmd.Env = o.Env
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return BuildResult{}, fmt.Errorf("cannot run %s: %w", o.GoCmd, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		os.Remove(out)
		if work, _, _ := parseXOutput(buf.Bytes(), o.Dir); work != "" {
			os.RemoveAll(work)
		}
		return BuildResult{Took: time.Since(start)}, ErrBuildCanceled
	}
	work, plan, rest := parseXOutput(buf.Bytes(), o.Dir)
	res := BuildResult{Took: time.Since(start), Output: rest}
	if err == nil && plan != nil && plan.complete(o.Tags) {
		res.plan = plan
	} else if work != "" {
		os.RemoveAll(work)
	}
	if err != nil {
		res.Diagnostics = ParseBuildOutput(res.Output, o.Dir, o.Root)
		if len(res.Diagnostics) == 0 {
			res.Diagnostics = []Diagnostic{{Message: "go build failed: " + err.Error()}}
		}
		return res, fmt.Errorf("build failed: %w", err)
	}
	res.Binary = out
	return res, nil
}

// findGo locates the go command, preferring $GOROOT/bin/go when GOROOT is set.
func findGo(getenv func(string) string) (string, error) {
	if gr := getenv("GOROOT"); gr != "" {
		p := filepath.Join(gr, "bin", "go")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, "go")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("the go command is not on PATH: golocal dev builds with it; install Go and add its bin folder to PATH (or set GOROOT)")
}
