package devloop

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultExtensions are the file extensions whose changes matter by default.
// Files matched by a //go:embed pattern matter whatever their extension.
var DefaultExtensions = []string{"go", "html", "tmpl", "gohtml", "css", "js", "sql"}

// builtinExcludes are folder names never watched: version control,
// dependencies, fixtures and the usual build output folders.
var builtinExcludes = []string{".git", "vendor", "node_modules", "testdata", "bin", "dist", "tmp"}

// Large-tree thresholds: past them the watcher still works but says how to
// make it lighter.
const (
	warnFiles = 20000
	warnDirs  = 5000
	// maxHashSize bounds the files we hash; bigger ones count as changed on
	// every event (they are rarely sources).
	maxHashSize = 8 << 20
)

// WatchOptions configure a Watcher.
type WatchOptions struct {
	// Root is the project root; Change paths are relative to it.
	Root string
	// Roots are the folders to watch, relative to Root (default: Root).
	Roots []string
	// Extensions without dots (default DefaultExtensions).
	Extensions []string
	// Exclude holds extra .gitignore-style patterns.
	Exclude []string
	// Debounce is the quiet period that folds an editor's save burst
	// (write temp, rename, chmod) into one change (default 10 ms).
	Debounce time.Duration
	// Embedded reports whether the program embeds the file at an absolute
	// path (see Program.Embedded): its changes rebuild whatever its
	// extension. Default: none.
	Embedded func(abs string) bool
	// Warn receives advice about the tree (too big, symlink loop, inotify
	// limit). It may be called from several goroutines.
	Warn func(string)
}

// Change is one debounced batch of files whose content really changed.
type Change struct {
	// Paths are slash-separated and relative to the root, sorted.
	Paths []string
	// Rebuild is set when a Go source, go.mod/go.sum or an embedded file
	// changed: the program must be built again.
	Rebuild bool
	// Restart is set when a non-embedded template or data file changed: the
	// program may read it at start, so it is restarted without a build.
	Restart bool
	// Styles lists the changed stylesheets when they are all that changed:
	// pages swap them in place.
	Styles []string
}

// Watcher watches a tree recursively and reports content changes.
type Watcher struct {
	opts    WatchOptions
	fsw     *fsnotify.Watcher
	exts    map[string]bool
	ignores []ignorePattern
	changes chan Change

	mu      sync.Mutex
	hashes  map[string]uint64 // abs path → content hash
	visited map[fileID]string // watched dirs by device/inode (symlink loops)
	dirs    int
	files   int
	full    bool // inotify limit reached: stop adding
	warned  map[string]bool
	started time.Time
}

type fileID struct{ dev, ino uint64 }

// NewWatcher walks the roots, adds a watch on every folder that is not
// excluded and starts hashing the relevant files in the background so that
// a save that changes nothing is recognised.
func NewWatcher(opts WatchOptions) (*Watcher, error) {
	if opts.Debounce <= 0 {
		opts.Debounce = 10 * time.Millisecond
	}
	if len(opts.Extensions) == 0 {
		opts.Extensions = DefaultExtensions
	}
	if len(opts.Roots) == 0 {
		opts.Roots = []string{"."}
	}
	if opts.Embedded == nil {
		opts.Embedded = func(string) bool { return false }
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	opts.Root = root
	fsw, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		return nil, fmt.Errorf("cannot start the file watcher: %w", err)
	}
	w := &Watcher{
		opts: opts, fsw: fsw,
		exts:    map[string]bool{},
		changes: make(chan Change, 1),
		hashes:  map[string]uint64{},
		visited: map[fileID]string{},
		warned:  map[string]bool{},
		started: time.Now(),
	}
	for _, e := range opts.Extensions {
		w.exts[strings.TrimPrefix(e, ".")] = true
	}
	w.ignores = append(w.ignores, readGitignore(filepath.Join(root, ".gitignore"))...)
	for _, p := range opts.Exclude {
		if ip, ok := parseIgnore(p); ok {
			w.ignores = append(w.ignores, ip)
		}
	}
	var relevant []string
	for _, r := range opts.Roots {
		dir := r
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, r)
		}
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() {
			fsw.Close()
			return nil, fmt.Errorf("watch root %s: not a folder (check [watch] roots in %s or --watch)", r, ConfigFileName)
		}
		relevant = append(relevant, w.addTree(dir, nil)...)
	}
	if w.files > warnFiles || w.dirs > warnDirs {
		w.warnOnce("big", fmt.Sprintf("watching %d files in %d folders: starting and hashing take longer; narrow [watch] roots or add [watch] exclude patterns in %s", w.files, w.dirs, ConfigFileName))
	}
	go w.hashAll(relevant)
	return w, nil
}

// Changes delivers debounced batches. It is closed when Run returns.
func (w *Watcher) Changes() <-chan Change { return w.changes }

// Stats returns how many folders are watched and files were seen.
func (w *Watcher) Stats() (dirs, files int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dirs, w.files
}

func (w *Watcher) warnOnce(key, msg string) {
	w.mu.Lock()
	seen := w.warned[key]
	w.warned[key] = true
	w.mu.Unlock()
	if !seen {
		w.opts.Warn(msg)
	}
}

// addTree watches dir and its sub-folders and returns the relevant files
// found. Symbolic links to folders are followed once: a folder already
// watched (same device and inode) is a loop or a duplicate and is skipped.
func (w *Watcher) addTree(dir string, found []string) []string {
	fi, err := os.Stat(dir)
	if err != nil {
		return found
	}
	id, ok := idOf(dir, fi)
	w.mu.Lock()
	if ok {
		// A folder seen before under another name is a duplicate only if
		// it is still there: renamed or deleted (its inode reused), the
		// entry is stale.
		prev, seen := w.visited[id]
		if seen && (prev == dir || sameFolder(prev, id)) {
			w.mu.Unlock()
			if prev != dir {
				w.warnOnce("loop:"+dir, fmt.Sprintf("skipping %s: it is the same folder as %s (a symbolic link loop or duplicate)", w.rel(dir), w.rel(prev)))
			}
			return found
		}
		if seen {
			// The inotify watch of a renamed folder lives on under its old
			// name (events would carry it): drop it, then watch anew.
			_ = w.fsw.Remove(prev)
		}
		w.visited[id] = dir
	}
	full := w.full
	w.mu.Unlock()
	if full {
		return found
	}
	if err := w.fsw.Add(dir); err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			w.mu.Lock()
			w.full = true
			n := w.dirs
			w.mu.Unlock()
			w.warnOnce("enospc", fmt.Sprintf("the system limit of inotify watches (fs.inotify.max_user_watches) was reached after %d folders; changes further in are not seen. Raise it (sudo sysctl fs.inotify.max_user_watches=524288) or narrow [watch] roots in %s", n, ConfigFileName))
			return found
		}
		w.warnOnce("add:"+dir, fmt.Sprintf("cannot watch %s: %v", w.rel(dir), err))
		return found
	}
	w.mu.Lock()
	w.dirs++
	w.mu.Unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return found
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			st, err := os.Stat(p)
			if err != nil {
				continue // dangling link
			}
			isDir = st.IsDir()
		}
		if w.excluded(p, isDir) {
			continue
		}
		if isDir {
			found = w.addTree(p, found)
			continue
		}
		w.mu.Lock()
		w.files++
		w.mu.Unlock()
		if w.relevantName(p) {
			found = append(found, p)
		}
	}
	return found
}

// sameFolder reports whether dir still exists and is the folder id.
func sameFolder(dir string, id fileID) bool {
	fi, err := os.Stat(dir)
	if err != nil {
		return false
	}
	now, ok := idOf(dir, fi)
	return ok && now == id
}

func (w *Watcher) rel(p string) string {
	if r, err := filepath.Rel(w.opts.Root, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return p
}

// excluded applies the built-in folder excludes, hidden names, .gitignore
// and the configured patterns.
func (w *Watcher) excluded(p string, isDir bool) bool {
	name := filepath.Base(p)
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
		return true
	}
	if isDir {
		for _, x := range builtinExcludes {
			if name == x {
				return true
			}
		}
	}
	rel := w.rel(p)
	for _, ip := range w.ignores {
		if ip.match(rel, isDir) {
			return true
		}
	}
	return false
}

// relevantName reports whether a file's name makes it matter (extension or
// Go module files). Embedded files are checked separately.
func (w *Watcher) relevantName(p string) bool {
	name := filepath.Base(p)
	switch name {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		return true
	}
	if strings.HasSuffix(name, "_test.go") {
		// Tests are not part of the program: editing them (or running
		// gofmt over them) must not rebuild and restart the app.
		return false
	}
	ext := strings.TrimPrefix(filepath.Ext(name), ".")
	return ext != "" && w.exts[ext]
}

func (w *Watcher) hashAll(paths []string) {
	for _, p := range paths {
		// A file written since the walk began may have changed after its
		// event: recording it as the baseline would hide that change.
		if fi, err := os.Stat(p); err != nil || !fi.ModTime().Before(w.started) {
			continue
		}
		h, ok := hashFile(p)
		if !ok {
			continue
		}
		if fi, err := os.Stat(p); err != nil || !fi.ModTime().Before(w.started) {
			continue // written while being read
		}
		w.mu.Lock()
		if _, done := w.hashes[p]; !done {
			w.hashes[p] = h
		}
		w.mu.Unlock()
	}
}

func hashFile(p string) (uint64, bool) {
	f, err := os.Open(p)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxHashSize {
		return 0, false
	}
	h := fnv.New64a()
	if _, err := io.Copy(h, f); err != nil {
		return 0, false
	}
	return h.Sum64(), true
}

// Run delivers batches on Changes until ctx is done, then closes the
// underlying watcher and the channel.
func (w *Watcher) Run(ctx context.Context) {
	defer close(w.changes)
	defer w.fsw.Close()
	pending := map[string]bool{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.opts.Warn("the file watcher dropped events (too many at once); press r to rebuild if a change was missed")
			}
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					if !w.excluded(ev.Name, true) {
						// Files created before the new folder's watch was in
						// place produce no event: the walk reports them.
						for _, f := range w.addTree(ev.Name, nil) {
							pending[f] = true
						}
						if len(pending) > 0 {
							timer.Reset(w.opts.Debounce)
						}
					}
					continue
				}
			}
			if w.excluded(ev.Name, false) {
				continue
			}
			pending[ev.Name] = true
			timer.Reset(w.opts.Debounce)
		case <-timer.C:
			if c, ok := w.collect(pending); ok {
				select {
				case w.changes <- c:
				case <-ctx.Done():
					return
				}
			}
			pending = map[string]bool{}
		}
	}
}

// collect hashes the pending paths and keeps those whose content differs
// from what was seen before.
func (w *Watcher) collect(pending map[string]bool) (Change, bool) {
	var c Change
	var styles, other int
	for p := range pending {
		name := filepath.Base(p)
		relevantByName := w.relevantName(p)
		embedded := w.opts.Embedded(p)
		if !relevantByName && !embedded {
			continue
		}
		h, exists := hashFile(p)
		w.mu.Lock()
		old, had := w.hashes[p]
		if exists {
			w.hashes[p] = h
		} else {
			delete(w.hashes, p)
		}
		w.mu.Unlock()
		if exists && had && old == h {
			continue // saved without a change
		}
		if !exists && !had {
			continue // a temporary file that came and went
		}
		c.Paths = append(c.Paths, w.rel(p))
		ext := strings.TrimPrefix(filepath.Ext(name), ".")
		switch {
		case ext == "go":
			c.Rebuild = true
		case name == "go.mod" || name == "go.sum" || name == "go.work" || name == "go.work.sum" || embedded:
			c.Rebuild = true
		case ext == "css":
			styles++
			c.Styles = append(c.Styles, w.rel(p))
		case ext == "js":
			other++
		default:
			other++
			c.Restart = true
		}
	}
	if len(c.Paths) == 0 {
		return Change{}, false
	}
	sort.Strings(c.Paths)
	sort.Strings(c.Styles)
	if c.Rebuild || other > 0 {
		c.Styles = nil
	}
	return c, true
}

// ignorePattern is one .gitignore-style line: a glob matched against the
// base name, or (when it contains a slash) against the path from the root.
type ignorePattern struct {
	glob     string
	anchored bool
	dirOnly  bool
}

// parseIgnore reads one .gitignore line. Negations ("!keep") are not
// supported and are skipped: watching a file that git ignores is harmless.
func parseIgnore(line string) (ignorePattern, bool) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "!") {
		return ignorePattern{}, false
	}
	var ip ignorePattern
	if strings.HasSuffix(line, "/") {
		ip.dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	line = strings.TrimPrefix(line, "**/")
	if strings.Contains(line, "/") {
		ip.anchored = true
		line = strings.TrimPrefix(line, "/")
	}
	line = strings.TrimSuffix(line, "/**")
	if line == "" {
		return ignorePattern{}, false
	}
	if _, err := path.Match(line, ""); err != nil {
		return ignorePattern{}, false
	}
	ip.glob = line
	return ip, true
}

func (ip ignorePattern) match(rel string, isDir bool) bool {
	if ip.dirOnly && !isDir {
		return false
	}
	if ip.anchored {
		ok, _ := path.Match(ip.glob, rel)
		return ok
	}
	ok, _ := path.Match(ip.glob, path.Base(rel))
	return ok
}

func readGitignore(p string) []ignorePattern {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var out []ignorePattern
	for _, line := range strings.Split(string(data), "\n") {
		if ip, ok := parseIgnore(line); ok {
			out = append(out, ip)
		}
	}
	return out
}
