//go:build !unix

package listen

func checkListeningSocket(int) string {
	return "cannot be inherited: socket activation needs a Unix system"
}

func setCloseOnExec(int) {}
