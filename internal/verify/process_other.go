//go:build !unix

package verify

import (
	"errors"
	"syscall"
	"time"
)

// process is not supported here: verify signals services the POSIX way.
type process struct {
	out      *outputLog
	exitedAt time.Time
}

func startProcess(binary, dir string, env []string) (*process, error) {
	return nil, errors.New("golocal verify PKG runs services on Linux and macOS only; start the service yourself and use golocal verify --url URL")
}

func (p *process) pid() int                        { return 0 }
func (p *process) signal(sig syscall.Signal) error { return errors.New("unsupported") }
func (p *process) exited() bool                    { return true }
func (p *process) waitExit(time.Duration) bool     { return true }
func (p *process) kill()                           {}
func (p *process) exitDescription() string         { return "" }
func (p *process) exitCode() int                   { return -1 }
