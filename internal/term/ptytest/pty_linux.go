//go:build linux

package ptytest

import (
	"os"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Open opens a pseudo-terminal pair through /dev/ptmx: the master is what a
// user types into, the slave is the program's terminal. Both are closed when
// the test ends.
func Open(t testing.TB) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("cannot unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("cannot name the pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("cannot open the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// Mode is what a test checks of a terminal's line discipline.
type Mode struct {
	LineBuffered bool // ICANON
	Echo         bool // ECHO
	Signals      bool // ISIG: Ctrl-C interrupts
	OutputCRLF   bool // OPOST and ONLCR: "\n" is written as "\r\n"
}

// ModeOf reads the terminal mode of f.
func ModeOf(f *os.File) (Mode, error) {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return Mode{}, err
	}
	return Mode{
		LineBuffered: t.Lflag&unix.ICANON != 0,
		Echo:         t.Lflag&unix.ECHO != 0,
		Signals:      t.Lflag&unix.ISIG != 0,
		OutputCRLF:   t.Oflag&unix.OPOST != 0 && t.Oflag&unix.ONLCR != 0,
	}, nil
}
