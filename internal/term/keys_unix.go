//go:build unix

package term

import "golang.org/x/sys/unix"

// singleKeys turns off ICANON and ECHO and makes a read return after one
// byte (VMIN 1, VTIME 0); ISIG and OPOST stay as they are.
func singleKeys(fd int) error {
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return err
	}
	t.Lflag &^= unix.ICANON | unix.ECHO
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	return unix.IoctlSetTermios(fd, ioctlSetTermios, t)
}
