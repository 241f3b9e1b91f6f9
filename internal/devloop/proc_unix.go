//go:build unix

package devloop

import (
	"os/exec"
	"syscall"

	"github.com/golocal/golocal/internal/procnet"
)

// A procGroup is a started process and every process it starts, controlled
// as one. On Unix (Linux and macOS) that is a process group (Setpgid,
// signals to -pgid) plus the descendants that left the group with setsid,
// found through procnet and signaled one by one. Build, the fast build and
// the app child all start their processes through startGroup, so canceling
// a build or stopping an app leaves no compiler or grandchild behind.
// terminate and kill must not be called concurrently.
type procGroup struct {
	pid int
	// escaped are descendants found in another process group (setsid);
	// they are signaled individually.
	escaped []int
}

// startGroup starts cmd as the leader of a new process group. The caller
// waits for cmd as usual and calls release (or kill) once done with it.
func startGroup(cmd *exec.Cmd) (*procGroup, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &procGroup{pid: cmd.Process.Pid}, nil
}

// terminate asks the tree to stop: SIGTERM to the process group and to every
// descendant that left it. The tree is snapshotted first: once the leader is
// gone its orphans are re-parented and can no longer be traced to it.
func (g *procGroup) terminate() {
	g.escaped = append(g.escaped, escapedDescendants(g.pid)...)
	g.signal(syscall.SIGTERM)
}

// kill ends the tree at once: SIGKILL to the group and to every escaped
// descendant seen now or at terminate.
func (g *procGroup) kill() {
	g.escaped = append(g.escaped, escapedDescendants(g.pid)...)
	g.signal(syscall.SIGKILL)
}

// release frees what the group holds; nothing on Unix.
func (g *procGroup) release() {}

func (g *procGroup) signal(sig syscall.Signal) {
	_ = syscall.Kill(-g.pid, sig)
	for _, p := range g.escaped {
		_ = syscall.Kill(p, sig)
	}
}

// escapedDescendants lists descendants of pid in another process group.
func escapedDescendants(pid int) []int {
	var out []int
	for _, p := range procnet.Descendants(pid) {
		if pg, err := syscall.Getpgid(p); err == nil && pg != pid {
			out = append(out, p)
		}
	}
	return out
}
