package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Source describes the checkout a release is built from: the facts that go
// into the image labels and the provenance statement.
type Source struct {
	// ModuleDir is the root of the main module (the directory of go.mod).
	ModuleDir string
	// ModulePath is the main module's path, e.g. github.com/golocal/golocal.
	ModulePath string
	// ImportPath is the main package built, e.g. .../examples/orders.
	ImportPath string
	// Name is the binary's name: the last element of ImportPath.
	Name string
	// Revision is the full commit id of HEAD.
	Revision string
	// CommitTime is HEAD's committer time; it stands for "created" so that
	// two releases of one commit are byte-identical.
	CommitTime time.Time
	// Dirty reports uncommitted changes in the work tree.
	Dirty bool
	// Repository is the fetch URL of the "origin" remote, when there is one.
	Repository string
}

// ErrDirty is returned by [Inspect] when the work tree has uncommitted
// changes and dirty trees were not allowed.
var ErrDirty = errors.New("the work tree has uncommitted changes")

// ErrNoRepo is returned by [Inspect] when the package is not in a git
// checkout.
var ErrNoRepo = errors.New("not inside a git repository")

// Inspect finds the main package pkg (a package pattern such as "." or
// "./cmd/app", relative to dir) and the git state of its checkout. A dirty
// tree is refused unless allowDirty: the revision stamped into the image
// and the provenance would name a commit that is not what was built.
func Inspect(ctx context.Context, dir, pkg string, allowDirty bool) (*Source, error) {
	src, err := listPackage(ctx, dir, pkg)
	if err != nil {
		return nil, err
	}
	if err := src.readGit(ctx); err != nil {
		return nil, err
	}
	if src.Dirty && !allowDirty {
		return nil, fmt.Errorf("%w in %s: the image and provenance would name revision %.12s, which is not what would be built; commit or stash first, or pass --allow-dirty (the release is then marked dirty)", ErrDirty, src.ModuleDir, src.Revision)
	}
	return src, nil
}

// listPackage asks the go command what pkg is.
func listPackage(ctx context.Context, dir, pkg string) (*Source, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-json=ImportPath,Name,Module", pkg)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %v: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	var p struct {
		ImportPath, Name string
		Module           *struct{ Path, Dir string }
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("go list %s: %v", pkg, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s matches more than one package: name one main package", pkg)
	}
	if p.Name != "main" {
		return nil, fmt.Errorf("%s is package %s, not a main package: name the command to release", p.ImportPath, p.Name)
	}
	if p.Module == nil || p.Module.Dir == "" {
		return nil, fmt.Errorf("%s is not in a module: run release inside a Go module", p.ImportPath)
	}
	return &Source{
		ModuleDir:  p.Module.Dir,
		ModulePath: p.Module.Path,
		ImportPath: p.ImportPath,
		Name:       filepath.Base(p.ImportPath),
	}, nil
}

// readGit fills in the revision, commit time, dirtiness and origin.
func (s *Source) readGit(ctx context.Context) error {
	head, err := git(ctx, s.ModuleDir, "log", "-1", "--format=%H %ct")
	if err != nil {
		if _, e := git(ctx, s.ModuleDir, "rev-parse", "--git-dir"); e != nil {
			return fmt.Errorf("%w (%s): a release names the commit it was built from; run git init and commit, or release from a checkout", ErrNoRepo, s.ModuleDir)
		}
		return fmt.Errorf("%s has no commit yet: commit first, a release names the commit it was built from (%v)", s.ModuleDir, err)
	}
	rev, ct, _ := strings.Cut(head, " ")
	secs, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return fmt.Errorf("git log: unexpected commit time %q", ct)
	}
	s.Revision, s.CommitTime = rev, time.Unix(secs, 0).UTC()
	status, err := git(ctx, s.ModuleDir, "status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return err
	}
	s.Dirty = status != ""
	s.Repository, _ = git(ctx, s.ModuleDir, "config", "--get", "remote.origin.url")
	return nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
