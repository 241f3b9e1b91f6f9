//go:build windows

package term

import "golang.org/x/sys/windows"

// singleKeys clears the console's line input and echo; processed input
// stays on, so Ctrl-C and Ctrl-Break still reach the process as signals.
func singleKeys(fd int) error {
	h := windows.Handle(fd)
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return err
	}
	return windows.SetConsoleMode(h, mode&^(windows.ENABLE_LINE_INPUT|windows.ENABLE_ECHO_INPUT))
}
