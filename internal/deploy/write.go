package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
)

// ManifestFile, inside the deploy folder, records the SHA-256 of every
// file golocal deploy wrote, so a later run can tell hand edits from its
// own output.
const ManifestFile = ".golocal-deploy.json"

type manifest struct {
	Comment string            `json:"comment"`
	Files   map[string]string `json:"files"`
}

// HandEditError lists generated files that were changed (or written) by
// hand since golocal deploy wrote them, with a diff of each against what
// it would write now. Nothing was written.
type HandEditError struct {
	Dir   string
	Diffs map[string]string
}

func (e *HandEditError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s holds hand edits that regenerating would overwrite; nothing was written. Keep them in a kustomize overlay of your own, or rerun with --force to overwrite:\n", e.Dir)
	for _, p := range slices.Sorted(maps.Keys(e.Diffs)) {
		fmt.Fprintf(&b, "\n%s (-on disk +generated):\n%s", p, e.Diffs[p])
	}
	return b.String()
}

// WriteOptions say how [Write] treats what is already there.
type WriteOptions struct {
	// Force overwrites hand edits.
	Force bool
	// Owns are the path prefixes this generation is responsible for:
	// files the manifest lists under them that the new tree lacks are
	// removed. Nil means every path.
	Owns []string
}

// WriteReport says what [Write] did.
type WriteReport struct {
	Written, Unchanged, Removed []string
}

// Write puts t into dir. A file on disk whose content is not what golocal
// deploy last wrote there (by the manifest) is a hand edit: Write then
// returns a *HandEditError and writes nothing, unless opts.Force.
func Write(dir string, t Tree, opts WriteOptions) (WriteReport, error) {
	var rep WriteReport
	old, err := readManifest(dir)
	if err != nil {
		return rep, err
	}
	if !opts.Force {
		if err := checkHandEdits(dir, t, old); err != nil {
			return rep, err
		}
	}
	next := manifest{Comment: "written by golocal deploy: the SHA-256 of each generated file, to detect hand edits", Files: map[string]string{}}
	for p, h := range old.Files {
		if !owned(p, opts.Owns) {
			next.Files[p] = h
		}
	}
	for _, p := range t.Paths() {
		if err := writeOne(dir, p, t[p], &rep); err != nil {
			return rep, err
		}
		next.Files[p] = hash(t[p])
	}
	for p := range old.Files {
		if _, keep := next.Files[p]; keep {
			continue
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return rep, err
		}
		rep.Removed = append(rep.Removed, p)
	}
	slices.Sort(rep.Removed)
	return rep, writeManifest(dir, next)
}

func owned(p string, owns []string) bool {
	if owns == nil {
		return true
	}
	return slices.ContainsFunc(owns, func(prefix string) bool { return strings.HasPrefix(p, prefix) })
}

func writeOne(dir, p string, b []byte, rep *WriteReport) error {
	full := filepath.Join(dir, filepath.FromSlash(p))
	if cur, err := os.ReadFile(full); err == nil && string(cur) == string(b) {
		rep.Unchanged = append(rep.Unchanged, p)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(full, b, 0o644); err != nil {
		return err
	}
	rep.Written = append(rep.Written, p)
	return nil
}

// checkHandEdits compares each file t would replace with the manifest.
func checkHandEdits(dir string, t Tree, old manifest) error {
	diffs := map[string]string{}
	for _, p := range t.Paths() {
		cur, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if string(cur) == string(t[p]) || old.Files[p] == hash(cur) {
			continue
		}
		diffs[p] = cmp.Diff(strings.Split(string(cur), "\n"), strings.Split(string(t[p]), "\n"))
	}
	if len(diffs) > 0 {
		return &HandEditError{Dir: dir, Diffs: diffs}
	}
	return nil
}

func readManifest(dir string) (manifest, error) {
	m := manifest{Files: map[string]string{}}
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Files == nil {
		return manifest{Files: map[string]string{}}, fmt.Errorf("%s: not a golocal deploy manifest (%v); delete it to treat every file as hand-written", filepath.Join(dir, ManifestFile), err)
	}
	return m, nil
}

func writeManifest(dir string, m manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644)
}

func hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
