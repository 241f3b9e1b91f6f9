//go:build windows

package devloop

import (
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// procGroup on Windows is a Job Object holding the process and everything
// it starts (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: closing the last handle,
// even by golocal dying, kills the tree). The process is created suspended
// and resumed only once it is in the job, so not even its first child can
// start outside.
//
// Graceful stop is CTRL_BREAK_EVENT sent to the process's console process
// group (it is created with CREATE_NEW_PROCESS_GROUP); Go programs see it
// as os.Interrupt. Fallback for console-less cases: when the event cannot
// be delivered (golocal itself has no console, e.g. started by an IDE
// service or with DETACHED_PROCESS) or the app does not exit within the
// grace period, the job is terminated, which is a hard kill like SIGKILL.
type procGroup struct {
	pid int
	mu  sync.Mutex
	job windows.Handle // 0 once released
}

var ntResumeProcess = windows.NewLazySystemDLL("ntdll.dll").NewProc("NtResumeProcess")

// startGroup starts cmd suspended in a new console process group, puts it
// in a new Job Object and resumes it. The caller waits for cmd as usual and
// calls release (or kill) once done with it.
func startGroup(cmd *exec.Cmd) (*procGroup, error) {
	job, err := newKillOnCloseJob()
	if err != nil {
		return nil, err
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_SUSPENDED
	if err := cmd.Start(); err != nil {
		windows.CloseHandle(job)
		return nil, err
	}
	g := &procGroup{pid: cmd.Process.Pid, job: job}
	if err := g.adopt(); err != nil {
		_ = cmd.Process.Kill()
		g.release()
		return nil, err
	}
	return g, nil
}

func newKillOnCloseJob() (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, fmt.Errorf("cannot create a job object: %w", err)
	}
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return 0, fmt.Errorf("cannot configure the job object: %w", err)
	}
	return job, nil
}

// adopt puts the suspended process in the job, then resumes it.
func (g *procGroup) adopt() error {
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE|windows.PROCESS_SUSPEND_RESUME, false, uint32(g.pid))
	if err != nil {
		return fmt.Errorf("cannot open process %d: %w", g.pid, err)
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(g.job, h); err != nil {
		return fmt.Errorf("cannot put process %d in its job object: %w", g.pid, err)
	}
	if st, _, _ := ntResumeProcess.Call(uintptr(h)); st != 0 {
		return fmt.Errorf("cannot resume process %d: NTSTATUS %#x", g.pid, st)
	}
	return nil
}

// terminate sends CTRL_BREAK_EVENT to the process group. When it cannot be
// delivered the tree is killed right away: nothing else would stop it.
func (g *procGroup) terminate() {
	if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(g.pid)); err != nil {
		g.kill()
	}
}

// kill terminates every process in the job and releases it.
func (g *procGroup) kill() {
	g.mu.Lock()
	if g.job != 0 {
		_ = windows.TerminateJobObject(g.job, 1)
	}
	g.mu.Unlock()
	g.release()
}

// release closes the job handle; processes still in it are killed
// (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE).
func (g *procGroup) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.job != 0 {
		windows.CloseHandle(g.job)
		g.job = 0
	}
}
