package devloop

import (
	"path/filepath"
	"strconv"
	"strings"
)

// maxPanicScan bounds how much of an app's output ParsePanic reads: the
// runtime prints every goroutine, and an app may print a lot before.
const maxPanicScan = 1 << 20

// ParsePanic finds a Go panic (or fatal error) in an app's output and
// returns where it happened: Message is the panic value ("runtime error:
// index out of range [3] with length 2"), File and Line the first frame of
// the panicking goroutine inside root (relative to it), else the first
// frame outside the runtime. ok is false when out holds no panic.
//
// The format is the runtime's (see runtime/panic.go and
// runtime/traceback.go): a "panic: " or "fatal error: " line, a blank
// line, "goroutine N [running]:", then pairs of a function line and a
// tab-indented "file:line +0xoff" line.
func ParsePanic(out, root string) (Diagnostic, bool) {
	if len(out) > maxPanicScan {
		out = out[len(out)-maxPanicScan:]
	}
	lines := strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			start = i
			break
		}
	}
	if start < 0 {
		return Diagnostic{}, false
	}
	_, msg, _ := strings.Cut(lines[start], ": ")
	d := Diagnostic{Message: strings.TrimSpace(strings.TrimSuffix(msg, " [recovered]"))}
	if d.Message == "" {
		d.Message = strings.TrimSpace(lines[start])
	}
	var fallback *Diagnostic
	for _, l := range lines[start+1:] {
		if strings.HasPrefix(l, "goroutine ") && fallback != nil {
			break // only the panicking goroutine's frames
		}
		file, line, ok := traceFrame(l)
		if !ok {
			continue
		}
		if rel, inside := insideRoot(root, file); inside {
			d.File, d.Line = rel, line
			return d, true
		}
		if fallback == nil && !strings.Contains(filepath.ToSlash(file), "/src/runtime/") {
			fallback = &Diagnostic{File: file, Line: line}
		}
	}
	if fallback != nil {
		d.File, d.Line = fallback.File, fallback.Line
	}
	return d, true
}

// traceFrame parses "\t/path/file.go:12 +0x1d" (the offset is optional).
func traceFrame(l string) (string, int, bool) {
	if !strings.HasPrefix(l, "\t") {
		return "", 0, false
	}
	l = strings.TrimSpace(l)
	if i := strings.LastIndex(l, " +0x"); i >= 0 {
		l = l[:i]
	}
	colon := strings.LastIndexByte(l, ':')
	if colon <= 0 || !strings.HasSuffix(l[:colon], ".go") {
		return "", 0, false
	}
	n, err := strconv.Atoi(l[colon+1:])
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return l[:colon], n, true
}

// insideRoot returns file relative to root when it lies inside it.
func insideRoot(root, file string) (string, bool) {
	if root == "" || !filepath.IsAbs(file) {
		return file, false
	}
	rel, err := filepath.Rel(root, file)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return file, false
	}
	return filepath.ToSlash(rel), true
}
