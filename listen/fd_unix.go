//go:build unix

package listen

import (
	"golang.org/x/sys/unix"
)

// checkListeningSocket returns "" when fd is an open stream socket in the
// listening state, else why not ("is not open", …).
func checkListeningSocket(fd int) string {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "is not open (" + err.Error() + ")"
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return "is not a socket"
	}
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return "is a socket whose type cannot be read (" + err.Error() + ")"
	}
	if typ != unix.SOCK_STREAM {
		return "is not a stream socket (datagram sockets are not served here)"
	}
	if acc, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err == nil && acc == 0 {
		return "is a socket that is not listening (the parent must call listen(2) before passing it)"
	}
	return ""
}

func setCloseOnExec(fd int) { unix.CloseOnExec(fd) }
