package term

import (
	"context"
	"fmt"
	"io"
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

// ReadKeys switches stdin to single keys when it is a terminal and calls
// the action bound to each key pressed (keys are matched case-blind for
// letters) until ctx ends or stdin closes. It returns the function that
// restores the terminal, or nil when stdin is not a terminal (then nothing
// is read: stdin stays the app's).
func ReadKeys(ctx context.Context, stdin io.Reader, actions map[byte]func()) (restore func()) {
	f, ok := stdin.(*os.File)
	if !ok || !IsTerminal(f) {
		return nil
	}
	restore, err := SingleKeys(f)
	if err != nil {
		return nil
	}
	go func() {
		buf := make([]byte, 16)
		for ctx.Err() == nil {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			for _, b := range buf[:n] {
				if act := actions[lower(b)]; act != nil {
					act()
				}
			}
		}
	}()
	return restore
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
