//go:build unix

package verify

import (
	"errors"
	"syscall"
)

func processAlive(pid int) bool { return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

func killProcess(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }
