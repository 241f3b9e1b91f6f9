//go:build !linux

package ptytest

import (
	"errors"
	"os"
	"testing"
)

// Open skips the test: pseudo-terminals are opened on Linux only.
func Open(t testing.TB) (master, slave *os.File) {
	t.Helper()
	t.Skip("pseudo-terminal tests run on Linux only")
	return nil, nil
}

// Mode is what a test checks of a terminal's line discipline.
type Mode struct {
	LineBuffered, Echo, Signals, OutputCRLF bool
}

// ModeOf is not implemented here.
func ModeOf(*os.File) (Mode, error) {
	return Mode{}, errors.New("ptytest: terminal modes are read on Linux only")
}
