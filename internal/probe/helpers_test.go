package probe

import "github.com/golocal/golocal/internal/term"

func termPalette(on bool) term.Palette { return term.Palette{Enabled: on} }
