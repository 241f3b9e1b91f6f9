package term

import (
	"fmt"
	"os"

	"golang.org/x/term"
)

// SingleKeys switches the terminal f to single-key input: each key press is
// readable at once (no line buffering) and is not echoed. It returns the
// function that restores the terminal exactly as it was (x/term's GetState
// and Restore), which the caller must run before exiting.
//
// This is not x/term's MakeRaw on purpose: raw mode also turns off signal
// keys (Ctrl-C would arrive as byte 3 instead of interrupting) and output
// processing (every "\n" the app prints would stop returning the carriage,
// a staircase of log lines). SingleKeys changes only what it must: ICANON
// and ECHO of termios on Linux and macOS (each with its own ioctl), the
// console's ENABLE_LINE_INPUT and ENABLE_ECHO_INPUT on Windows.
//
// An error means f is not a terminal or its mode cannot be changed; the
// terminal is then left untouched.
func SingleKeys(f *os.File) (restore func(), err error) {
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return nil, fmt.Errorf("%s is not a terminal", f.Name())
	}
	old, err := term.GetState(fd)
	if err != nil {
		return nil, fmt.Errorf("cannot read the mode of terminal %s: %w", f.Name(), err)
	}
	if err := singleKeys(fd); err != nil {
		_ = term.Restore(fd, old)
		return nil, fmt.Errorf("cannot switch terminal %s to single keys: %w", f.Name(), err)
	}
	return func() { _ = term.Restore(fd, old) }, nil
}
