package canary

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/golocal/golocal/internal/devloop"
)

// BuildSpec says what to build.
type BuildSpec struct {
	// Dir is the folder Package is relative to, inside the working tree.
	Dir string
	// Package is the main package ("." or "./cmd/web").
	Package string
	// Baseline is a git ref (branch, tag, commit) built through a
	// temporary worktree, or the path of an executable used as it is.
	Baseline string
	// Flags are extra go build flags for both versions.
	Flags []string
	// Env is the build environment; TempDir receives the binaries.
	Env     []string
	TempDir string
	// Getenv finds the go command (nil: os.Getenv).
	Getenv func(string) string
}

// Built are the two executables.
type Built struct {
	Binary [2]string `json:"-"`
	// Source says where each came from: "git ref main (commit 1a2b3c4d)",
	// "binary ./old/app", "working tree".
	Source [2]string `json:"source"`
	SHA256 [2]string `json:"sha256"`
	// Identical is set when both executables are the same bytes: the
	// comparison still runs, but any difference it finds is noise.
	Identical bool `json:"identical"`
}

// BuildError is a version that could not be built; Output is what the
// compiler (or git) said.
type BuildError struct {
	Version Version
	What    string
	Output  string
}

func (e *BuildError) Error() string {
	msg := fmt.Sprintf("the %s could not be built: %s", e.Version, e.What)
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += "\n" + out
	}
	return msg
}

// BuildVersions builds the candidate from the working tree and the
// baseline from its ref (or takes the given binary), both with -trimpath
// and without VCS stamping so that identical sources give identical bytes.
func BuildVersions(ctx context.Context, spec BuildSpec) (*Built, error) {
	if spec.Getenv == nil {
		spec.Getenv = os.Getenv
	}
	goCmd, err := devloop.GoCommand(spec.Getenv)
	if err != nil {
		return nil, &BuildError{Version: Candidate, What: err.Error()}
	}
	b := &Built{}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() {
		b.Binary[Candidate] = filepath.Join(spec.TempDir, "candidate")
		b.Source[Candidate] = "working tree (" + spec.Package + ")"
		errs[Candidate] = goBuild(ctx, goCmd, spec, spec.Dir, b.Binary[Candidate], Candidate)
	})
	wg.Go(func() { errs[Baseline] = buildBaseline(ctx, goCmd, spec, b) })
	wg.Wait()
	if err := errors.Join(errs[Baseline], errs[Candidate]); err != nil {
		return nil, err
	}
	for v, p := range b.Binary {
		if b.SHA256[v], err = fileSHA256(p); err != nil {
			return nil, &BuildError{Version: Version(v), What: err.Error()}
		}
	}
	b.Identical = b.SHA256[0] == b.SHA256[1]
	return b, nil
}

// buildBaseline takes the baseline binary as given, or builds its ref.
func buildBaseline(ctx context.Context, goCmd string, spec BuildSpec, b *Built) error {
	if st, err := os.Stat(spec.Baseline); err == nil && st.Mode().IsRegular() {
		if st.Mode().Perm()&0o111 == 0 {
			return &BuildError{Version: Baseline, What: spec.Baseline + " is a file but not executable; give a built binary or a git ref"}
		}
		abs, err := filepath.Abs(spec.Baseline)
		if err != nil {
			return &BuildError{Version: Baseline, What: err.Error()}
		}
		b.Binary[Baseline], b.Source[Baseline] = abs, "binary "+spec.Baseline
		return nil
	}
	top, err := git(ctx, spec.Dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return &BuildError{Version: Baseline, What: fmt.Sprintf("--baseline %q is not a file, and %s is not in a git repository to find it as a ref in", spec.Baseline, spec.Dir), Output: err.Error()}
	}
	commit, err := git(ctx, spec.Dir, "rev-parse", "--verify", "--quiet", "--end-of-options", spec.Baseline+"^{commit}")
	if err != nil {
		return &BuildError{Version: Baseline, What: fmt.Sprintf("git ref %q does not exist in %s; give a branch, tag or commit (git branch -a, git tag), or the path of a built binary", spec.Baseline, top)}
	}
	rel, err := filepath.Rel(top, mustAbs(spec.Dir))
	if err != nil || strings.HasPrefix(rel, "..") {
		return &BuildError{Version: Baseline, What: fmt.Sprintf("%s is outside the repository %s", spec.Dir, top)}
	}
	tree := filepath.Join(spec.TempDir, "baseline-src")
	if _, err := git(ctx, top, "worktree", "add", "--detach", "--force", tree, commit); err != nil {
		return &BuildError{Version: Baseline, What: "git worktree add failed", Output: err.Error()}
	}
	// The temporary worktree goes as soon as the binary is built.
	defer func() {
		_, _ = git(context.WithoutCancel(ctx), top, "worktree", "remove", "--force", tree)
		_, _ = git(context.WithoutCancel(ctx), top, "worktree", "prune")
	}()
	b.Binary[Baseline] = filepath.Join(spec.TempDir, "baseline")
	b.Source[Baseline] = fmt.Sprintf("git ref %s (commit %.12s)", spec.Baseline, commit)
	return goBuild(ctx, goCmd, spec, filepath.Join(tree, rel), b.Binary[Baseline], Baseline)
}

// goBuild builds spec.Package in dir into out.
func goBuild(ctx context.Context, goCmd string, spec BuildSpec, dir, out string, v Version) error {
	flags := append([]string{"-trimpath", "-buildvcs=false"}, spec.Flags...)
	res, err := devloop.Build(ctx, devloop.BuildOptions{GoCmd: goCmd, Dir: dir, Root: dir, Package: spec.Package, Flags: flags, Env: spec.Env, NoReplay: true}, out)
	if err != nil {
		var msg strings.Builder
		msg.Write(res.Output)
		if len(res.Output) == 0 {
			for _, d := range res.Diagnostics {
				msg.WriteString(d.String() + "\n")
			}
		}
		return &BuildError{Version: v, What: "go build " + spec.Package + " failed (" + err.Error() + ")", Output: msg.String()}
	}
	res.Release()
	return nil
}

// git runs git in dir and returns its trimmed standard output, or an error
// carrying what it printed.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

func mustAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		if r, err := filepath.EvalSymlinks(a); err == nil {
			return r
		}
		return a
	}
	return p
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
