package cli

import (
	"errors"
	"fmt"
)

// Exit codes shared by every subcommand. They are documented in the root
// command's help so scripts can rely on them.
const (
	// ExitOK means the command ran and found nothing wrong.
	ExitOK = 0
	// ExitFailure means the command ran and found a failure (a lint
	// finding at or above --fail-on, a taken port, a failed check).
	ExitFailure = 1
	// ExitUsage means the command line was wrong: unknown flag, bad value.
	ExitUsage = 2
	// ExitRequestFailed is used by probe when the request itself could not
	// be made (DNS, refused connection, TLS handshake, timeout).
	ExitRequestFailed = 3
)

// exitError carries an exit code up to Run. A nil err with a non-zero code
// means the command has already printed what went wrong.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf returns an error that makes Run exit with ExitUsage.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// failure returns an error that makes Run exit with ExitFailure without
// printing anything more (the command already reported the failure).
func failure() error { return &exitError{code: ExitFailure} }

// withCode wraps err so that Run exits with code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// exitCode maps an error returned by a command to a process exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitFailure
}
