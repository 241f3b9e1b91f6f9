package middleware

import (
	"log/slog"
	"os"
)

// defaultLogger is what a zero-value Recover or AccessLog logs to: JSON on
// standard error, the format log collectors parse without configuration,
// written by [JSONHandler] (slog.JSONHandler's format at a fraction of its
// cost). It is created per middleware instance, never stored globally.
func defaultLogger() *slog.Logger {
	return slog.New(NewJSONHandler(os.Stderr, nil))
}
