package devloop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type watchHarness struct {
	w     *Watcher
	mu    sync.Mutex
	warns []string
}

func startWatcher(t *testing.T, opts WatchOptions) *watchHarness {
	t.Helper()
	h := &watchHarness{}
	opts.Warn = func(s string) {
		h.mu.Lock()
		h.warns = append(h.warns, s)
		h.mu.Unlock()
	}
	w, err := NewWatcher(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.w = w
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func (h *watchHarness) next(t *testing.T, timeout time.Duration) Change {
	t.Helper()
	select {
	case c := <-h.w.Changes():
		return c
	case <-time.After(timeout):
		t.Fatalf("no change within %v", timeout)
		return Change{}
	}
}

func (h *watchHarness) warnings() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.warns, "\n")
}

// waitHashed waits until the background hashing has seen n files, so that
// a no-op save is recognised.
func (h *watchHarness) waitHashed(t *testing.T, n int) {
	waitUntil(t, 30*time.Second, "baseline hashes", func() bool {
		h.w.mu.Lock()
		defer h.w.mu.Unlock()
		return len(h.w.hashes) >= n
	})
}

func TestWatcherPicksUpNewFolders(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n")
	h := startWatcher(t, WatchOptions{Root: dir})
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Give the watcher the folder event before the file appears in it, as
	// an editor creating a package would; the file is found either way.
	writeFile(t, filepath.Join(dir, "a", "b", "x.go"), "package b\n")
	c := h.next(t, 10*time.Second)
	if !c.Rebuild || fmt.Sprint(c.Paths) != "[a/b/x.go]" {
		t.Fatalf("change %+v", c)
	}
	writeFile(t, filepath.Join(dir, "a", "b", "x.go"), "package b\n\nvar X = 1\n")
	if c := h.next(t, 10*time.Second); fmt.Sprint(c.Paths) != "[a/b/x.go]" {
		t.Fatalf("second change %+v", c)
	}
}

func TestWatcherFoldsEditorSaveBurst(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "main.go")
	writeFile(t, main, "package main\n")
	h := startWatcher(t, WatchOptions{Root: dir})
	h.waitHashed(t, 1)
	// vim: write a backup, write the file, chmod, remove the backup.
	backup := filepath.Join(dir, "main.go~")
	if err := os.WriteFile(backup, []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, main, "package main\n\nfunc main() {}\n")
	if err := os.Chmod(main, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(backup)
	c := h.next(t, 10*time.Second)
	if fmt.Sprint(c.Paths) != "[main.go]" || !c.Rebuild {
		t.Fatalf("change %+v", c)
	}
	select {
	case c := <-h.w.Changes():
		t.Fatalf("a second change for one save: %+v", c)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestWatcherIgnoresExcludedAndUnchanged(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"main.go": "package main\n", ".gitignore": "generated/\n*.gen.go\n",
		"node_modules/x/a.js": "1", ".git/x.go": "x", ".hidden/x.go": "x", "generated/x.go": "x",
		"vendor/v/v.go": "x", "testdata/t.go": "x", "dist/app.js": "x", "z.gen.go": "x", "notes.txt": "x",
		"custom/c.go": "x", "main_test.go": "package main\n",
	}
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	h := startWatcher(t, WatchOptions{Root: dir, Exclude: []string{"custom"}})
	h.waitHashed(t, 1)
	if dirs, _ := h.w.Stats(); dirs != 1 {
		t.Errorf("watching %d folders, want only the root", dirs)
	}
	for name := range files {
		if name != "main.go" {
			writeFile(t, filepath.Join(dir, name), "changed")
		}
	}
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n") // same content
	writeFile(t, filepath.Join(dir, "other.go"), "package main\n")
	c := h.next(t, 10*time.Second)
	if fmt.Sprint(c.Paths) != "[other.go]" {
		t.Fatalf("change %+v, want only other.go", c)
	}
}

func TestWatcherSurvivesSymlinkLoop(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a", "x.go"), "package a\n")
	if err := os.Symlink("..", filepath.Join(dir, "a", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "again")); err != nil {
		t.Fatal(err)
	}
	h := startWatcher(t, WatchOptions{Root: dir})
	if dirs, _ := h.w.Stats(); dirs != 2 {
		t.Errorf("watching %d folders, want 2 (root and a)", dirs)
	}
	if w := h.warnings(); !strings.Contains(w, "symbolic link loop") {
		t.Errorf("warnings %q do not mention the loop", w)
	}
	writeFile(t, filepath.Join(dir, "a", "x.go"), "package a\n\nvar X int\n")
	if c := h.next(t, 10*time.Second); fmt.Sprint(c.Paths) != "[a/x.go]" {
		t.Fatalf("change %+v", c)
	}
}

func TestWatcherLargeTree(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 50,000 files")
	}
	dir := t.TempDir()
	for d := 0; d < 250; d++ {
		sub := filepath.Join(dir, "pkg", fmt.Sprintf("d%03d", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := 0; f < 200; f++ {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d.go", f)), []byte("package p\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now()
	h := startWatcher(t, WatchOptions{Root: dir})
	t.Logf("watching 50,000 files in 252 folders took %v", time.Since(start))
	if _, files := h.w.Stats(); files != 50000 {
		t.Errorf("saw %d files, want 50000", files)
	}
	if w := h.warnings(); !strings.Contains(w, "watching 50000 files") || !strings.Contains(w, "narrow [watch] roots") {
		t.Errorf("warnings %q", w)
	}
	h.waitHashed(t, 50000)
	writeFile(t, filepath.Join(dir, "pkg", "d100", "f100.go"), "package p\n\nvar X int\n")
	if c := h.next(t, 10*time.Second); fmt.Sprint(c.Paths) != "[pkg/d100/f100.go]" {
		t.Fatalf("change %+v", c)
	}
}

func TestFindMainPackage(t *testing.T) {
	mainSrc := "package main\n\nfunc main() {}\n"
	tests := []struct {
		name    string
		files   map[string]string
		arg     string
		want    string
		wantErr string
	}{
		{"root main", map[string]string{"main.go": mainSrc, "cmd/x/main.go": mainSrc}, "", ".", ""},
		{"only cmd", map[string]string{"lib.go": "package lib\n", "cmd/web/main.go": mainSrc, "cmd/notmain/x.go": "package x\n"}, "", "./cmd/web", ""},
		{"named", map[string]string{"cmd/a/main.go": mainSrc, "cmd/b/main.go": mainSrc}, "./cmd/b", "./cmd/b", ""},
		{"named without ./", map[string]string{"cmd/a/main.go": mainSrc}, "cmd/a", "./cmd/a", ""},
		{"pattern", map[string]string{"main.go": mainSrc}, "./...", "", "not a pattern"},
		{"missing lists the choices", map[string]string{"cmd/a/main.go": mainSrc}, "./cmd/nope", "", "main packages here: ./cmd/a"},
		{"empty folder", map[string]string{"main.go": mainSrc, "empty/README": "x"}, "./empty", "", "has no Go files"},
		{"test-only main is not main", map[string]string{"x_test.go": "package main\n"}, "", "", "no main package"},
		{"build-tagged out", map[string]string{"main.go": "//go:build never\n\n" + mainSrc, "cmd/a/main.go": mainSrc}, "", "./cmd/a", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				writeFile(t, filepath.Join(dir, name), content)
			}
			got, err := FindMainPackage(dir, tt.arg, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestWatcherFollowsRenamedFolder: a package folder renamed (mv
// internal/web internal/site, as a refactoring does) keeps its inode; the
// watcher must not take the new name for a duplicate of the old one, and
// edits in it (and in a folder below it) must still be seen under the new
// name. Before the fix, the visited table still held internal/web and the
// edits went unseen or were reported under the old path.
func TestWatcherFollowsRenamedFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n")
	writeFile(t, filepath.Join(dir, "internal", "web", "web.go"), "package web\n")
	writeFile(t, filepath.Join(dir, "internal", "web", "inner", "inner.go"), "package inner\n")
	h := startWatcher(t, WatchOptions{Root: dir})
	h.waitHashed(t, 3)
	if err := os.Rename(filepath.Join(dir, "internal", "web"), filepath.Join(dir, "internal", "site")); err != nil {
		t.Fatal(err)
	}
	// The rename itself: the old files are gone, the new ones appear.
	waitUntil(t, 10*time.Second, "the rename is reported", func() bool {
		select {
		case c := <-h.w.Changes():
			return strings.Contains(fmt.Sprint(c.Paths), "internal/site/web.go")
		default:
			return false
		}
	})
	for _, rel := range []string{"internal/site/web.go", "internal/site/inner/inner.go"} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(rel)), "package x\n\nvar Edited = true\n")
		if c := h.next(t, 10*time.Second); fmt.Sprint(c.Paths) != "["+rel+"]" {
			t.Fatalf("editing %s after the rename: change %+v", rel, c)
		}
	}
	if w := h.warnings(); strings.Contains(w, "same folder") {
		t.Errorf("the renamed folder was taken for a duplicate: %s", w)
	}
}
