//go:build windows

package main

import (
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/windows"
)

// newProcessGroup gives cmd its own console process group, the target of
// interruptGroup's CTRL_BREAK.
func newProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
}

// interruptGroup asks golocal dev to stop as Ctrl-C would: Windows cannot
// send os.Interrupt to another process, CTRL_BREAK_EVENT is its equivalent.
func interruptGroup(cmd *exec.Cmd) {
	_ = windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(cmd.Process.Pid))
}

// killGroup kills golocal dev and its descendants (taskkill /T walks the
// tree; golocal dev's own Job Object ends the app when golocal dies).
func killGroup(cmd *exec.Cmd) {
	_ = exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(cmd.Process.Pid)).Run()
}
