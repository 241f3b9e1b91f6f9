package devloop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"
)

// This file exports the child machinery for other tools that run a built
// service the way dev does (golocal canary runs two versions side by side):
// a fresh loopback PORT, a listening socket of its own on fd 3
// (LISTEN_FDS=1), readiness through sd_notify or a first answer, and a stop
// that ends the whole process group.

// LaunchOptions describe one process to start with [Launch].
type LaunchOptions struct {
	// Binary is the executable; Args its arguments.
	Binary string
	Args   []string
	// Env is the complete environment of the process; PORT, LISTEN_FDS,
	// LISTEN_PID, LISTEN_FDNAMES and NOTIFY_SOCKET are added to it.
	Env []string
	// Stdout and Stderr receive the process's output (nil discards it);
	// [Process.Output] keeps its last 16 KiB either way.
	Stdout, Stderr io.Writer
	// TempDir holds the readiness socket; Name makes its file unique in it.
	TempDir string
	Name    string
	// ReadyTimeout bounds the wait for readiness (0 means 30 seconds).
	ReadyTimeout time.Duration
	// Grace is how long a stop waits after SIGTERM before SIGKILL (0 means
	// 5 seconds).
	Grace time.Duration
}

// Process is a started, ready service.
type Process struct {
	c     *child
	grace time.Duration
}

// Launch starts the binary in its own process group and waits until it
// serves. On failure nothing is left running and the error carries the
// process's last output.
func Launch(ctx context.Context, o LaunchOptions) (*Process, error) {
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 30 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 5 * time.Second
	}
	c, err := startChild(childSpec{binary: o.Binary, args: o.Args, env: o.Env, stdout: o.Stdout, stderr: o.Stderr, tempDir: o.TempDir, sequence: launchSequence(o.Name)})
	if err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx, o.ReadyTimeout); err != nil {
		c.stop(o.Grace)
		switch {
		case errors.Is(err, errExitedAtStart):
			return nil, fmt.Errorf("%s %s before it was ready; its output:\n%s", o.Binary, c.exitDescription(), c.output.String())
		case errors.Is(err, errNotReady):
			return nil, fmt.Errorf("%s did not serve within %v (no READY=1, no answer on its socket or PORT); its output:\n%s", o.Binary, o.ReadyTimeout, c.output.String())
		}
		return nil, err
	}
	return &Process{c: c, grace: o.Grace}, nil
}

// launchSequence turns a name into the number startChild uses for the
// readiness socket's file name; distinct names in one TempDir stay distinct
// because the socket is created exclusively (a clash is an error, not a
// silent share).
func launchSequence(name string) int {
	h := 0
	for _, r := range name {
		h = (h*31 + int(r)) & 0x7fffffff
	}
	return h
}

// URL is where the process answers HTTP.
func (p *Process) URL() *url.URL { u := *p.c.upstream; return &u }

// Pid is the process id (the leader of its process group).
func (p *Process) Pid() int { return p.c.pid }

// Exited is closed once the process has ended and been reaped.
func (p *Process) Exited() <-chan struct{} { return p.c.exited }

// ExitDescription says how the process ended ("exited with code 2",
// "was killed by terminated"); call it after Exited is closed.
func (p *Process) ExitDescription() string { return p.c.exitDescription() }

// Output is the last 16 KiB the process wrote to stdout and stderr.
func (p *Process) Output() string { return p.c.output.String() }

// Stop ends the process and everything it started: SIGTERM to the group,
// up to the grace period, then SIGKILL. It returns once the process has been
// reaped and is safe to call more than once.
func (p *Process) Stop() { p.c.stop(p.grace) }

// GoCommand locates the go command the way dev does: $GOROOT/bin/go when
// GOROOT is set, else go on PATH.
func GoCommand(getenv func(string) string) (string, error) { return findGo(getenv) }

// Release removes what a successful [Build] kept for a later fast link
// (go build's work folder). Callers that use Build without a [Builder] call
// it once they have the binary.
func (r BuildResult) Release() {
	if r.plan != nil && r.plan.work != "" && strings.Contains(r.plan.work, string(os.PathSeparator)) {
		os.RemoveAll(r.plan.work)
	}
}
