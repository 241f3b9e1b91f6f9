package verify

import "syscall"

// sysProcAttr puts the service in its own process group and has the
// kernel kill it if verify itself dies, so no service is left behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
