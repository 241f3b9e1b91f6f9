package term

import (
	"io"

	"github.com/mdp/qrterminal/v3"
)

// QR prints text as a QR code a phone camera can read from the terminal:
// half-block characters (two modules per character row, so it stays small)
// with a quiet zone of one module.
func QR(w io.Writer, text string) {
	qrterminal.GenerateWithConfig(text, qrterminal.Config{
		Level: qrterminal.L, Writer: w, HalfBlocks: true,
		BlackChar: qrterminal.BLACK_BLACK, WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar: qrterminal.WHITE_WHITE, BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone: 1,
	})
}
