package devloop

import (
	"strings"
	"testing"
)

// TestParseBuildOutputWindows reads go build output as Windows prints it:
// CRLF line endings, drive-letter paths with backslashes, and a
// continuation line indented with a tab.
func TestParseBuildOutputWindows(t *testing.T) {
	out := "# example.test/app\r\n" +
		`C:\Users\ada\app\main.go:12:5: undefined: greet` + "\r\n" +
		`C:\Users\ada\app\handlers.go:7: syntax error: unexpected }` + "\r\n" +
		"\thave (string)\r\n"
	got := ParseBuildOutput([]byte(out), "", "")
	want := []Diagnostic{
		{File: `C:\Users\ada\app\main.go`, Line: 12, Column: 5, Message: "undefined: greet"},
		{File: `C:\Users\ada\app\handlers.go`, Line: 7, Message: "syntax error: unexpected }\nhave (string)"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("diagnostic %d = %+v, want %+v", i, got[i], want[i])
		}
		if strings.ContainsRune(got[i].Message, '\r') {
			t.Errorf("diagnostic %d keeps a carriage return: %q", i, got[i].Message)
		}
	}
	// The same output with LF line endings parses the same.
	lf := ParseBuildOutput([]byte(strings.ReplaceAll(out, "\r\n", "\n")), "", "")
	for i := range want {
		if i < len(lf) && lf[i] != got[i] {
			t.Errorf("LF diagnostic %d = %+v, CRLF %+v", i, lf[i], got[i])
		}
	}
}
