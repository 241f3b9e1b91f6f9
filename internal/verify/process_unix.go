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
	// Our own pipes, not cmd.StdoutPipe: Wait closes those as soon as the
	// process exits, losing what it wrote last (a refusal to start is
	// exactly that), while these are read to their end.
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		stdoutR.Close()
		stdoutW.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = stdoutW, stderrW
	p := &process{cmd: cmd, out: &outputLog{}, done: make(chan struct{})}
	err = cmd.Start()
	stdoutW.Close()
	stderrW.Close()
	if err != nil {
		stdoutR.Close()
		stderrR.Close()
		return nil, fmt.Errorf("cannot start %s: %w", binary, err)
	}
	p.out.collect("stdout", stdoutR)
	p.out.collect("stderr", stderrR)
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
