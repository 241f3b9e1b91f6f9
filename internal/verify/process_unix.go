//go:build unix

package verify

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is a service verify started: its own process group, so that
// signals and the final kill reach whatever it starts too.
type process struct {
	cmd      *exec.Cmd
	out      *outputLog
	done     chan struct{}
	state    *os.ProcessState
	exitedAt time.Time
}

// startProcess runs binary in dir with exactly env, collecting its output.
func startProcess(binary, dir string, env []string) (*process, error) {
	cmd := exec.Command(binary)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = sysProcAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, out: &outputLog{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start %s: %w", binary, err)
	}
	p.out.collect("stdout", stdout)
	p.out.collect("stderr", stderr)
	go func() {
		_ = cmd.Wait()
		p.state = cmd.ProcessState
		p.exitedAt = time.Now()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// signal sends sig to the service (its main process only, as an
// orchestrator does).
func (p *process) signal(sig syscall.Signal) error {
	return p.cmd.Process.Signal(sig)
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitExit waits at most d for the process to end.
func (p *process) waitExit(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// kill ends the whole process group at once and waits for it, so no
// process verify started outlives it.
func (p *process) kill() {
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	<-p.done
	p.out.waitClosed(2 * time.Second)
}

// exitDescription is "exit status 1" or "killed by signal: terminated".
func (p *process) exitDescription() string {
	if p.state == nil {
		return "still running"
	}
	return p.state.String()
}

// exitCode is the exit status, or -1 when a signal ended the process.
func (p *process) exitCode() int {
	if p.state == nil {
		return -1
	}
	return p.state.ExitCode()
}
