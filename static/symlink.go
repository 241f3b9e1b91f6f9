package static

import (
	"errors"
	"io/fs"
	"path"
	"strings"
)

// maxSymlinkHops bounds symbolic link resolution, as Linux's MAXSYMLINKS
// does, so a link loop ends with an error instead of a hang.
const maxSymlinkHops = 40

// errEscapes says a symbolic link leads out of the served root.
var errEscapes = errors.New("a symbolic link leads outside the static root")

// resolveInside follows the symbolic links on name's way, one component at
// a time, and returns the name of the file they lead to, relative to the
// root. A link whose target is absolute, or whose ".." climbs above the
// root, is refused with errEscapes, even when the path it names happens to
// be inside the root again: a target written that way depends on where the
// tree is mounted, which is not a thing to serve files by.
//
// This is for file systems such as os.DirFS that follow links anywhere.
// It leaves a window between the check and the open in which a link could
// be swapped; a tree that untrusted users can write to should be served
// with [Dir], whose os.Root refuses escapes in the kernel calls themselves.
func resolveInside(fsys fs.ReadLinkFS, name string) (string, error) {
	if name == "." {
		return ".", nil
	}
	pending := strings.Split(name, "/")
	var resolved []string
	hops := 0
	for len(pending) > 0 {
		seg := pending[0]
		pending = pending[1:]
		switch seg {
		case "", ".":
			continue
		case "..":
			if len(resolved) == 0 {
				return "", errEscapes
			}
			resolved = resolved[:len(resolved)-1]
			continue
		}
		candidate := path.Join(append(resolved, seg)...)
		info, err := fsys.Lstat(candidate)
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			resolved = append(resolved, seg)
			continue
		}
		if hops++; hops > maxSymlinkHops {
			return "", &fs.PathError{Op: "open", Path: name, Err: errors.New("too many levels of symbolic links")}
		}
		target, err := fsys.ReadLink(candidate)
		if err != nil {
			return "", err
		}
		target = strings.ReplaceAll(target, `\`, "/")
		if target == "" || strings.HasPrefix(target, "/") || (len(target) >= 2 && target[1] == ':') {
			return "", errEscapes
		}
		// The link's target replaces the link, relative to its directory.
		pending = append(strings.Split(target, "/"), pending...)
	}
	if len(resolved) == 0 {
		return ".", nil
	}
	return path.Join(resolved...), nil
}
