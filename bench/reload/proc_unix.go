//go:build unix

package main

import (
	"os"
	"os/exec"
	"syscall"
)

// newProcessGroup makes cmd the leader of its own process group, so that
// killGroup also ends the app golocal dev started.
func newProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// interruptGroup asks golocal dev to stop as Ctrl-C would (SIGINT).
func interruptGroup(cmd *exec.Cmd) { _ = cmd.Process.Signal(os.Interrupt) }

// killGroup kills golocal dev and everything in its process group.
func killGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
