package devloop

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// depSet is the set of folders holding the packages the main package is
// built from (absolute paths), as go list -deps reports them. A saved Go
// file outside every one of them cannot change the program, so the runner
// does not rebuild for it: editing a library package of the same module
// that this program does not import costs nothing.
type depSet map[string]bool

// loadDeps asks the go command which packages pkg depends on. It returns
// nil when it cannot tell (the runner then rebuilds for every Go file).
func loadDeps(ctx context.Context, goCmd, dir, pkg string, tags []string, env []string) depSet {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	args := []string{"list", "-e", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}"}
	if len(tags) > 0 {
		args = append(args, "-tags="+strings.Join(tags, ","))
	}
	cmd := exec.CommandContext(ctx, goCmd, append(args, pkg)...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	deps := depSet{}
	for line := range bytes.Lines(out) {
		if d := strings.TrimSpace(string(line)); d != "" {
			deps[filepath.Clean(d)] = true
		}
	}
	if len(deps) == 0 {
		return nil
	}
	return deps
}

// unrelated reports whether every path (slash-separated, relative to root)
// is a Go file in a folder that holds none of the program's packages. Any
// other file, an unknown dependency set or an empty list is related.
func (d depSet) unrelated(root string, paths []string) bool {
	if d == nil || len(paths) == 0 {
		return false
	}
	for _, p := range paths {
		if !strings.HasSuffix(p, ".go") {
			return false
		}
		if d[filepath.Dir(filepath.Join(root, filepath.FromSlash(p)))] {
			return false
		}
	}
	return true
}
