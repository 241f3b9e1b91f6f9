// Package ptytest opens pseudo-terminals for tests, without cgo, and reads
// back the terminal mode a program left them in. Tests that need a terminal
// (single-key input in "golocal dev", colour on a tty) call [Open]; it
// skips the test where pseudo-terminals are not available (only Linux's
// /dev/ptmx is implemented).
package ptytest
