package devloop

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Diagnostic is one compiler message: where it points and what it says.
// File is relative to the project root when it lies inside it (absolute
// otherwise, empty for package-level messages such as a missing module).
// Line and Column are 1-based; 0 means unknown.
type Diagnostic struct {
	File    string
	Line    int
	Column  int
	Message string
}

// String formats d the way editors and terminals link it: file:line:col: message.
func (d Diagnostic) String() string {
	switch {
	case d.File == "":
		return d.Message
	case d.Line == 0:
		return d.File + ": " + d.Message
	case d.Column == 0:
		return fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Message)
	default:
		return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.Message)
	}
}

// maxDiagnostics bounds what one build output can produce: the compiler
// stops at 10 errors per package, but a broken module graph can print pages.
const maxDiagnostics = 200

// positionLine matches "path/file.go:12:5: message" and "file.go:12: message"
// (vet, cgo and some go command messages omit the column). The path may not
// start with a space and may contain colons only on Windows drive letters.
var positionLine = regexp.MustCompile(`^((?:[A-Za-z]:)?[^:\s][^:]*\.[A-Za-z0-9_]+):(\d+)(?::(\d+))?: ?(.*)$`)

// ParseBuildOutput turns the combined output of "go build" into diagnostics.
// workDir is the directory go build ran in (the compiler prints paths
// relative to it) and root the project root that File is made relative to.
// Lines starting with "# " (package headers) are dropped, tab-indented lines
// continue the previous message (the go command's "to add it:" hints), and
// any other line becomes a package-level diagnostic so that nothing the
// compiler said is lost.
func ParseBuildOutput(out []byte, workDir, root string) []Diagnostic {
	var diags []Diagnostic
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "# ") {
			continue
		}
		if (line[0] == '\t' || strings.HasPrefix(line, "    ")) && len(diags) > 0 {
			last := &diags[len(diags)-1]
			last.Message += "\n" + strings.TrimSpace(line)
			continue
		}
		if len(diags) >= maxDiagnostics {
			break
		}
		diags = append(diags, parseLine(line, workDir, root))
	}
	return diags
}

func parseLine(line, workDir, root string) Diagnostic {
	m := positionLine.FindStringSubmatch(line)
	if m == nil {
		return Diagnostic{Message: strings.TrimSpace(line)}
	}
	ln, err := strconv.Atoi(m[2])
	if err != nil || ln <= 0 {
		return Diagnostic{Message: strings.TrimSpace(line)}
	}
	col := 0
	if m[3] != "" {
		if c, err := strconv.Atoi(m[3]); err == nil && c > 0 {
			col = c
		}
	}
	return Diagnostic{File: relativeTo(m[1], workDir, root), Line: ln, Column: col, Message: strings.TrimSpace(m[4])}
}

// relativeTo rewrites a path the compiler printed (relative to workDir or
// absolute) so that it is relative to root, the form users click on.
func relativeTo(file, workDir, root string) string {
	if root == "" {
		return filepath.ToSlash(file)
	}
	abs := file
	if !filepath.IsAbs(abs) {
		if workDir == "" {
			return filepath.ToSlash(file)
		}
		abs = filepath.Join(workDir, file)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(filepath.Clean(abs))
	}
	return filepath.ToSlash(rel)
}
