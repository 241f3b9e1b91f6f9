// Package term holds golocal's terminal output helpers: colour that honours
// NO_COLOR and is only used on a terminal, and small formatting helpers.
package term

import (
	"io"
	"os"

	"golang.org/x/term"
)

// ColorEnabled reports whether w is a terminal and NO_COLOR is unset or empty
// (https://no-color.org: any non-empty value disables colour).
func ColorEnabled(w io.Writer, getenv func(string) string) bool {
	if getenv != nil && getenv("NO_COLOR") != "" {
		return false
	}
	return IsTerminal(w)
}

// IsTerminal reports whether w is an *os.File connected to a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// Palette paints strings with ANSI colours when enabled and returns them
// unchanged otherwise. Its zero value paints nothing.
type Palette struct {
	Enabled bool
}

func (p Palette) paint(code, s string) string {
	if !p.Enabled || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Red paints s red (errors).
func (p Palette) Red(s string) string { return p.paint("31", s) }

// Yellow paints s yellow (warnings).
func (p Palette) Yellow(s string) string { return p.paint("33", s) }

// Green paints s green (success).
func (p Palette) Green(s string) string { return p.paint("32", s) }

// Cyan paints s cyan (information, URLs).
func (p Palette) Cyan(s string) string { return p.paint("36", s) }

// Bold makes s bold.
func (p Palette) Bold(s string) string { return p.paint("1", s) }

// Dim makes s faint (secondary detail).
func (p Palette) Dim(s string) string { return p.paint("2", s) }
